package filter

import (
	"cmp"
	"slices"
)

// order returns, as indexes into pos, the papers the feed shows in its
// order: by date (the items' own, newest first; the index's order among
// equals), by a count, by gain (trending, ties by total upvotes) or by
// similarity; then newest day first, then the index's order. With top >
// 0 only the first top are wanted: they are selected with a bounded heap,
// so a short feed of many papers does not sort them all, and items are
// made for them alone.
func (s selection) order(k keptPapers, top int) []int {
	q, ix := s.q, s.ix
	pos, qualified, gains, scores := k.pos, k.qualified, k.gains, k.scores
	if (q.Sort == SortDate || q.Sort == "") && !q.ItemDates() {
		// The index is already newest day first, then upvotes.
		n := len(pos)
		if top > 0 && top < n {
			n = top
		}
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	rs := make([]rank, len(pos))
	for n, i := range pos {
		p := ix.papers[i]
		r := rank{i: n, day: p.Day().Unix()}
		switch q.Sort {
		case SortUpvotes:
			r.key = p.Upvotes
		case SortStars:
			r.key = p.GitHubStars
		case SortComments:
			r.key = p.Comments
		case SortTrending:
			r.key, r.tie = gains[n], p.Upvotes
		case SortSimilarity:
			r.key64, r.tie = int64(scores[n]*1e12), p.Upvotes
		default: // by the items' dates
			when := p.Day()
			if at := timeAt(qualified, n); q.ItemDates() && !at.IsZero() {
				when = at
			}
			r.key64, r.day = when.UnixNano(), 0
		}
		rs[n] = r
	}
	if top > 0 && top < len(rs)/2 {
		rs = topRanks(rs, top)
	}
	slices.SortFunc(rs, rank.cmp)
	if top > 0 && len(rs) > top {
		rs = rs[:top]
	}
	out := make([]int, len(rs))
	for k, r := range rs {
		out[k] = r.i
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
