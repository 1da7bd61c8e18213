package filter

import (
	"math"
	"slices"
	"strings"
	"sync"

	"paperfeed/feed"
)

// More like these (like=ID,...; unlike=ID,... to push topics away):
// every paper of the feed is scored by its similarity to the seed
// papers, and the seeds themselves are left out.
//
//   - A paper is a TF-IDF vector over its title, abstract and AI keywords:
//     the words q searches (accent- and case-folded), stop words out, and
//     each pair of adjacent words as a term too (bigrams). Term weight
//     (1 + ln tf) × idf, idf = ln((N+1)/(df+1)) + 1 over the index's
//     papers; vectors are normalised. They are built once per index (one
//     data version), on first use.
//   - The score blends two cosines: CentroidWeight of the cosine to the
//     query vector (the normalised mean of the liked seeds minus
//     UnlikeWeight times the mean of the unliked ones: Rocchio's relevance
//     feedback) and the rest of the cosine to the closest liked seed (a
//     reader's seeds are often of several topics, and the mean of two
//     topics is close to neither). The blend was chosen on the dev
//     queries of the evaluation set made by people (eval_test.go; the
//     README has every method measured, the ones that lose included).
//   - A paper closer to an unliked seed than to every liked one is left
//     out: unlike= pushes its topic out of the feed, not only down.
//   - min_similarity (default DefaultMinSimilarity) drops weak matches;
//     sort=similarity, the default with like, orders by score.
//   - A seed the index does not hold is scored with the index's
//     vocabulary and idf; terms the index never saw add nothing.

// DefaultMinSimilarity drops papers that share little more than common
// words with every seed (see TestSimilarityQuality).
const DefaultMinSimilarity = 0.04

// The choices the measurement made (eval_test.go).
const (
	useBigrams     = true
	CentroidWeight = 0.7 // of the score; the rest is the closest liked seed's cosine
	UnlikeWeight   = 0.5 // of the unliked seeds' mean, taken from the query vector
)

// wterm is a weighted term of a similarity vector.
type wterm struct {
	id int32
	w  float32
}

// simVectors are the TF-IDF vectors of an index's papers.
type simVectors struct {
	vz   *vectorizer
	idf  []float32
	vecs [][]wterm
	byID map[string]int
}

type simState struct {
	once sync.Once
	v    *simVectors
}

func (ix *Index) vectors() *simVectors {
	ix.sim.once.Do(func() {
		// The index folded each paper's title and keywords; the abstract
		// is folded again here, once a version, rather than kept.
		ix.sim.v = buildVectorsFrom(ix.papers, func(i int) []string {
			d := &ix.docs[i]
			return []string{d.text[fTitle], foldAbstract(ix.papers[i]), d.text[fKeywords]}
		}, useBigrams)
	})
	return ix.sim.v
}

// vectorizer turns folded text into term IDs: words (stop words and
// numbers out) and, with bigrams, pairs of adjacent kept words, without
// allocating a string per term.
type vectorizer struct {
	words   map[string]int32   // word -> term ID
	pairs   map[[2]int32]int32 // (word, word) -> term ID
	bigrams bool
	grow    bool // new terms get IDs (building); else they are skipped
	n       int32
}

// ids appends the term IDs of folded texts to dst.
func (vz *vectorizer) ids(dst []int32, texts ...string) []int32 {
	for _, text := range texts {
		prev := int32(-1)
		for w := range strings.FieldsSeq(text) {
			if len(w) < 2 || stopWords[w] || isNumber(w) {
				prev = -1
				continue
			}
			id, ok := vz.words[w]
			if !ok {
				if !vz.grow {
					prev = -1
					continue
				}
				id = vz.n
				vz.n++
				vz.words[w] = id
			}
			dst = append(dst, id)
			if vz.bigrams && prev >= 0 {
				k := [2]int32{prev, id}
				pid, ok := vz.pairs[k]
				if !ok && vz.grow {
					pid = vz.n
					vz.n++
					vz.pairs[k] = pid
					ok = true
				}
				if ok {
					dst = append(dst, pid)
				}
			}
			prev = id
		}
	}
	return dst
}

func isNumber(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// paperTexts are a paper's folded title, abstract and (optionally) AI
// keywords.
func paperTexts(p *feed.Paper, keywords bool) []string {
	t := []string{fold(p.Title), fold(p.Abstract)}
	if keywords {
		t = append(t, fold(strings.Join(p.AIKeywords, " , ")))
	}
	return t
}

func buildVectorsWith(papers []*feed.Paper, bigrams, keywords bool) *simVectors {
	return buildVectorsFrom(papers, func(i int) []string { return paperTexts(papers[i], keywords) }, bigrams)
}

// buildVectorsFrom builds the vectors of papers whose folded texts text
// gives.
func buildVectorsFrom(papers []*feed.Paper, text func(i int) []string, bigrams bool) *simVectors {
	vz := &vectorizer{words: map[string]int32{}, pairs: map[[2]int32]int32{}, bigrams: bigrams, grow: true}
	sv := &simVectors{vz: vz, vecs: make([][]wterm, len(papers)), byID: make(map[string]int, len(papers))}
	ids := make([][]int32, len(papers))
	var df []int32
	var buf []int32
	for i, p := range papers {
		sv.byID[p.ID] = i
		buf = vz.ids(buf[:0], text(i)...)
		slices.Sort(buf)
		own := slices.Clone(buf)
		ids[i] = own
		for j, id := range own {
			for int(id) >= len(df) {
				df = append(df, 0)
			}
			if j == 0 || own[j-1] != id {
				df[id]++
			}
		}
	}
	n := float64(len(papers))
	sv.idf = make([]float32, len(df))
	for id, d := range df {
		sv.idf[id] = float32(math.Log((n+1)/(float64(d)+1)) + 1)
	}
	for i := range ids {
		sv.vecs[i] = sv.weigh(ids[i])
	}
	return sv
}

// weigh turns sorted term IDs (repeated as often as they occur) into a
// normalised vector sorted by term.
func (sv *simVectors) weigh(ids []int32) []wterm {
	v := make([]wterm, 0, len(ids))
	for j := 0; j < len(ids); {
		id, n := ids[j], 0
		for j < len(ids) && ids[j] == id {
			j++
			n++
		}
		v = append(v, wterm{id, float32((1 + math.Log(float64(n))) * float64(sv.idf[id]))})
	}
	return normalize(v)
}

// normalize scales a vector to length 1 (nil when it is empty).
func normalize(v []wterm) []wterm {
	var norm float64
	for _, t := range v {
		norm += float64(t.w) * float64(t.w)
	}
	if norm == 0 {
		return nil
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i].w *= inv
	}
	return v
}

// vectorOf is the vector of a paper the index may not hold, in the
// index's terms (terms it never saw are left out).
func (sv *simVectors) vectorOf(p *feed.Paper) []wterm {
	if i, ok := sv.byID[p.ID]; ok {
		return sv.vecs[i]
	}
	vz := *sv.vz
	vz.grow = false
	ids := vz.ids(nil, paperTexts(p, true)...)
	slices.Sort(ids)
	return sv.weigh(ids)
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
	for id, w := range sum {
		out = append(out, wterm{id, w})
	}
	slices.SortFunc(out, func(a, b wterm) int { return int(a.id - b.id) })
	return normalize(out)
}

// seedVectors are the vectors of the query's liked and unliked seeds:
// the papers set in Seeds, else those of the index named in Like and
// Unlike; titles are the liked seeds'.
func (q *Query) seedVectors(ix *Index) (pos, neg [][]wterm, titles []string) {
	sv := ix.vectors()
	seeds := q.Seeds
	if len(seeds) == 0 {
		for _, id := range append(slices.Clip(q.Like), q.Unlike...) {
			if i, ok := sv.byID[id]; ok {
				seeds = append(seeds, ix.papers[i])
			}
		}
	}
	for _, s := range seeds {
		switch {
		case s == nil:
		case slices.Contains(q.Unlike, s.ID):
			neg = append(neg, sv.vectorOf(s))
		case slices.Contains(q.Like, s.ID):
			pos = append(pos, sv.vectorOf(s))
			titles = append(titles, s.Title)
		}
	}
	return pos, neg, titles
}

// queryVector is Rocchio's: the normalised mean of the liked vectors
// minus UnlikeWeight times the mean of the unliked ones.
func queryVector(pos, neg [][]wterm) []wterm {
	sum := map[int32]float32{}
	for _, v := range pos {
		for _, t := range v {
			sum[t.id] += t.w / float32(len(pos))
		}
	}
	for _, v := range neg {
		for _, t := range v {
			sum[t.id] -= UnlikeWeight * t.w / float32(len(neg))
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
	slot     []int32     // term -> row of weights, -1 when none has it
	w        [][]float32 // per row, the weight in each column
	acc      []float32
	pos, neg int
}

func newScorer(vocab int, pos, neg [][]wterm) *scorer {
	cols := append(append(slices.Clip(pos), neg...), queryVector(pos, neg))
	sc := &scorer{slot: make([]int32, vocab), acc: make([]float32, len(cols)), pos: len(pos), neg: len(neg)}
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

// score is a paper's blended score and its closest liked seed; which is
// -1 when the paper shares no term with a liked seed or is closer to an
// unliked seed than to every liked one (it is then left out).
func (sc *scorer) score(v []wterm) (float64, int) {
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
		return 0, -1
	}
	best, which := float32(0), -1
	for c, a := range sc.acc[:sc.pos] {
		if a > best {
			best, which = a, c
		}
	}
	for _, a := range sc.acc[sc.pos : sc.pos+sc.neg] {
		if a > best {
			return 0, -1
		}
	}
	if which < 0 {
		return 0, -1
	}
	q := sc.acc[len(sc.acc)-1]
	return CentroidWeight*float64(q) + (1-CentroidWeight)*float64(best), which
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
