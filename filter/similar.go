package filter

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"paperfeed/feed"
)

// More like these (like=ID,...; unlike=ID,... to push topics away):
// every paper of the feed is scored by its similarity to the seed
// papers, and the seeds themselves are left out.
//
//   - A paper is a TF-IDF vector over its title (counted TitleWeight
//     times), abstract and AI keywords: the words q searches (accent- and
//     case-folded), English stop words and numbers out, and each pair of
//     adjacent words as a term too (bigrams). Term weight (1 + ln tf) ×
//     idf, idf = ln((N+1)/(df+1)) + 1 over the index's papers; vectors are
//     normalised. They are built once per index (one data version), on
//     first use.
//   - The query is Rocchio's: the mean of the liked seeds, minus
//     UnlikeWeight times the mean of the unliked ones (and LessWeight
//     times the mean of the papers a personal feed's reader voted "less
//     like this", averaged over at least LessFloor). It is then expanded by pseudo-relevance feedback: the
//     FeedbackPapers papers of the feed closest to it are taken as liked
//     too, at FeedbackWeight (papers voted "more" are not among them),
//     and the feed is scored again. The score is
//     the cosine to that query. Everything was chosen by cross-validation
//     on the dev queries of the evaluation set made by people
//     (eval_test.go, eval_cv_test.go; docs/ranking.md has every method
//     measured, the ones that lose included).
//   - A paper closer to an unliked seed than to every liked one is left
//     out: unlike= pushes its topic out of the feed, not only down. A
//     "less" vote only weighs: it hides the paper voted on and nothing
//     else.
//   - A paper voted "more like this" (SetSeeds) stays an item, marked as
//     liked, while it is a liked seed of the query.
//   - min_similarity (default DefaultMinSimilarity) drops weak matches;
//     sort=similarity, the default with like, orders by score.
//   - A seed the index does not hold is scored with the index's
//     vocabulary and idf; terms the index never saw add nothing.

// DefaultMinSimilarity drops papers that share little more than common
// words with every seed (see TestRankingQuality).
const DefaultMinSimilarity = 0.04

// The choices the measurement made (eval_cv_test.go, docs/ranking.md).
const (
	useBigrams     = true
	TitleWeight    = 2   // a title's terms count this many times
	FeedbackPapers = 5   // pseudo-relevant papers folded back into the query
	FeedbackWeight = 0.5 // their mean's weight, the liked seeds' being 1
	UnlikeWeight   = 0.5 // of the unliked seeds' mean, taken from the query
	LessWeight     = 0.5 // of the mean of the papers voted "less", ...
	LessFloor      = 5   // ... averaged over at least this many: one vote weighs 0.1
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
	// papers are those the vectors are of, by position (similar_reuse.go).
	papers []*feed.Paper
}

type simState struct {
	once sync.Once
	v    *simVectors
	done atomic.Bool
	// from is an index whose vectors are built, which may hold the same
	// papers with the same texts (see VectorsFrom); cleared once built.
	from atomic.Pointer[Index]
}

func (ix *Index) vectors() *simVectors {
	ix.sim.once.Do(func() {
		if f := ix.sim.from.Load(); f != nil {
			ix.sim.v = f.vectors().remap(ix.papers)
		}
		if ix.sim.v == nil {
			// The index folded each paper's title and keywords; the
			// abstract is folded again here, once a version, rather than
			// kept.
			ix.sim.v = buildVectorsFrom(ix.papers, func(i int) []string {
				d := &ix.docs[i]
				return simTexts(d.text[fTitle], foldAbstract(ix.papers[i]), d.text[fKeywords])
			}, useBigrams)
		}
		ix.sim.from.Store(nil)
		ix.sim.done.Store(true)
	})
	return ix.sim.v
}

// simTexts are the texts of a paper's vector, folded: the title
// TitleWeight times, the abstract and the AI keywords.
func simTexts(title, abstract, keywords string) []string {
	t := make([]string, 0, TitleWeight+2)
	for range TitleWeight {
		t = append(t, title)
	}
	return append(t, abstract, keywords)
}

// vectorizer turns folded text into term IDs: words (stop words and
// numbers out) and, with bigrams, pairs of adjacent kept words, without
// allocating a string per term.
type vectorizer struct {
	words   map[string]int32   // word -> term ID
	pairs   map[[2]int32]int32 // (word, word) -> term ID
	stop    map[string]bool    // words left out; stopWords when nil
	bigrams bool
	grow    bool // new terms get IDs (building); else they are skipped
	n       int32
}

// ids appends the term IDs of folded texts to dst.
func (vz *vectorizer) ids(dst []int32, texts ...string) []int32 {
	stop := vz.stop
	if stop == nil {
		stop = stopWords
	}
	for _, text := range texts {
		prev := int32(-1)
		for w := range strings.FieldsSeq(text) {
			if len(w) < 2 || stop[w] || isNumber(w) {
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
// keywords, each once.
func paperTexts(p *feed.Paper, keywords bool) []string {
	t := []string{fold(p.Title), fold(p.Abstract)}
	if keywords {
		t = append(t, fold(strings.Join(p.AIKeywords, " , ")))
	}
	return t
}

// buildVectorsFrom builds the vectors of papers whose folded texts text
// gives.
func buildVectorsFrom(papers []*feed.Paper, text func(i int) []string, bigrams bool) *simVectors {
	vz := &vectorizer{words: map[string]int32{}, pairs: map[[2]int32]int32{}, bigrams: bigrams, grow: true}
	sv := &simVectors{vz: vz, vecs: make([][]wterm, len(papers)), byID: make(map[string]int, len(papers)), papers: papers}
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
	t := paperTexts(p, true)
	ids := vz.ids(nil, simTexts(t[0], t[1], t[2])...)
	slices.Sort(ids)
	return sv.weigh(ids)
}

// stopWords are English function words (the list scikit-learn ships,
// 318 words): the evaluation found them better than a list that also
// dropped the boilerplate of abstracts, which took topical words such
// as "code" with it (docs/ranking.md).
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above across after afterwards again against all almost alone along already also
	although always am among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at
	back be became because become becomes becoming been before beforehand behind being below beside besides between beyond bill
	both bottom but by call can cannot cant co con could couldnt cry de describe detail do done down due during each eg eight
	either eleven else elsewhere empty enough etc even ever every everyone everything everywhere except few fifteen fifty fill
	find fire first five for former formerly forty found four from front full further get give go had has hasnt have he hence
	her here hereafter hereby herein hereupon hers herself him himself his how however hundred i ie if in inc indeed interest
	into is it its itself keep last latter latterly least less ltd made many may me meanwhile might mill mine more moreover
	most mostly move much must my myself name namely neither never nevertheless next nine no nobody none noone nor not nothing
	now nowhere of off often on once one only onto or other others otherwise our ours ourselves out over own part per perhaps
	please put rather re same see seem seemed seeming seems serious several she should show side since sincere six sixty so
	some somehow someone something sometime sometimes somewhere still such system take ten than that the their them themselves
	then thence there thereafter thereby therefore therein thereupon these they thick thin third this those though three
	through throughout thru thus to together too top toward towards twelve twenty two un under until up upon us very via was
	we well were what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever whether which
	while whither who whoever whole whom whose why will with within without would yet you your yours yourself yourselves`) {
		m[w] = true
	}
	return m
}()

// setSimilar reads like=, unlike= and min_similarity=.
func setSimilar(q *Query, key, val string, _ Options) error {
	switch key {
	case "like", "unlike":
		ids, err := ParseIDList(key, val)
		if err != nil {
			return err
		}
		if key == "like" {
			q.Like = ids
		} else {
			q.Unlike = ids
		}
		q.raw.Set(key, strings.Join(ids, ","))
	case "min_similarity":
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || f < 0 || f > 1 || f != f {
			return errf(key, val, "must be a number from 0 to 1 (default %.2f; higher keeps only closer papers)", DefaultMinSimilarity)
		}
		q.MinSimilarity = f
		if f != DefaultMinSimilarity {
			q.raw.Set(key, strconv.FormatFloat(f, 'f', -1, 64))
		}
	}
	return nil
}
