package filter

import (
	"time"

	"paperfeed/feed"
)

// What is rising, read from each paper's history of counts:
//
//   - A condition on a value that changes after listing (min_upvotes,
//     min_comments, min_stars, has_code=1, min_gain) is met at the first
//     moment the history shows all of them met at once. A paper that met
//     them when first seen qualified on its listing day. Once qualified,
//     a paper stays: a count that drops later does not remove it.
//   - With date_by=qualified (the default when such a condition is
//     present) an item's date is that moment; with date_by=listed it is
//     the listing day.
//   - The gain over gain_hours (default 24) is upvotes now minus upvotes
//     at the start of the span: a paper whose listing day began inside
//     the span started at 0; an older paper first seen after the span
//     began starts at the first count seen.
//   - sort=trending orders by that gain, ties by total upvotes.
//
// A paper without history (arXiv-only papers, or one not yet recorded)
// is judged by its counts now.

// History holds recorded counts, oldest first, by paper ID.
type History map[string][]feed.Point

// SetHistory gives the index the papers' history. Call it before the
// index is shared.
func (ix *Index) SetHistory(h History) {
	ix.hist = make([][]feed.Point, len(ix.papers))
	for i, p := range ix.papers {
		ix.hist[i] = h[p.ID]
	}
}

// history is the recorded counts of the paper at position i.
func (ix *Index) history(i int) []feed.Point {
	if ix.hist == nil {
		return nil
	}
	return ix.hist[i]
}

// series is the history of the paper at position i, ending with its
// counts now.
func (ix *Index) series(i int) []feed.Point {
	p := ix.papers[i]
	h := ix.history(i)
	now := feed.PointOf(p, p.Changed)
	if n := len(h); n > 0 && h[n-1].Same(now) {
		return h
	}
	if n := len(h); n > 0 && now.At.Before(h[n-1].At) {
		now.At = h[n-1].At
	}
	out := make([]feed.Point, len(h), len(h)+1)
	copy(out, h)
	return append(out, now)
}

// countAt is the last point at or before t.
func countAt(s []feed.Point, t time.Time) (feed.Point, bool) {
	var pt feed.Point
	ok := false
	for _, x := range s {
		if x.At.After(t) {
			break
		}
		pt, ok = x, true
	}
	return pt, ok
}

// gainAt is the upvotes gained in the span ending at t.
func gainAt(p *feed.Paper, s []feed.Point, t time.Time, span time.Duration) int {
	cur, ok := countAt(s, t)
	if !ok {
		return 0
	}
	start := t.Add(-span)
	switch {
	case !p.ListedOn.IsZero() && !p.ListedOn.Before(start):
		return cur.Upvotes // listed inside the span: it started at 0
	}
	if base, ok := countAt(s, start); ok {
		return cur.Upvotes - base.Upvotes
	}
	return cur.Upvotes - s[0].Upvotes // first seen after the span began
}

// meets reports whether a point meets the query's conditions on changing
// values.
func (sel selection) meets(p *feed.Paper, s []feed.Point, pt feed.Point) bool {
	q := sel.q
	if pt.Upvotes < q.MinUpvotes || pt.Comments < q.MinComments || pt.Stars < q.MinStars {
		return false
	}
	if q.HasCode != nil && *q.HasCode && !pt.Code {
		return false
	}
	if !q.Facts.meets(pt) {
		return false
	}
	return q.MinGain == 0 || gainAt(p, s, pt.At, sel.span()) >= q.MinGain
}

func (s selection) span() time.Duration {
	q := s.q
	h := q.GainHours
	if h == 0 {
		h = DefaultGainHours
	}
	return time.Duration(h) * time.Hour
}

// qualified reports whether a paper ever met the conditions on changing
// values and when: zero when it met them on first sight (its listing day
// stands).
func (s selection) qualified(i int) (time.Time, bool) {
	q, ix, now := s.q, s.ix, s.now
	p := ix.papers[i]
	h := ix.history(i)
	if len(h) == 0 {
		// No history: judged by its counts now (min_gain reads as no gain).
		if q.MinGain > 0 {
			return time.Time{}, false
		}
		return time.Time{}, s.meets(p, nil, feed.PointOf(p, now))
	}
	var hist []feed.Point // the whole series, only for gains
	if q.MinGain > 0 {
		hist = ix.series(i)
	}
	for n, pt := range h {
		if s.meets(p, hist, pt) {
			if n == 0 {
				return time.Time{}, true
			}
			return pt.At, true
		}
	}
	cur := feed.PointOf(p, p.Changed)
	if last := h[len(h)-1]; !last.Same(cur) {
		if cur.At.Before(last.At) {
			cur.At = last.At
		}
		if s.meets(p, hist, cur) {
			return cur.At, true
		}
	}
	return time.Time{}, false
}

// codeSince is when a paper's code first appeared after it was first
// seen (zero when it had code from the start, has none, or no history).
func (ix *Index) codeSince(i int) time.Time {
	p := ix.papers[i]
	h := ix.history(i)
	if len(h) == 0 || h[0].Code {
		return time.Time{}
	}
	for _, pt := range h {
		if pt.Code {
			return pt.At
		}
	}
	if p.HasCode() {
		at := p.Changed
		if last := h[len(h)-1].At; at.Before(last) {
			at = last
		}
		return at
	}
	return time.Time{}
}

// gainSince is a paper's upvotes gained since the span's start: its
// count now less its count then (see the rules above).
func gainSince(p *feed.Paper, h []feed.Point, start time.Time) int {
	if len(h) == 0 {
		return 0
	}
	if !p.ListedOn.IsZero() && !p.ListedOn.Before(start) {
		return p.Upvotes // listed inside the span: it started at 0
	}
	base, found := 0, false
	for _, pt := range h {
		if pt.At.After(start) {
			break
		}
		base, found = pt.Upvotes, true
	}
	if !found {
		base = h[0].Upvotes // first seen after the span began
	}
	return p.Upvotes - base
}
