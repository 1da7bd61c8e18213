package filter

import (
	"cmp"
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"paperfeed/feed"
)

// Apply returns the indexed papers the query keeps, sorted and limited.
// now is used only by filter_time. The input is never modified. The
// error is an *Error when the regex filters would cost more than allowed
// (see regex.go), or wraps ctx's error when ctx ended while matching.
func (q Query) Apply(ctx context.Context, ix *Index, now time.Time) ([]*feed.Paper, error) {
	days := q.dayRange(ix)
	oldest := int64(math.MinInt64)
	if q.FilterTime > 0 {
		oldest = now.Add(-q.FilterTime).Truncate(24 * time.Hour).Unix()
	}
	var kw bitset
	if !q.Keywords.Empty() {
		kw = ix.keywordSet(q.Keywords, q.fieldIDs())
	}
	cats := make([]string, len(q.Categories))
	for i, c := range q.Categories {
		cats[i] = strings.ToLower(c)
	}
	var keep []int
	for i, p := range ix.papers {
		if kw != nil && !kw.has(i) {
			continue
		}
		d := &ix.docs[i]
		if !q.matchSource(p) || !days.contains(d.day) || d.day < oldest {
			continue
		}
		if p.Upvotes < q.MinUpvotes || p.GitHubStars < q.MinStars || p.Comments < q.MinComments {
			continue
		}
		if q.HasCode != nil && p.HasCode() != *q.HasCode {
			continue
		}
		if len(cats) > 0 && !matchCategories(cats, d.categories) {
			continue
		}
		if len(q.Authors) > 0 && !containsAny(d.authors, q.Authors) {
			continue
		}
		if len(q.Orgs) > 0 && !containsAny([]string{d.org}, q.Orgs) {
			continue
		}
		keep = append(keep, i)
	}
	keep, err := ix.regexFilter(ctx, &q.RSSHub, keep)
	if err != nil {
		return nil, err
	}
	out := make([]*feed.Paper, len(keep))
	for n, i := range keep {
		out[n] = ix.papers[i]
	}
	q.sort(out)
	if len(out) > q.Limit && q.Limit > 0 {
		out = out[:q.Limit]
	}
	return out, nil
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

// fieldIDs are the fields q searches, per the in parameter.
func (q *Query) fieldIDs() []int {
	out := make([]int, 0, len(q.In))
	for _, f := range q.In {
		out = append(out, fieldByName[f])
	}
	return out
}

// matchCategories: any wanted category (lower case) may match; a bare
// archive ("cs") matches every category of that archive.
func matchCategories(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if h == w || (len(h) > len(w) && h[len(w)] == '.' && h[:len(w)] == w) {
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

// dayRange is an inclusive range of days in Unix seconds.
type dayRange struct{ from, to int64 }

func (r dayRange) contains(d int64) bool { return d >= r.from && d <= r.to }

func (q *Query) dayRange(ix *Index) dayRange {
	r := dayRange{from: math.MinInt64, to: math.MaxInt64}
	if !q.Since.IsZero() {
		r.from = q.Since.Unix()
	}
	if !q.Until.IsZero() {
		r.to = q.Until.Unix()
	}
	if from, to := q.PeriodRange(); !from.IsZero() {
		r = dayRange{from: from.Unix(), to: to.Unix()}
	}
	if q.Days > 0 {
		// The N newest days among the papers of the chosen source.
		seen := map[int64]bool{}
		for i, p := range ix.papers {
			if q.matchSource(p) {
				seen[ix.docs[i].day] = true
			}
		}
		days := slices.Sorted(maps.Keys(seen))
		if len(days) >= q.Days {
			r.from = days[len(days)-q.Days]
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
