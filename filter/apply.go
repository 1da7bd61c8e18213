package filter

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"paperfeed/feed"
)

// Apply returns the indexed papers the query keeps, sorted and limited.
// now is used only by filter_time. The input is never modified.
func (q Query) Apply(ix *Index, now time.Time) []*feed.Paper {
	days := q.dayRange(ix)
	if q.RSSHub.active() {
		q.RSSHub.compile()
	}
	fieldsText := q.fieldSelector()
	var out []*feed.Paper
	for i, p := range ix.papers {
		d := &ix.docs[i]
		if !q.matchSource(p) || !days.contains(p.Day()) {
			continue
		}
		if q.FilterTime > 0 && p.Day().Before(now.Add(-q.FilterTime).Truncate(24*time.Hour)) {
			continue
		}
		if p.Upvotes < q.MinUpvotes || p.GitHubStars < q.MinStars || p.Comments < q.MinComments {
			continue
		}
		if q.HasCode != nil && p.HasCode() != *q.HasCode {
			continue
		}
		if len(q.Categories) > 0 && !matchCategories(q.Categories, d.categories) {
			continue
		}
		if len(q.Authors) > 0 && !containsAny(d.authors, q.Authors) {
			continue
		}
		if len(q.Orgs) > 0 && !containsAny([]string{d.org}, q.Orgs) {
			continue
		}
		if !q.Keywords.Empty() && !q.Keywords.Match(fieldsText(d)) {
			continue
		}
		if q.RSSHub.active() && !q.RSSHub.match(rsshubItem{
			title:       p.Title,
			description: p.Abstract + "\n" + p.AISummary,
			authors:     p.Authors,
			categories:  p.FeedCategories(),
		}) {
			continue
		}
		out = append(out, p)
	}
	q.sort(out)
	if len(out) > q.Limit && q.Limit > 0 {
		out = out[:q.Limit]
	}
	return out
}

func (q *Query) matchSource(p *feed.Paper) bool {
	switch q.Source {
	case SourceArxiv:
		if !p.OnArxiv {
			return false
		}
	case SourceAll:
	default:
		if !p.OnHF {
			return false
		}
	}
	if len(q.Announce) > 0 && !slices.Contains(q.Announce, p.AnnounceType) {
		return false
	}
	return true
}

// fieldSelector returns the folded text q searches, per the in parameter.
func (q *Query) fieldSelector() func(d *doc) string {
	var t, a, k, au bool
	for _, f := range q.In {
		switch f {
		case "title":
			t = true
		case "abstract":
			a = true
		case "keywords":
			k = true
		case "authors":
			au = true
		}
	}
	if t && a && k && !au { // the default: avoid building a string
		return func(d *doc) string { return d.title + d.abstract + d.keywords }
	}
	return func(d *doc) string {
		var b strings.Builder
		if t {
			b.WriteString(d.title)
		}
		if a {
			b.WriteString(d.abstract)
		}
		if k {
			b.WriteString(d.keywords)
		}
		if au {
			b.WriteString(" " + d.authorsText + " ")
		}
		return b.String()
	}
}

// matchCategories: any wanted category may match; a bare archive ("cs")
// matches every category of that archive.
func matchCategories(want, have []string) bool {
	for _, w := range want {
		lw := strings.ToLower(w)
		archive := !strings.Contains(lw, ".")
		for _, h := range have {
			if h == lw || (archive && strings.HasPrefix(h, lw+".")) || (archive && h == lw) {
				return true
			}
		}
	}
	return false
}

// containsAny reports whether some folded entry contains some wanted
// folded substring.
func containsAny(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.Contains(h, w) {
				return true
			}
		}
	}
	return false
}

// dayRange is an inclusive range of days; zero ends are open.
type dayRange struct{ from, to time.Time }

func (r dayRange) contains(d time.Time) bool {
	return (r.from.IsZero() || !d.Before(r.from)) && (r.to.IsZero() || !d.After(r.to))
}

func (q *Query) dayRange(ix *Index) dayRange {
	r := dayRange{from: q.Since, to: q.Until}
	if from, to := q.PeriodRange(); !from.IsZero() {
		r = dayRange{from: from, to: to}
	}
	if q.Days > 0 {
		// The N newest days among the papers of the chosen source.
		var days []time.Time
		for _, p := range ix.papers {
			if q.matchSource(p) {
				days = append(days, p.Day())
			}
		}
		slices.SortFunc(days, func(a, b time.Time) int { return b.Compare(a) })
		days = slices.CompactFunc(days, time.Time.Equal)
		if len(days) >= q.Days {
			r.from = days[q.Days-1]
		}
	}
	return r
}

func (q *Query) sort(ps []*feed.Paper) {
	var key func(p *feed.Paper) int
	switch q.Sort {
	case SortUpvotes:
		key = func(p *feed.Paper) int { return p.Upvotes }
	case SortStars:
		key = func(p *feed.Paper) int { return p.GitHubStars }
	case SortComments:
		key = func(p *feed.Paper) int { return p.Comments }
	default:
		return // the index is already newest day first, then upvotes
	}
	slices.SortStableFunc(ps, func(a, b *feed.Paper) int {
		if c := cmp.Compare(key(b), key(a)); c != 0 {
			return c
		}
		return b.Day().Compare(a.Day())
	})
}
