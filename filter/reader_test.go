package filter

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A simulated reader over the dev queries, on the service's ranking
// code (Query.similar over the evaluation set): a personal feed of the
// query's 3 seeds, read 10 items at a time; "more" on the relevant ones
// and "less" on the others, then the next 10 items not read yet. The
// handler-level run of the same reader is internal/server's
// TestSimulatedReader; this one is fast enough to compare weights.

// readerRounds are the P@10 of the items a reader reads in rounds 1-3,
// with votes and without (the same feed's items 11-20 and 21-30).
type readerRounds struct {
	votes, plain [3]float64
}

// rankIDs is the service's ranking of the whole collection for seeds,
// votes and unliked papers, best first.
func rankIDs(ix *Index, all []int, like, more, less []string) []int {
	q := Query{MinSimilarity: 0}
	q.SetSeeds(Seeds{Like: append(slices.Clip(like), more...), Unlike: less, More: more, Less: less})
	pos, _, scores, _ := (selection{q: &q, ix: ix}).similar(all, nil)
	order := slices.Clone(pos)
	rank := map[int]float64{}
	for n, i := range pos {
		rank[i] = scores[n]
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rank[a] > rank[b]:
			return -1
		case rank[a] < rank[b]:
			return 1
		}
		return 0
	})
	return order
}

// simulateReader runs the reader over the queries.
func simulateReader(ix *Index, qs []cvQuery) readerRounds {
	all := make([]int, len(ix.papers))
	for i := range all {
		all[i] = i
	}
	var r readerRounds
	for _, cq := range qs {
		var like []string
		for _, s := range cq.seeds {
			like = append(like, ix.papers[s].ID)
		}
		var more, less []string
		read := map[int]bool{}
		plain := rankIDs(ix, all, like, nil, nil)
		for round := range 3 {
			order := plain
			if round > 0 {
				order = rankIDs(ix, all, like, more, less)
			}
			var batch []int
			for _, i := range order {
				if !read[i] {
					batch = append(batch, i)
					if len(batch) == 10 {
						break
					}
				}
			}
			for _, i := range batch {
				read[i] = true
				if cq.rel[i] {
					r.votes[round] += 0.1 / float64(len(qs))
					more = append(more, ix.papers[i].ID)
				} else {
					less = append(less, ix.papers[i].ID)
				}
			}
			for _, i := range plain[10*round : min(len(plain), 10*round+10)] {
				if cq.rel[i] {
					r.plain[round] += 0.1 / float64(len(qs))
				}
			}
		}
	}
	return r
}

// nudge is how many of the other 9 items of a feed's top 10 one "less"
// vote pushes out of the top 10, on average over the queries and the
// items voted on (positions picks them: 0-9).
func nudge(ix *Index, qs []cvQuery, positions []int) float64 {
	all := make([]int, len(ix.papers))
	for i := range all {
		all[i] = i
	}
	var out, n float64
	for _, cq := range qs {
		var like []string
		for _, s := range cq.seeds {
			like = append(like, ix.papers[s].ID)
		}
		top := rankIDs(ix, all, like, nil, nil)[:10]
		for _, k := range positions {
			after := rankIDs(ix, all, like, nil, []string{ix.papers[top[k]].ID})
			after = after[:min(10, len(after))]
			for j, i := range top {
				if j != k && !slices.Contains(after, i) {
					out++
				}
			}
			n++
		}
	}
	return out / n
}

// TestReaderWeights compares the weight of "less" votes (and of the
// feedback) with the simulated reader: -eval.cv.
func TestReaderWeights(t *testing.T) {
	if !*evalCV {
		t.Skip("the long evaluation runs with -eval.cv")
	}
	papers, _ := loadEval(t)
	s := loadCV(t)
	ix := NewIndex(papers)
	saved := weights
	defer func() { weights = saved }()
	var report strings.Builder
	base := rankWeights{feedbackPapers: FeedbackPapers, feedback: FeedbackWeight, unlike: UnlikeWeight, lessFloor: 1, feedbackVoted: FeedbackWeight}
	with := func(f func(w *rankWeights)) rankWeights { w := base; f(&w); return w }
	for _, w := range []rankWeights{
		saved, // the chosen weights
		with(func(w *rankWeights) {}),
		with(func(w *rankWeights) { w.less = 0.1 }),
		with(func(w *rankWeights) { w.less = 0.25 }),
		with(func(w *rankWeights) { w.less = 0.5 }),
		with(func(w *rankWeights) { w.less = 1 }),
		with(func(w *rankWeights) { w.less, w.lessFloor = 0.75, 5 }),
		with(func(w *rankWeights) { w.less, w.lessFloor = 0.5, 8 }),
		with(func(w *rankWeights) { w.less, w.lessOwn = 0.5, true }),
		with(func(w *rankWeights) { w.less, w.lessOwn = 1, true }),
		with(func(w *rankWeights) { w.lessMargin = 0.5 }),
		with(func(w *rankWeights) { w.less, w.lessFloor, w.lessMargin = 0.5, 5, 0.5 }),
		with(func(w *rankWeights) { w.moreGroup = true }),
	} {
		weights = w
		r := simulateReader(ix, s.qs)
		nu := nudge(ix, s.qs, []int{0, 3, 6, 9})
		fmt.Fprintf(&report, "| %+v | %.3f | %.3f / %.3f (%.2fx) | %.3f / %.3f (%.2fx) | %.2f |\n", w, r.votes[0],
			r.votes[1], r.plain[1], r.votes[1]/r.plain[1], r.votes[2], r.plain[2], r.votes[2]/r.plain[2], nu)
	}
	t.Logf("\n| weights | round 1 | round 2 votes / plain | round 3 votes / plain | nudge |\n|---|---|---|---|---|\n%s", report.String())
}
