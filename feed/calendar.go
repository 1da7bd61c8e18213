package feed

import "time"

// FirstListing is the first Hugging Face Daily Papers day: nothing is
// listed before it.
var FirstListing = time.Date(2023, 5, 4, 0, 0, 0, 0, time.UTC)

// MaxDays bounds the listing days a window may hold.
const MaxDays = 60

// DayOf is the UTC day of t, the unit of listing and announcement days.
func DayOf(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// FillListedOn sets the listing day of papers that state none to day
// (the page's own day, or the first day of a week or month listing).
func FillListedOn(papers []Paper, day time.Time) {
	for i := range papers {
		if papers[i].ListedOn.IsZero() {
			papers[i].ListedOn = day
		}
	}
}
