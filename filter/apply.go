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

// Apply returns the items of the indexed papers the query keeps, sorted
// and limited, with the dates, gains and notes the query gives them (see
// rising.go). now is read by filter_time and the gains. The input is
// never modified. The error is an *Error when the regex filters would
// cost more than allowed (see regex.go), or wraps ctx's error when ctx
// ended while matching.
func (q Query) Apply(ctx context.Context, ix *Index, now time.Time) ([]feed.Item, error) {
	pos, qualified, err := q.keep(ctx, ix, now)
	if err != nil {
		return nil, err
	}
	var scores []float64
	var closest []string
	if len(q.Like) > 0 {
		pos, qualified, scores, closest = q.similar(ix, pos, qualified)
	}
	items := make([]feed.Item, len(pos))
	for n, i := range pos {
		p := ix.papers[i]
		it := feed.Item{Paper: p}
		if at := qualified[n]; !at.IsZero() {
			if q.ItemDates() {
				it.Date = at
			}
			it.Notes = append(it.Notes, "Met this feed's conditions on "+at.UTC().Format("Mon 2 Jan 15:04 UTC")+
				" (listed "+p.Day().Format("Mon 2 Jan")+")")
		}
		if q.HasCode != nil && *q.HasCode {
			if since := ix.codeSince(i); !since.IsZero() {
				it.Notes = append(it.Notes, "Code since "+since.UTC().Format("Mon 2 Jan"))
			}
		}
		if q.Rising() {
			it.Gain, it.GainHours = q.gain(ix, i, now), q.GainHours
		}
		if scores != nil {
			it.Similarity, it.CloseTo = scores[n], closest[n]
		}
		items[n] = it
	}
	keepTop := 0
	if q.Limit > 0 && q.Digest == "" {
		keepTop = q.Limit
	}
	items = q.sortItems(items, keepTop)
	if len(items) > q.Limit && q.Limit > 0 && q.Digest == "" {
		items = items[:q.Limit]
	}
	return items, nil
}

// keep returns the positions of the papers that pass every condition,
// in index order, with when each qualified (zero: on its listing day, or
// no condition on a changing value).
func (q Query) keep(ctx context.Context, ix *Index, now time.Time) ([]int, []time.Time, error) {
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
	qualAt := map[int]time.Time{}
	changing := q.changing()
	for i, p := range ix.papers {
		if kw != nil && !kw.has(i) {
			continue
		}
		d := &ix.docs[i]
		if !q.matchSource(p) || !days.contains(d.day) || d.day < oldest {
			continue
		}
		if changing {
			at, ok := q.qualified(ix, i, now)
			if !ok {
				continue
			}
			if !at.IsZero() {
				qualAt[i] = at
			}
		}
		if q.HasCode != nil && !*q.HasCode && p.HasCode() {
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
		return nil, nil, err
	}
	at := make([]time.Time, len(keep))
	for n, i := range keep {
		at[n] = qualAt[i]
	}
	return keep, at, nil
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

// sortItems orders items: by date (the items' own, newest first; the
// index's order among equals), by a count, or by gain (trending, ties by
// total upvotes); then newest day first, then the index's order. Keys
// are read once and indices sorted, not the items themselves. With top
// > 0 only the first top items are needed: they are selected with a
// bounded heap before sorting, so a short feed of many papers does not
// sort them all.
func (q *Query) sortItems(items []feed.Item, top int) []feed.Item {
	if (q.Sort == SortDate || q.Sort == "") && !q.ItemDates() {
		return items // the index is already newest day first, then upvotes
	}
	rs := make([]rank, len(items))
	for i := range items {
		it := &items[i]
		r := rank{i: i, day: it.Paper.Day().Unix()}
		switch q.Sort {
		case SortUpvotes:
			r.key = it.Paper.Upvotes
		case SortStars:
			r.key = it.Paper.GitHubStars
		case SortComments:
			r.key = it.Paper.Comments
		case SortTrending:
			r.key, r.tie = it.Gain, it.Paper.Upvotes
		case SortSimilarity:
			r.key64, r.tie = int64(it.Similarity*1e12), it.Paper.Upvotes
		default: // by the items' dates
			r.key64 = it.When().UnixNano()
			r.day = 0
		}
		rs[i] = r
	}
	if top > 0 && top < len(rs)/2 {
		rs = topRanks(rs, top)
	}
	slices.SortFunc(rs, rank.cmp)
	out := make([]feed.Item, len(rs))
	for n, r := range rs {
		out[n] = items[r.i]
	}
	return out
}

// rank is an item's sort keys: greater first, then the index's order.
type rank struct {
	i          int
	key, tie   int
	key64, day int64
}

func (a rank) cmp(b rank) int {
	if c := cmp.Compare(b.key, a.key); c != 0 {
		return c
	}
	if c := cmp.Compare(b.key64, a.key64); c != 0 {
		return c
	}
	if c := cmp.Compare(b.tie, a.tie); c != 0 {
		return c
	}
	if c := cmp.Compare(b.day, a.day); c != 0 {
		return c
	}
	return cmp.Compare(a.i, b.i)
}

// topRanks keeps the k first ranks (in no order), with a heap of the k
// best seen whose root is the worst of them.
func topRanks(rs []rank, k int) []rank {
	h := append([]rank(nil), rs[:k]...)
	worse := func(a, b rank) bool { return a.cmp(b) > 0 } // a sorts after b
	down := func(i int) {
		for {
			l, w := 2*i+1, i
			if l < len(h) && worse(h[l], h[w]) {
				w = l
			}
			if r := l + 1; r < len(h) && worse(h[r], h[w]) {
				w = r
			}
			if w == i {
				return
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for _, r := range rs[k:] {
		if r.cmp(h[0]) < 0 { // r sorts before the worst kept
			h[0] = r
			down(0)
		}
	}
	return h
}

// TopByUpvotes returns the k most upvoted items, most upvoted first (ties
// in the given order).
func TopByUpvotes(items []feed.Item, k int) []feed.Item {
	rs := make([]rank, len(items))
	for i := range items {
		rs[i] = rank{i: i, key: items[i].Paper.Upvotes}
	}
	if k > 0 && k < len(rs)/2 {
		rs = topRanks(rs, k)
	}
	slices.SortFunc(rs, rank.cmp)
	out := make([]feed.Item, 0, min(k, len(rs)))
	for _, r := range rs[:min(k, len(rs))] {
		out = append(out, items[r.i])
	}
	return out
}

// similar scores the kept papers (positions, with their qualification
// times) against the seeds, drops the seeds themselves and the papers
// under min_similarity, and returns what is left with scores and each
// closest seed's title.
func (q *Query) similar(ix *Index, pos []int, qual []time.Time) ([]int, []time.Time, []float64, []string) {
	sv := ix.vectors()
	seeds, titles := q.seedVectors(ix)
	sc := newScorer(len(sv.idf), seeds)
	var out []int
	var at []time.Time
	var scores []float64
	var closest []string
	for n, i := range pos {
		if slices.Contains(q.Like, ix.papers[i].ID) {
			continue
		}
		s, which := sc.best(sv.vecs[i])
		if which < 0 || s < q.MinSimilarity {
			continue
		}
		out, at = append(out, i), append(at, qual[n])
		scores = append(scores, s)
		closest = append(closest, titles[which])
	}
	return out, at, scores, closest
}
