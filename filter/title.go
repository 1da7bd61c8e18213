package filter

import (
	"fmt"
	"strings"
	"time"
)

// A feed's title and description say what it is, so a reader's
// subscription list explains itself: the source, every condition
// (keywords, thresholds, gains, seeds, periods), what the items are
// (papers, or digests of periods), and, in the description, the order
// of the items and the dates they take.

// Title names the feed after its filter, e.g. "Daily Papers: agents,
// 20+ upvotes, with code" or "Daily Papers: trending (most upvotes gained
// in 24 h), daily digest, top 10".
func (q Query) Title() string {
	return q.title(q.digestPart())
}

// PeriodTitle is the title of one digest item's period: the feed's title
// without its digest part ("Daily Papers: agents").
func (q Query) PeriodTitle() string { return q.title("") }

func (q Query) title(digest string) string {
	parts := q.describeParts()
	if q.Sort == SortTrending {
		parts = append([]string{fmt.Sprintf("trending (most upvotes gained in %s)", hours(q.gainHours()))}, parts...)
	}
	if digest != "" {
		parts = append(parts, digest)
	}
	if len(parts) == 0 {
		return q.sourceName()
	}
	return q.sourceName() + ": " + strings.Join(parts, ", ")
}

func (q Query) sourceName() string {
	switch q.Source {
	case SourceArxiv:
		return "arXiv papers"
	case SourceAll:
		return "Daily Papers + arXiv"
	}
	return "Daily Papers"
}

// digestPart: "daily digest, top 10".
func (q Query) digestPart() string {
	kind := map[string]string{"day": "daily", "week": "weekly", "month": "monthly"}[q.Digest]
	if kind == "" {
		return ""
	}
	return fmt.Sprintf("%s digest, top %d", kind, q.DigestSize)
}

// Description is a sentence for the feed's description: what it holds,
// in which order, dated how.
func (q Query) Description() string {
	var src string
	switch q.Source {
	case SourceArxiv:
		src = "Papers announced on arXiv in the followed categories"
	case SourceAll:
		src = "Hugging Face Daily Papers and papers announced on arXiv"
	default:
		src = "Hugging Face Daily Papers"
	}
	parts := q.describeParts()
	var b strings.Builder
	b.WriteString(src)
	if len(parts) > 0 {
		b.WriteString(" filtered by: " + strings.Join(parts, "; "))
	}
	if q.Digest != "" {
		period := map[string]string{"day": "listing day", "week": "week", "month": "month"}[q.Digest]
		fmt.Fprintf(&b, ". One item per closed %s, newest first, dated when the %s closed, listing its top %d papers, %s",
			period, period, q.DigestSize, q.orderWords(true))
		return b.String() + "."
	}
	b.WriteString("; " + q.orderWords(false))
	switch {
	case isTrue(q.Revised) && !q.Facts.changing() && q.ItemDates():
		b.WriteString("; one item per new version, dated when it was posted")
	case q.ItemDates():
		b.WriteString("; each paper dated when it met the conditions")
	case q.changing():
		b.WriteString("; each paper dated by its listing day")
	}
	return b.String() + "."
}

// orderWords say the order of the items (or of a digest's papers).
func (q Query) orderWords(digest bool) string {
	switch q.Sort {
	case SortUpvotes:
		return "most upvoted first"
	case SortStars:
		return "most GitHub stars first"
	case SortComments:
		return "most discussed first"
	case SortTrending:
		return fmt.Sprintf("most upvotes gained in the last %s first", hours(q.gainHours()))
	case SortSimilarity:
		return "most similar first"
	}
	if digest {
		return "most upvoted first" // a digest's papers by upvotes unless sorted otherwise
	}
	if q.ItemDates() {
		return "newest first, by the date each paper met the conditions"
	}
	return "newest first"
}

func (q Query) gainHours() int {
	if q.GainHours == 0 {
		return DefaultGainHours
	}
	return q.GainHours
}

func hours(n int) string { return fmt.Sprintf("%d h", n) }

func (q Query) describeParts() []string {
	var p []string
	if len(q.Like) > 0 {
		p = append(p, q.likePart())
	}
	if !q.Keywords.Empty() {
		p = append(p, q.Keywords.String())
	}
	if q.MinUpvotes > 0 {
		p = append(p, fmt.Sprintf("%d+ upvotes", q.MinUpvotes))
	}
	if q.MinGain > 0 {
		p = append(p, fmt.Sprintf("gained %d+ upvotes in %s", q.MinGain, hours(q.gainHours())))
	}
	if q.MinStars > 0 {
		p = append(p, fmt.Sprintf("%d+ stars", q.MinStars))
	}
	if q.MinComments > 0 {
		p = append(p, fmt.Sprintf("%d+ comments", q.MinComments))
	}
	if q.HasCode != nil {
		if *q.HasCode {
			p = append(p, "with code")
		} else {
			p = append(p, "without code")
		}
	}
	p = append(p, q.Facts.describe()...)
	if len(q.Categories) > 0 {
		p = append(p, strings.Join(q.Categories, " or "))
	}
	if len(q.Authors) > 0 {
		p = append(p, "by "+strings.Join(q.Authors, " or "))
	}
	if len(q.Orgs) > 0 {
		p = append(p, "from "+strings.Join(q.Orgs, " or "))
	}
	if len(q.Announce) > 0 {
		p = append(p, "announced as "+strings.Join(q.Announce, "/"))
	}
	switch {
	case !q.Date.IsZero():
		p = append(p, q.Date.Format(time.DateOnly))
	case q.Week != "":
		p = append(p, "week "+q.Week)
	case q.Month != "":
		p = append(p, "month "+q.Month)
	case q.Days > 0:
		p = append(p, fmt.Sprintf("last %d days", q.Days))
	}
	if !q.Since.IsZero() {
		p = append(p, "since "+q.Since.Format(time.DateOnly))
	}
	if !q.Until.IsZero() {
		p = append(p, "until "+q.Until.Format(time.DateOnly))
	}
	if q.RSSHub.active() {
		p = append(p, "regex filters")
	}
	return p
}

// likePart names the seeds of like=: the first by its title when it is
// known, "more like “Title” and 2 more", else by IDs.
func (q Query) likePart() string {
	first := q.Like[0]
	for _, s := range q.Seeds {
		if s != nil && s.ID == first && s.Title != "" {
			first = "“" + shorten(s.Title, 60) + "”"
		}
	}
	less := ""
	switch len(q.Unlike) {
	case 0:
	case 1:
		less = ", less like " + q.Unlike[0]
	default:
		less = fmt.Sprintf(", less like %d papers", len(q.Unlike))
	}
	if len(q.Like) == 1 {
		return "more like " + first + less
	}
	if strings.HasPrefix(first, "“") {
		return fmt.Sprintf("more like %s and %d more%s", first, len(q.Like)-1, less)
	}
	return "more like " + strings.Join(q.Like, ", ") + less
}

// shorten cuts s to about n characters at a word boundary.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
