package filter

import (
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
)

var evalOnly = flag.String("eval.only", "", "with -eval.cv: only the families whose name contains this")

var evalCV = flag.Bool("eval.cv", false, "run the long ranking evaluation: every method, cross-validated (eval_cv_test.go)")

// textbookStop is the English stop word list of the textbook baselines
// (the one scikit-learn ships, 318 words): the service's now.
var textbookStop = stopWords

// oldStopWords is the list the service had before: English function
// words and the boilerplate of abstracts ("code", "method", "novel", ...).
var oldStopWords = func() map[string]bool {
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

// cvSet is the evaluation set as positions: papers, and per query its
// seeds and relevant papers.
type cvSet struct {
	texts [][]string // folded title, abstract
	qs    []cvQuery
	n     int
}

type cvQuery struct {
	name  string
	seeds []int
	rel   map[int]bool
}

func loadCV(t testing.TB) *cvSet {
	papers, qs := loadEval(t)
	s := &cvSet{n: len(papers)}
	byID := map[string]int{}
	for i, p := range papers {
		byID[p.ID] = i
		s.texts = append(s.texts, paperTexts(p, false))
	}
	for _, q := range qs {
		cq := cvQuery{name: q.Name, rel: map[int]bool{}}
		for _, id := range q.Seeds {
			cq.seeds = append(cq.seeds, byID[id])
		}
		for _, id := range q.Relevant {
			cq.rel[byID[id]] = true
		}
		s.qs = append(s.qs, cq)
	}
	return s
}

// terms are the term IDs of every paper (sorted, repeated as often as
// they occur) under a stop list and with or without bigrams.
type terms struct {
	docs [][]int32
	vz   *vectorizer
	df   []int32
	avg  float64 // mean length
}

func (s *cvSet) terms(stop map[string]bool, bigrams bool) *terms {
	return s.termsTitle(stop, bigrams, 1)
}

// termsTitle counts the title's terms titleW times.
func (s *cvSet) termsTitle(stop map[string]bool, bigrams bool, titleW int) *terms {
	vz := &vectorizer{words: map[string]int32{}, pairs: map[[2]int32]int32{}, stop: stop, bigrams: bigrams, grow: true}
	tm := &terms{vz: vz}
	for _, tx := range s.texts {
		var ids []int32
		for range titleW {
			ids = vz.ids(ids, tx[0])
		}
		ids = vz.ids(ids, tx[1:]...)
		slices.Sort(ids)
		tm.docs = append(tm.docs, ids)
	}
	tm.df = make([]int32, vz.n)
	for _, d := range tm.docs {
		for j, id := range d {
			if j == 0 || d[j-1] != id {
				tm.df[id]++
			}
		}
	}
	return tm
}

// tfidf is the service's weighting over the terms: sublinear tf,
// smoothed idf, L2.
func (tm *terms) tfidf() *simVectors {
	n := float64(len(tm.docs))
	sv := &simVectors{vz: tm.vz, idf: make([]float32, len(tm.df))}
	for id, d := range tm.df {
		sv.idf[id] = float32(math.Log((n+1)/(float64(d)+1)) + 1)
	}
	for _, d := range tm.docs {
		sv.vecs = append(sv.vecs, sv.weigh(d))
	}
	return sv
}

// bm25M is BM25 with the seeds' texts as the query; qtf counts each
// query term as often as the seeds hold it, else once.
func (tm *terms) bm25M(k1, b float64, qtf bool) func([]int) []float64 {
	return func(seeds []int) []float64 {
		q := map[int32]float64{}
		for _, s := range seeds {
			for _, id := range tm.docs[s] {
				if qtf {
					q[id]++
				} else {
					q[id] = 1
				}
			}
		}
		return tm.bm25Query(k1, b, q)
	}
}

// bm25PRFM is BM25 run twice: the query the seeds' texts, then those
// plus wt times the texts of the k papers the first run ranks highest
// (each counted in proportion, the seeds' share and theirs summing to 1
// and wt).
func (tm *terms) bm25PRFM(k1, b float64, k int, wt float64) func([]int) []float64 {
	first := tm.bm25M(k1, b, true)
	return func(seeds []int) []float64 {
		top := topK(first(seeds), seeds, k)
		q := map[int32]float64{}
		for _, s := range seeds {
			for _, id := range tm.docs[s] {
				q[id] += 1 / float64(len(seeds))
			}
		}
		for _, i := range top {
			for _, id := range tm.docs[i] {
				q[id] += wt / float64(len(top))
			}
		}
		return tm.bm25Query(k1, b, q)
	}
}

// bm25Query scores every paper against a weighted query.
func (tm *terms) bm25Query(k1, b float64, q map[int32]float64) []float64 {
	n := float64(len(tm.docs))
	if tm.avg == 0 {
		for _, d := range tm.docs {
			tm.avg += float64(len(d))
		}
		tm.avg /= n
	}
	dense := make([]float64, len(tm.df))
	for id, w := range q {
		df := float64(tm.df[id])
		dense[id] = w * math.Log(1+(n-df+0.5)/(df+0.5))
	}
	out := make([]float64, len(tm.docs))
	for i, d := range tm.docs {
		var sc float64
		norm := k1 * (1 - b + b*float64(len(d))/tm.avg)
		for j := 0; j < len(d); {
			id, c := d[j], 0.0
			for j < len(d) && d[j] == id {
				j++
				c++
			}
			if w := dense[id]; w != 0 {
				sc += w * c * (k1 + 1) / (c + norm)
			}
		}
		out[i] = sc
	}
	return out
}

// lrRandM is a per-query logistic regression: the seeds against neg
// random papers (drawn per query, seeded), L2 lambda, fitted by
// gradient descent on the mean log loss.
func lrRandM(sv *simVectors, neg int, lambda float64, draws int) func([]int) []float64 {
	return func(seeds []int) []float64 {
		out := make([]float64, len(sv.vecs))
		for d := range draws {
			rng := rand.New(rand.NewSource(int64(seeds[0]*31 + d)))
			var xs [][]wterm
			var ys []float64
			for _, s := range seeds {
				xs, ys = append(xs, sv.vecs[s]), append(ys, 1)
			}
			for len(xs) < len(seeds)+neg {
				i := rng.Intn(len(sv.vecs))
				if !slices.Contains(seeds, i) {
					xs, ys = append(xs, sv.vecs[i]), append(ys, 0)
				}
			}
			w, b := fitLR(xs, ys, nil, lambda, len(sv.idf))
			for i, v := range sv.vecs {
				s := b
				for _, t := range v {
					s += w[t.id] * float64(t.w)
				}
				out[i] += s
			}
		}
		return out
	}
}

// fitLR minimises the weighted mean log loss plus lambda/2 |w|^2 by
// gradient descent (the problem is small: a few hundred sparse rows).
func fitLR(xs [][]wterm, ys, cw []float64, lambda float64, dim int) ([]float64, float64) {
	w := make([]float64, dim)
	var b float64
	g := make([]float64, dim)
	var used []int32
	seen := map[int32]bool{}
	for _, x := range xs {
		for _, t := range x {
			if !seen[t.id] {
				seen[t.id] = true
				used = append(used, t.id)
			}
		}
	}
	var wsum float64
	for i := range xs {
		if cw == nil {
			wsum++
		} else {
			wsum += cw[i]
		}
	}
	eta := 4.0
	for range 150 {
		for _, id := range used {
			g[id] = lambda * w[id]
		}
		var gb float64
		for i, x := range xs {
			m := b
			for _, t := range x {
				m += w[t.id] * float64(t.w)
			}
			e := 1/(1+math.Exp(-m)) - ys[i]
			if cw != nil {
				e *= cw[i]
			}
			e /= wsum
			gb += e
			for _, t := range x {
				g[t.id] += e * float64(t.w)
			}
		}
		for _, id := range used {
			w[id] -= eta * g[id]
		}
		b -= eta * gb
	}
	return w, b
}

// addVec adds w times v to sum.
func addVec(sum map[int32]float32, v []wterm, w float32) {
	for _, t := range v {
		sum[t.id] += t.w * w
	}
}

func vecOf(sum map[int32]float32) []wterm {
	out := make([]wterm, 0, len(sum))
	for id, w := range sum {
		out = append(out, wterm{id, w})
	}
	slices.SortFunc(out, func(a, b wterm) int { return int(a.id - b.id) })
	return normalize(out)
}

// prfCosM: the centroid of the seeds plus wt times the centroid of the
// k papers the first pass ranks highest, then the cosine to that.
func prfCosM(sv *simVectors, first func([]int) []float64, k int, wt float32) func([]int) []float64 {
	return func(seeds []int) []float64 {
		top := topK(first(seeds), seeds, k)
		sum := map[int32]float32{}
		for _, s := range seeds {
			addVec(sum, sv.vecs[s], 1/float32(len(seeds)))
		}
		for _, i := range top {
			addVec(sum, sv.vecs[i], wt/float32(len(top)))
		}
		q := vecOf(sum)
		out := make([]float64, len(sv.vecs))
		for i, v := range sv.vecs {
			out[i] = cosine(v, q)
		}
		return out
	}
}

func topK(scores []float64, seeds []int, k int) []int {
	return ranked(scores, seeds)[:k]
}

// zBlend adds methods' scores, each standardised per query (mean 0, sd
// 1 over the collection), weighted.
func zBlend(ws []float64, ms ...func([]int) []float64) func([]int) []float64 {
	return func(seeds []int) []float64 {
		var out []float64
		for k, m := range ms {
			s := m(seeds)
			var mu, sd float64
			for _, x := range s {
				mu += x
			}
			mu /= float64(len(s))
			for _, x := range s {
				sd += (x - mu) * (x - mu)
			}
			sd = math.Sqrt(sd / float64(len(s)))
			if out == nil {
				out = make([]float64, len(s))
			}
			for i, x := range s {
				out[i] += ws[k] * (x - mu) / sd
			}
		}
		return out
	}
}

// perQuery is a method's P@10 and nDCG@10 on each query.
func (s *cvSet) perQuery(rank func([]int) []float64) (p10, ndcg []float64) {
	for _, q := range s.qs {
		p, n := metrics(ranked(rank(q.seeds), q.seeds), q.rel)
		p10, ndcg = append(p10, p), append(ndcg, n)
	}
	return p10, ndcg
}

// cvFolds are the dev queries in 6 folds of 9 (a seeded shuffle).
func cvFolds(n, k int) [][]int {
	perm := rand.New(rand.NewSource(7)).Perm(n)
	folds := make([][]int, k)
	for i, q := range perm {
		folds[i%k] = append(folds[i%k], q)
	}
	return folds
}

// candidate is one setting of a method family.
type candidate struct {
	name string
	p10  []float64
	ndcg []float64
}

// crossValidate chooses, per fold, the setting with the best mean
// nDCG@10 on the other folds, and reports the chosen settings' P@10 and
// nDCG@10 on the fold left out: mean and standard deviation over folds.
func crossValidate(cands []candidate, folds [][]int) (p10, p10sd, ndcg, ndcgsd float64, chosen []string) {
	var ps, ns []float64
	for f, test := range folds {
		best, bestScore := 0, -1.0
		for c, cd := range cands {
			var sc float64
			for g, fold := range folds {
				if g == f {
					continue
				}
				for _, q := range fold {
					sc += cd.ndcg[q]
				}
			}
			if sc > bestScore+1e-12 {
				best, bestScore = c, sc
			}
		}
		var p, n float64
		for _, q := range test {
			p += cands[best].p10[q] / float64(len(test))
			n += cands[best].ndcg[q] / float64(len(test))
		}
		ps, ns = append(ps, p), append(ns, n)
		chosen = append(chosen, cands[best].name)
	}
	p10, p10sd = meanSD(ps)
	ndcg, ndcgsd = meanSD(ns)
	return
}

func meanSD(xs []float64) (float64, float64) {
	var m, v float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, math.Sqrt(v / float64(len(xs)-1))
}

func mean(xs []float64) float64 {
	m, _ := meanSD(xs)
	return m
}

// family is a method with its settings.
type family struct {
	name  string
	cands []struct {
		name string
		rank func([]int) []float64
	}
}

func (f *family) add(name string, rank func([]int) []float64) {
	f.cands = append(f.cands, struct {
		name string
		rank func([]int) []float64
	}{name, rank})
}

// TestRankingCV is the long evaluation: every method and setting on the
// dev queries, each family cross-validated (6 folds of 9 queries: the
// setting chosen on 45, measured on the other 9). go test ./filter -run
// RankingCV -eval.cv -v.
func TestRankingCV(t *testing.T) {
	if !*evalCV {
		t.Skip("the long evaluation runs with -eval.cv")
	}
	s := loadCV(t)
	folds := cvFolds(len(s.qs), 6)
	tbU := s.terms(textbookStop, false)
	svTB := tbU.tfidf()
	var fams []*family
	one := func(name string, rank func([]int) []float64) {
		f := &family{name: name}
		f.add(name, rank)
		fams = append(fams, f)
	}
	one("textbook: closest seed", closestM(svTB))
	one("textbook: centroid", centroidM(svTB))
	one("textbook: BM25 qtf counted", tbU.bm25M(1.2, 0.75, true))
	one("textbook: BM25 qtf binary", tbU.bm25M(1.2, 0.75, false))
	one("textbook: LR 3 vs 200 random, L2 1e-3", lrRandM(svTB, 200, 1e-3, 1))
	ourU, ourB := s.terms(oldStopWords, false), s.terms(oldStopWords, true)
	tbB := s.terms(textbookStop, true)
	union := maps.Clone(textbookStop)
	maps.Copy(union, oldStopWords)
	unB := s.terms(union, true)
	oldT1 := ourB.tfidf()
	one("the ranker before: 0.7 × Rocchio + 0.3 × closest seed, old stop words, title once", rawBlend(centroidM(oldT1), closestM(oldT1), 0.7))
	svOurU, svOurB, svTBB, svUnB := ourU.tfidf(), ourB.tfidf(), tbB.tfidf(), unB.tfidf()
	for _, p := range []struct {
		name string
		tm   *terms
		sv   *simVectors
	}{{"old stop words, words", ourU, svOurU}, {"old stop words, + bigrams", ourB, svOurB},
		{"textbook stop words, + bigrams", tbB, svTBB}, {"both lists, + bigrams", unB, svUnB}} {
		one("pipeline "+p.name+": closest seed", closestM(p.sv))
		one("pipeline "+p.name+": centroid", centroidM(p.sv))
		one("pipeline "+p.name+": BM25", p.tm.bm25M(1.2, 0.75, true))
		one("pipeline "+p.name+": LR 1e-3", lrRandM(p.sv, 200, 1e-3, 1))
	}
	bm := &family{name: "BM25 k1, b grid (old stop words + bigrams)"}
	for _, k1 := range []float64{0.6, 0.9, 1.2, 1.6, 2.0} {
		for _, b := range []float64{0.5, 0.75, 0.9} {
			bm.add(fmt.Sprintf("k1 %.1f b %.2f", k1, b), ourB.bm25M(k1, b, true))
		}
	}
	fams = append(fams, bm)
	tw := &family{name: "BM25, title counted w times"}
	for _, w := range []int{1, 2, 3} {
		tw.add(fmt.Sprintf("title x%d", w), s.termsTitle(nil, true, w).bm25M(1.2, 0.75, true))
	}
	fams = append(fams, tw)
	ctw := &family{name: "centroid, title counted w times"}
	for _, w := range []int{1, 2, 3} {
		ctw.add(fmt.Sprintf("title x%d", w), centroidM(s.termsTitle(nil, true, w).tfidf()))
	}
	fams = append(fams, ctw)
	pc := &family{name: "centroid + PRF (k papers, weight)"}
	for _, k := range []int{3, 5, 10} {
		for _, w := range []float32{0.25, 0.5, 1} {
			pc.add(fmt.Sprintf("k %d w %.2f", k, w), prfCosM(svOurB, centroidM(svOurB), k, w))
		}
	}
	fams = append(fams, pc)
	pb := &family{name: "BM25 + PRF (k papers, weight)"}
	for _, k := range []int{3, 5, 10} {
		for _, w := range []float64{0.25, 0.5, 1} {
			pb.add(fmt.Sprintf("k %d w %.2f", k, w), ourB.bm25PRFM(1.2, 0.75, k, w))
		}
	}
	fams = append(fams, pb)
	lr := &family{name: "LR seeds vs 200 random, L2"}
	for _, l := range []float64{1e-4, 3e-4, 1e-3, 3e-3, 1e-2} {
		lr.add(fmt.Sprintf("L2 %.0e", l), lrRandM(svOurB, 200, l, 1))
	}
	fams = append(fams, lr)
	bl := &family{name: "z-blend BM25 + centroid (weight of BM25)"}
	for _, w := range []float64{0.25, 0.5, 0.75} {
		bl.add(fmt.Sprintf("BM25 %.2f", w), zBlend([]float64{w, 1 - w}, ourB.bm25M(1.2, 0.75, true), centroidM(svOurB)))
	}
	fams = append(fams, bl)
	ourT2, tbT2 := s.termsTitle(oldStopWords, true, 2), s.termsTitle(textbookStop, true, 2)
	svOurT2, svTBT2 := ourT2.tfidf(), tbT2.tfidf()
	for _, p := range []struct {
		name string
		tm   *terms
		sv   *simVectors
	}{{"T2 old stop words, + bigrams", ourT2, svOurT2}, {"T2 textbook stop words, + bigrams", tbT2, svTBT2}} {
		one("pipeline "+p.name+": closest seed", closestM(p.sv))
		one("pipeline "+p.name+": centroid", centroidM(p.sv))
		one("pipeline "+p.name+": BM25", p.tm.bm25M(1.2, 0.75, true))
		one("pipeline "+p.name+": LR 1e-3", lrRandM(p.sv, 200, 1e-3, 1))
	}
	for _, p := range []struct {
		name string
		tm   *terms
		sv   *simVectors
	}{{"old stop", ourT2, svOurT2}, {"textbook stop", tbT2, svTBT2}} {
		f := &family{name: "T2 " + p.name + " BM25 + PRF (k, weight)"}
		for _, k := range []int{3, 5, 10} {
			for _, w := range []float64{0.25, 0.5} {
				f.add(fmt.Sprintf("k %d w %.2f", k, w), p.tm.bm25PRFM(1.2, 0.75, k, w))
			}
		}
		fams = append(fams, f)
		g := &family{name: "T2 " + p.name + " z-blend BM25 + centroid (weight of BM25)"}
		for _, w := range []float64{0.25, 0.5, 0.75} {
			g.add(fmt.Sprintf("BM25 %.2f", w), zBlend([]float64{w, 1 - w}, p.tm.bm25M(1.2, 0.75, true), centroidM(p.sv)))
		}
		fams = append(fams, g)
		if p.name == "textbook stop" {
			one("T2 textbook stop: 0.7 × centroid + 0.3 × closest seed", rawBlend(centroidM(p.sv), closestM(p.sv), 0.7))
			one("T2 textbook stop: LSA 200, centroid", lsaM(p.sv, 200, 1))
			one("T2 textbook stop: 0.7 × centroid + 0.3 × LSA 200", rawBlend(centroidM(p.sv), lsaM(p.sv, 200, 1), 0.7))
		}
		h := &family{name: "T2 " + p.name + " centroid + PRF (k, weight)"}
		for _, k := range []int{3, 5, 10} {
			for _, w := range []float32{0.25, 0.5} {
				h.add(fmt.Sprintf("k %d w %.2f", k, w), prfCosM(p.sv, centroidM(p.sv), k, w))
			}
		}
		fams = append(fams, h)
	}
	var report strings.Builder
	for _, f := range fams {
		if !strings.Contains(f.name, *evalOnly) {
			continue
		}
		var cands []candidate
		for _, c := range f.cands {
			p, n := s.perQuery(c.rank)
			cands = append(cands, candidate{name: c.name, p10: p, ndcg: n})
			if len(f.cands) > 1 {
				fmt.Fprintf(&report, "|   %s | %.3f | %.3f | | |\n", c.name, mean(p), mean(n))
			}
		}
		p, psd, n, nsd, chosen := crossValidate(cands, folds)
		fmt.Fprintf(&report, "| %s | %.3f | %.3f | %.3f ± %.3f | %.3f ± %.3f | %s\n", f.name, mean(cands[0].p10), mean(cands[0].ndcg), p, psd, n, nsd, strings.Join(uniq(chosen), "; "))
	}
	t.Logf("\n| method | P@10 (all 54) | nDCG@10 | CV P@10 | CV nDCG@10 | chosen |\n|---|---|---|---|---|---|\n%s", report.String())
}

func uniq(xs []string) []string {
	c := slices.Clone(xs)
	sort.Strings(c)
	return slices.Compact(c)
}
