package filter

import (
	"cmp"
	"slices"
	"time"
)

// Ranking by similarity: the seeds' vectors, Rocchio's query, the scorer
// and the two passes of pseudo-relevance feedback (similar.go has the
// rules and the vectors).

// seedSet are the vectors of a query's seeds: liked (with the papers
// voted "more"), unliked, and voted "less"; titles are the liked ones'.
type seedSet struct {
	pos, neg, less [][]wterm
	titles         []string
	posIDs         []string
	voted          bool // a reader voted
	isMore         []bool
}

// seedVectors are the vectors of the query's seeds: the papers set in
// Seeds, else those of the index named in Like and Unlike.
func (s selection) seedVectors() seedSet {
	q, ix := s.q, s.ix
	sv := ix.vectors()
	seeds := q.Seeds
	if len(seeds) == 0 {
		for _, id := range append(slices.Clip(q.Like), q.Unlike...) {
			if i, ok := sv.byID[id]; ok {
				seeds = append(seeds, ix.papers[i])
			}
		}
	}
	ss := seedSet{voted: len(q.More)+len(q.Less) > 0}
	for _, s := range seeds {
		switch {
		case s == nil:
		case slices.Contains(q.Unlike, s.ID) && slices.Contains(q.Less, s.ID):
			ss.less = append(ss.less, sv.vectorOf(s))
		case slices.Contains(q.Unlike, s.ID):
			ss.neg = append(ss.neg, sv.vectorOf(s))
		case slices.Contains(q.Like, s.ID):
			ss.pos = append(ss.pos, sv.vectorOf(s))
			ss.titles = append(ss.titles, s.Title)
			ss.posIDs = append(ss.posIDs, s.ID)
			ss.isMore = append(ss.isMore, slices.Contains(q.More, s.ID))
		}
	}
	return ss
}

// rankWeights are the constants of similar.go as the ranking reads
// them (the evaluation varies them to measure the alternatives).
type rankWeights struct {
	feedbackPapers         int
	feedback, unlike, less float32
	lessFloor              int     // "less" votes are averaged over at least this many
	feedbackVoted          float32 // the feedback's weight once there are votes
	lessOwn                bool    // "less" takes only terms no liked paper has
	lessMargin             float32 // of how much closer a paper is to a "less" paper than to a liked one
	moreGroup              bool    // the "more" votes' mean weighs as much as the seeds'
}

var weights = rankWeights{feedbackPapers: FeedbackPapers, feedback: FeedbackWeight, unlike: UnlikeWeight, less: LessWeight,
	lessFloor: LessFloor, feedbackVoted: FeedbackWeight}

// queryVector is Rocchio's: the mean of the liked vectors plus
// FeedbackWeight times the mean of the feedback ones, minus UnlikeWeight
// times the mean of the unliked ones and LessWeight times the mean of
// the "less" ones; normalised.
func (ss *seedSet) queryVector(feedback [][]wterm) []wterm {
	sum := map[int32]float32{}
	liked := map[int32]bool{}
	if weights.lessOwn {
		for _, v := range ss.pos {
			for _, t := range v {
				liked[t.id] = true
			}
		}
	}
	fw := weights.feedback
	if ss.voted {
		fw = weights.feedbackVoted
	}
	seeds, more := ss.pos, [][]wterm(nil)
	if weights.moreGroup {
		seeds, more = nil, nil
		for k, v := range ss.pos {
			if ss.isMore[k] {
				more = append(more, v)
			} else {
				seeds = append(seeds, v)
			}
		}
	}
	for _, side := range []struct {
		vs    [][]wterm
		w     float32
		floor int
	}{{seeds, 1, 1}, {more, 1, 1}, {feedback, fw, 1}, {ss.neg, -weights.unlike, 1}, {ss.less, -weights.less, weights.lessFloor}} {
		n := float32(max(len(side.vs), side.floor))
		less := side.floor == weights.lessFloor && side.w == -weights.less && weights.lessOwn
		for _, v := range side.vs {
			for _, t := range v {
				if less && liked[t.id] {
					continue
				}
				sum[t.id] += side.w * t.w / n
			}
		}
	}
	out := make([]wterm, 0, len(sum))
	for id, w := range sum {
		out = append(out, wterm{id, w})
	}
	slices.SortFunc(out, func(a, b wterm) int { return int(a.id - b.id) })
	return normalize(out)
}

// scorer scores vectors against the seeds and the query vector at once:
// each term any of them has points into a table of their weights, so a
// paper's terms are read once and terms none has cost one look-up.
// Columns: the liked seeds, the unliked ones, the query vector last.
type scorer struct {
	slot           []int32     // term -> row of weights, -1 when none has it
	w              [][]float32 // per row, the weight in each column
	acc            []float32
	pos, neg, less int
}

func newScorer(vocab int, pos, neg, less [][]wterm, query []wterm) *scorer {
	cols := append(append(append(slices.Clip(pos), neg...), less...), query)
	sc := &scorer{slot: make([]int32, vocab), acc: make([]float32, len(cols)), pos: len(pos), neg: len(neg), less: len(less)}
	for i := range sc.slot {
		sc.slot[i] = -1
	}
	for c, v := range cols {
		for _, t := range v {
			if int(t.id) >= vocab {
				continue
			}
			r := sc.slot[t.id]
			if r < 0 {
				r = int32(len(sc.w))
				sc.slot[t.id] = r
				sc.w = append(sc.w, make([]float32, len(cols)))
			}
			sc.w[r][c] = t.w
		}
	}
	return sc
}

// score is a paper's cosine to the query and its closest liked seed
// other than column self (a paper voted "more" is not close to itself);
// which is -1 when the paper shares no term with a liked seed or is
// closer to an unliked seed than to every liked one (it is then left
// out); margin is how much closer the paper is to a paper voted "less"
// than to every liked one (0 when it is not).
func (sc *scorer) score(v []wterm, self int) (float64, int, float64) {
	clear(sc.acc)
	hit := false
	for _, t := range v {
		if r := sc.slot[t.id]; r >= 0 {
			hit = true
			for c, w := range sc.w[r] {
				sc.acc[c] += w * t.w
			}
		}
	}
	if !hit {
		return 0, -1, 0
	}
	best, which := float32(0), -1
	for c, a := range sc.acc[:sc.pos] {
		if a > best && c != self {
			best, which = a, c
		}
	}
	for _, a := range sc.acc[sc.pos : sc.pos+sc.neg] {
		if a > best {
			return 0, -1, 0
		}
	}
	if which < 0 {
		return 0, -1, 0
	}
	var margin float32
	for _, a := range sc.acc[sc.pos+sc.neg : sc.pos+sc.neg+sc.less] {
		margin = max(margin, a-best)
	}
	return float64(sc.acc[len(sc.acc)-1]), which, float64(margin)
}

// dot is a vector's product with the scorer's last column.
func (sc *scorer) dot(v []wterm) float64 {
	var s float32
	last := len(sc.acc) - 1
	for _, t := range v {
		if r := sc.slot[t.id]; r >= 0 {
			s += sc.w[r][last] * t.w
		}
	}
	return float64(s)
}

// hidden leaves out the papers of Hide.
func (s selection) hidden(pos []int, qual []time.Time) ([]int, []time.Time) {
	q, ix := s.q, s.ix
	var out []int
	var at []time.Time
	for n, i := range pos {
		if !slices.Contains(q.Hide, ix.papers[i].ID) {
			out = append(out, i)
			if qual != nil {
				at = append(at, qual[n])
			}
		}
	}
	return out, at
}

// similar scores the kept papers (positions, with their qualification
// times) against the seeds, drops the seeds themselves (but the papers
// voted "more") and the papers under min_similarity, and returns what
// is left with scores and each closest seed's title. Two passes: the
// first ranks by the seeds' query and picks the feedback papers, the
// second scores by the query they expand (similar.go).
func (s selection) similar(pos []int, qual []time.Time) ([]int, []time.Time, []float64, []string) {
	q, ix := s.q, s.ix
	sv := ix.vectors()
	ss := s.seedVectors()
	sc := newScorer(len(sv.idf), ss.pos, ss.neg, ss.less, ss.queryVector(nil))
	type cand struct {
		n, i, which int
		s, margin   float64
		liked       bool
	}
	var cands []cand
	for n, i := range pos {
		id := ix.papers[i].ID
		liked := slices.Contains(q.More, id)
		if !liked && (slices.Contains(q.Like, id) || slices.Contains(q.Unlike, id)) {
			continue
		}
		s, which, margin := sc.score(sv.vecs[i], slices.Index(ss.posIDs, id))
		if which < 0 {
			continue
		}
		cands = append(cands, cand{n: n, i: i, which: which, s: s, liked: liked, margin: margin})
	}
	// Feedback: the closest papers that are not liked already.
	byScore := make([]int, 0, len(cands))
	for c := range cands {
		if !cands[c].liked {
			byScore = append(byScore, c)
		}
	}
	slices.SortStableFunc(byScore, func(a, b int) int { return cmp.Compare(cands[b].s, cands[a].s) })
	var feedback [][]wterm
	for _, c := range byScore[:min(weights.feedbackPapers, len(byScore))] {
		feedback = append(feedback, sv.vecs[cands[c].i])
	}
	expanded := newScorer(len(sv.idf), nil, nil, nil, ss.queryVector(feedback))
	var out []int
	var at []time.Time
	var scores []float64
	var closest []string
	for _, c := range cands {
		s := expanded.dot(sv.vecs[c.i])
		if s < q.MinSimilarity {
			continue
		}
		s -= float64(weights.lessMargin) * c.margin
		if s <= 0 {
			continue
		}
		out, at = append(out, c.i), append(at, timeAt(qual, c.n))
		scores = append(scores, s)
		closest = append(closest, ss.titles[c.which])
	}
	return out, at, scores, closest
}
