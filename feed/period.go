package feed

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period kinds: a listing day, an ISO week, a calendar month.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
)

// Period is one Hugging Face listing period, named by its key
// ("day/2026-08-21", "week/2026-W34", "month/2026-08"): the key of its
// listing in the store and the state, and the path of its page
// (/papers/{kind}/{value}; a day's page is /papers/date/{value}).
type Period struct {
	Kind     string // PeriodDay, PeriodWeek or PeriodMonth
	Value    string // "2026-08-21", "2026-W34", "2026-08"
	From, To time.Time
}

// Key is the period's key, "kind/value".
func (p Period) Key() string { return p.Kind + "/" + p.Value }

var weekValue = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)

// ParsePeriod reads a period key strictly: its kind, a value in the one
// form this kind is written, a date from the first listing
// (FirstListing) on. Keys reach the upstream fetchers from the public
// and from other replicas, so nothing else is accepted.
func ParsePeriod(key string) (Period, error) {
	bad := func(why string) (Period, error) { return Period{}, fmt.Errorf("period %q: %s", key, why) }
	kind, val := "", ""
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			kind, val = key[:i], key[i+1:]
			break
		}
	}
	p := Period{Kind: kind, Value: val}
	switch kind {
	case PeriodDay:
		d, err := time.Parse(time.DateOnly, val)
		if err != nil || d.Format(time.DateOnly) != val {
			return bad("a day is written YYYY-MM-DD")
		}
		p.From, p.To = d, d
	case PeriodWeek:
		m := weekValue.FindStringSubmatch(val)
		if m == nil {
			return bad("a week is written YYYY-Www")
		}
		y, _ := strconv.Atoi(m[1])
		w, _ := strconv.Atoi(m[2])
		start, ok := WeekStart(y, w)
		if !ok {
			return bad("no such ISO week")
		}
		p.From, p.To = start, start.AddDate(0, 0, 6)
	case PeriodMonth:
		t, err := time.Parse("2006-01", val)
		if err != nil || t.Format("2006-01") != val {
			return bad("a month is written YYYY-MM")
		}
		p.From, p.To = t, t.AddDate(0, 1, -1)
	default:
		return bad("the kind must be day, week or month")
	}
	if p.To.Before(FirstListing) {
		return bad("before the first listing, " + FirstListing.Format(time.DateOnly))
	}
	return p, nil
}

// PeriodOf is the period of a kind that holds day d.
func PeriodOf(kind string, d time.Time) Period {
	switch kind {
	case PeriodWeek:
		y, w := d.ISOWeek()
		from, _ := WeekStart(y, w)
		return Period{Kind: kind, Value: fmt.Sprintf("%04d-W%02d", y, w), From: from, To: from.AddDate(0, 0, 6)}
	case PeriodMonth:
		from := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		return Period{Kind: kind, Value: from.Format("2006-01"), From: from, To: from.AddDate(0, 1, -1)}
	}
	d = DayOf(d)
	return Period{Kind: PeriodDay, Value: d.Format(time.DateOnly), From: d, To: d}
}

// WeekStart is the Monday of ISO week w of year y.
func WeekStart(y, w int) (time.Time, bool) {
	if w < 1 || w > 53 {
		return time.Time{}, false
	}
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	start := monday.AddDate(0, 0, 7*(w-1))
	if yy, ww := start.ISOWeek(); yy != y || ww != w {
		return time.Time{}, false
	}
	return start, true
}
