package filter

import (
	"fmt"
	"strings"
)

// A feed's title and description say what it is. The title is what a
// reader's list shows, so it is short and human: the source, then at most
// titleParts conditions in their short form (a topic's name, a seed's
// title, one count each), and "and N more" past that. The description
// keeps the whole story: the source, every condition, what the items are
// (papers, or digests of periods), the order of the items and the dates
// they take.

// changing: whether the query has any condition on a changing value.
func changing(q Query) bool { any, _ := q.changing(); return any }

// words are what a query's title and description say.
type words struct{ Query }

// titleParts bounds the conditions a title names.
const titleParts = 4

// Title names the feed after its filter, e.g. "Daily Papers: agents,
// 20+ upvotes, with code" or "Daily Papers: trending, daily digest, top
// 10".
func (q Query) Title() string {
	w := words{q}
	return w.titled(w.shortParts(true))
}

// PeriodTitle is the title of one digest item's period: the feed's title
// without its digest part ("Daily Papers: agents").
func (q Query) PeriodTitle() string { w := words{q}; return w.titled(w.shortParts(false)) }

// NamedTitle is the title of a saved filter served under a name (a
// topic): the source, the name in place of the saved conditions, then
// what own, the request's own parameters, adds ("Daily Papers: agents,
// 20+ upvotes").
func (q Query) NamedTitle(name string, own Query) string {
	own.Seeds = q.Seeds // own's like= names its seeds as the whole query does
	return words{q}.titled(append([]string{name}, words{own}.shortParts(true)...))
}

func (q words) titled(parts []string) string {
	if len(parts) == 0 {
		return q.sourceName()
	}
	if len(parts) > titleParts {
		more := len(parts) - (titleParts - 1)
		parts = append(parts[:titleParts-1:titleParts-1], fmt.Sprintf("and %d more", more))
	}
	return q.sourceName() + ": " + strings.Join(parts, ", ")
}

// shortParts are the title's conditions, most telling first; digest
// adds the digest part.
func (q words) shortParts(digest bool) []string {
	var p []string
	if q.Sort == SortTrending {
		if h := q.gainHours(); h != DefaultGainHours {
			p = append(p, "trending over "+hours(h))
		} else {
			p = append(p, "trending")
		}
	}
	if len(q.Like) > 0 {
		p = append(p, q.likePart())
	}
	if !q.Keywords.Empty() {
		p = append(p, shorten(q.Keywords.String(), 40))
	}
	if q.MinGain > 0 {
		if q.Sort == SortTrending {
			p = append(p, fmt.Sprintf("gained %d+ in %s", q.MinGain, hours(q.gainHours())))
		} else {
			p = append(p, fmt.Sprintf("gained %d+ upvotes in %s", q.MinGain, hours(q.gainHours())))
		}
	}
	// The rest as the description says them, minus what is said above.
	p = append(p, q.conditionParts()...)
	if digest {
		if d := q.digestPart(); d != "" {
			p = append(p, d)
		}
	}
	return p
}

func (q words) sourceName() string {
	switch q.Source {
	case SourceArxiv:
		return "arXiv papers"
	case SourceAll:
		return "Daily Papers + arXiv"
	}
	return "Daily Papers"
}

// digestPart: "daily digest, top 10".
func (q words) digestPart() string {
	kind := map[string]string{"day": "daily", "week": "weekly", "month": "monthly"}[q.Digest]
	if kind == "" {
		return ""
	}
	return fmt.Sprintf("%s digest, top %d", kind, q.DigestSize)
}

// Description is a sentence for the feed's description: what it holds,
// in which order, dated how.
func (q Query) Description() string {
	w := words{q}
	var src string
	switch q.Source {
	case SourceArxiv:
		src = "Papers announced on arXiv in the followed categories"
	case SourceAll:
		src = "Hugging Face Daily Papers and papers announced on arXiv"
	default:
		src = "Hugging Face Daily Papers"
	}
	parts := w.describeParts()
	var b strings.Builder
	b.WriteString(src)
	if len(parts) > 0 {
		b.WriteString(" filtered by: " + strings.Join(parts, "; "))
	}
	if q.Digest != "" {
		period := map[string]string{"day": "listing day", "week": "week", "month": "month"}[q.Digest]
		fmt.Fprintf(&b, ". One item per closed %s, newest first, dated when the %s closed, listing its top %d papers, %s",
			period, period, q.DigestSize, w.orderWords(true))
		return b.String() + "."
	}
	b.WriteString("; " + w.orderWords(false))
	switch {
	case isTrue(q.Revised) && !q.Facts.changing() && q.ItemDates():
		b.WriteString("; one item per new version, dated when it was posted")
	case q.ItemDates():
		b.WriteString("; each paper dated when it met the conditions")
	case changing(q):
		b.WriteString("; each paper dated by its listing day")
	}
	if q.OwnGUIDs() {
		b.WriteString("; item GUIDs are this feed's own")
	}
	return b.String() + "."
}

// orderWords say the order of the items (or of a digest's papers).
func (q words) orderWords(digest bool) string {
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

func (q words) gainHours() int {
	if q.GainHours == 0 {
		return DefaultGainHours
	}
	return q.GainHours
}

func hours(n int) string { return fmt.Sprintf("%d h", n) }

func (q words) describeParts() []string {
	var p []string
	if len(q.Like) > 0 {
		p = append(p, q.likePart())
	}
	if !q.Keywords.Empty() {
		p = append(p, q.Keywords.String())
	}
	if q.MinGain > 0 {
		p = append(p, fmt.Sprintf("gained %d+ upvotes in %s", q.MinGain, hours(q.gainHours())))
	}
	return append(p, q.conditionParts()...)
}

// conditionParts say every condition but the seeds, the keywords and
// the gain, which title and description say each their own way: the
// words of the parameters' entries (params.go), in the table's order.
func (q words) conditionParts() []string { return q.tableWords() }

// likePart names the seeds of like=: by title when it is known ("more
// like “Title” and 2 more"), else by ID; unliked seeds likewise.
func (q words) likePart() string {
	name := func(id string) string {
		for _, s := range q.Seeds {
			if s != nil && s.ID == id && s.Title != "" {
				return "“" + shorten(s.Title, 60) + "”"
			}
		}
		return id
	}
	first := name(q.Like[0])
	more := "more like " + first
	switch {
	case len(q.Like) == 2 && first == q.Like[0]:
		more += ", " + name(q.Like[1])
	case len(q.Like) > 1:
		more += fmt.Sprintf(" and %d more", len(q.Like)-1)
	}
	switch len(q.Unlike) {
	case 0:
	case 1:
		more += ", less like " + name(q.Unlike[0])
	default:
		more += fmt.Sprintf(", less like %d papers", len(q.Unlike))
	}
	return more
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
