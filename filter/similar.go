package filter

import (
	"math"
	"slices"
	"strings"
	"sync"

	"paperfeed/feed"
)

// More like these (like=ID,...): every paper of the feed is scored by
// its similarity to the seed papers, and the seeds themselves are left
// out.
//
//   - A paper is a TF-IDF vector over its title, abstract and AI keywords:
//     the words q searches (accent- and case-folded), stop words out, and
//     each pair of adjacent words as a term too (bigrams: see
//     similar_test.go for what they change). Term weight (1 + ln tf) ×
//     idf, idf = ln((N+1)/(df+1)) + 1 over the index's papers; vectors are
//     normalised. They are built once per index (one data version), on
//     first use.
//   - The score is the cosine similarity to the closest seed (best seed,
//     not the seeds' centroid: a reader's seeds are often of several
//     topics, and the centroid of two topics is close to neither; see
//     similar_test.go for the measurement).
//   - min_similarity (default DefaultMinSimilarity, chosen from the
//     measurement) drops weak matches; sort=similarity, the default with
//     like, orders by score.
//   - A seed the index does not hold is scored with the index's
//     vocabulary and idf; terms the index never saw add nothing.

// DefaultMinSimilarity drops papers that share little more than common
// words with every seed (see TestSimilarityQuality).
const DefaultMinSimilarity = 0.04

// useBigrams and bestSeed are the choices the measurement made.
const (
	useBigrams = true
	bestSeed   = true
)

// wterm is a weighted term of a similarity vector.
type wterm struct {
	id int32
	w  float32
}

// simVectors are the TF-IDF vectors of an index's papers.
type simVectors struct {
	vocab map[string]int32
	idf   []float32
	vecs  [][]wterm
	byID  map[string]int
}

type simState struct {
	once sync.Once
	v    *simVectors
}

func (ix *Index) vectors() *simVectors {
	ix.sim.once.Do(func() { ix.sim.v = buildVectors(ix.papers, useBigrams) })
	return ix.sim.v
}

// terms are a paper's terms: folded words without stop words, and, with
// bigrams, each pair of adjacent kept words.
func terms(p *feed.Paper, bigrams bool, withKeywords bool) []string {
	text := p.Title + " . " + p.Abstract
	if withKeywords {
		text += " . " + strings.Join(p.AIKeywords, " , ")
	}
	var out []string
	prev := ""
	for _, w := range strings.Fields(fold(text)) {
		if len(w) < 2 || stopWords[w] || isNumber(w) {
			prev = ""
			continue
		}
		out = append(out, w)
		if bigrams && prev != "" {
			out = append(out, prev+" "+w)
		}
		prev = w
	}
	return out
}

func isNumber(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

func buildVectors(papers []*feed.Paper, bigrams bool) *simVectors {
	return buildVectorsWith(papers, bigrams, true)
}

func buildVectorsWith(papers []*feed.Paper, bigrams, keywords bool) *simVectors {
	sv := &simVectors{vocab: map[string]int32{}, vecs: make([][]wterm, len(papers)), byID: make(map[string]int, len(papers))}
	counts := make([]map[int32]int, len(papers))
	var df []int32
	for i, p := range papers {
		sv.byID[p.ID] = i
		c := map[int32]int{}
		for _, t := range terms(p, bigrams, keywords) {
			id, ok := sv.vocab[t]
			if !ok {
				id = int32(len(sv.vocab))
				sv.vocab[t] = id
				df = append(df, 0)
			}
			if c[id] == 0 {
				df[id]++
			}
			c[id]++
		}
		counts[i] = c
	}
	n := float64(len(papers))
	sv.idf = make([]float32, len(df))
	for id, d := range df {
		sv.idf[id] = float32(math.Log((n+1)/(float64(d)+1)) + 1)
	}
	for i, c := range counts {
		sv.vecs[i] = sv.weigh(c)
	}
	return sv
}

// weigh turns term counts into a normalised vector sorted by term.
func (sv *simVectors) weigh(c map[int32]int) []wterm {
	v := make([]wterm, 0, len(c))
	var norm float64
	for id, n := range c {
		w := float32((1 + math.Log(float64(n))) * float64(sv.idf[id]))
		v = append(v, wterm{id, w})
		norm += float64(w) * float64(w)
	}
	if norm == 0 {
		return nil
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i].w *= inv
	}
	slices.SortFunc(v, func(a, b wterm) int { return int(a.id - b.id) })
	return v
}

// vectorOf is the vector of a paper the index may not hold, in the
// index's terms.
func (sv *simVectors) vectorOf(p *feed.Paper, bigrams bool) []wterm {
	if i, ok := sv.byID[p.ID]; ok {
		return sv.vecs[i]
	}
	c := map[int32]int{}
	for _, t := range terms(p, bigrams, true) {
		if id, ok := sv.vocab[t]; ok {
			c[id]++
		}
	}
	return sv.weigh(c)
}

func cosine(a, b []wterm) float64 {
	var s float32
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].id == b[j].id:
			s += a[i].w * b[j].w
			i++
			j++
		case a[i].id < b[j].id:
			i++
		default:
			j++
		}
	}
	return float64(s)
}

// centroid is the normalised mean of vectors.
func centroid(vs [][]wterm) []wterm {
	sum := map[int32]float32{}
	for _, v := range vs {
		for _, t := range v {
			sum[t.id] += t.w
		}
	}
	out := make([]wterm, 0, len(sum))
	var norm float64
	for id, w := range sum {
		out = append(out, wterm{id, w})
		norm += float64(w) * float64(w)
	}
	if norm == 0 {
		return nil
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range out {
		out[i].w *= inv
	}
	slices.SortFunc(out, func(a, b wterm) int { return int(a.id - b.id) })
	return out
}

// seedVectors are the vectors of the query's seeds: the papers set in
// Seeds, else those of the index named in Like.
func (q *Query) seedVectors(ix *Index) (vecs [][]wterm, titles []string) {
	sv := ix.vectors()
	seeds := q.Seeds
	if len(seeds) == 0 {
		for _, id := range q.Like {
			if i, ok := sv.byID[id]; ok {
				seeds = append(seeds, ix.papers[i])
			}
		}
	}
	for _, s := range seeds {
		vecs = append(vecs, sv.vectorOf(s, useBigrams))
		titles = append(titles, s.Title)
	}
	return vecs, titles
}

// similarity scores a paper (by position) against the seeds: the best
// seed's cosine, and which seed that is.
func similarity(v []wterm, seeds [][]wterm) (float64, int) {
	best, which := 0.0, -1
	for s, sv := range seeds {
		if c := cosine(v, sv); c > best {
			best, which = c, s
		}
	}
	return best, which
}

// stopWords are English function words and the boilerplate of
// abstracts; they say nothing about a paper's topic.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above across after again against all almost also although always am among an and
	another any are around as at be because been before being below between both but by can cannot could did do does doing done
	down during each either else even ever every few for from further had has have having he her here hers herself him himself
	his how however i if in into is it its itself just least less let like many may me might more most much must my myself
	neither no nor not now of off often on once one only or other others otherwise our ours ourselves out over own per perhaps
	quite rather same several she should since so some such than that the their theirs them themselves then there therefore
	these they this those though through thus to too toward towards under until up upon us very via was we well were what when
	where whereas whether which while who whom whose why will with within without would yet you your yours yourself
	paper papers propose proposed proposes present presents presented show shows shown demonstrate demonstrates introduce
	introduces introduced novel new approach approaches method methods result results work experiments experimental extensive
	existing based using use used uses achieve achieves achieved significantly significant state art various furthermore
	moreover code available https github com project page our study studies`) {
		m[w] = true
	}
	return m
}()
