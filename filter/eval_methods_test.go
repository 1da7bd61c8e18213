package filter

import (
	"math"
	"math/rand"
	"slices"

	"gonum.org/v1/gonum/mat"

	"paperfeed/feed"
)

// The methods the evaluation (eval_test.go) compares with the chosen
// ranker: each gives a score per paper of the collection for seed
// positions. They are written here, not in the service, because they
// lost or cost more than they gained.

func closestM(sv *simVectors) func([]int) []float64 {
	return func(seeds []int) []float64 {
		var vs [][]wterm
		for _, s := range seeds {
			vs = append(vs, sv.vecs[s])
		}
		out := make([]float64, len(sv.vecs))
		for i, v := range sv.vecs {
			for _, s := range vs {
				out[i] = max(out[i], cosine(v, s))
			}
		}
		return out
	}
}

func centroidM(sv *simVectors) func([]int) []float64 {
	return func(seeds []int) []float64 {
		var vs [][]wterm
		for _, s := range seeds {
			vs = append(vs, sv.vecs[s])
		}
		c := centroid(vs)
		out := make([]float64, len(sv.vecs))
		for i, v := range sv.vecs {
			out[i] = cosine(v, c)
		}
		return out
	}
}

type bm25 struct {
	docs [][]int32 // sorted term ids with repeats
	lens []float64
	avg  float64
	idf  []float64
	vz   *vectorizer
}

func newBM25(papers []*feed.Paper) *bm25 {
	vz := &vectorizer{words: map[string]int32{}, pairs: map[[2]int32]int32{}, grow: true}
	b := &bm25{vz: vz}
	var df []int
	for _, p := range papers {
		ids := vz.ids(nil, paperTexts(p, false)...)
		slices.Sort(ids)
		b.docs = append(b.docs, ids)
		b.lens = append(b.lens, float64(len(ids)))
		b.avg += float64(len(ids))
		for j, id := range ids {
			for int(id) >= len(df) {
				df = append(df, 0)
			}
			if j == 0 || ids[j-1] != id {
				df[id]++
			}
		}
	}
	n := float64(len(papers))
	b.avg /= n
	for _, d := range df {
		b.idf = append(b.idf, math.Log(1+(n-float64(d)+0.5)/(float64(d)+0.5)))
	}
	return b
}

func (b *bm25) rank(seeds []int) []float64 {
	qtf := map[int32]float64{}
	for _, s := range seeds {
		for _, id := range b.docs[s] {
			qtf[id]++ // the seeds' term frequencies, as a textbook BM25 counts them
		}
	}
	const k1, bb = 1.2, 0.75
	out := make([]float64, len(b.docs))
	for i, d := range b.docs {
		var s float64
		for j := 0; j < len(d); {
			id, n := d[j], 0.0
			for j < len(d) && d[j] == id {
				j++
				n++
			}
			if q := qtf[id]; q > 0 {
				s += q * b.idf[id] * n * (k1 + 1) / (n + k1*(1-bb+bb*b.lens[i]/b.avg))
			}
		}
		out[i] = s
	}
	return out
}

func lsaM(sv *simVectors, k int, seed int64) func([]int) []float64 {
	n := len(sv.vecs)
	V := len(sv.idf)
	l := k + 10
	rng := rand.New(rand.NewSource(seed))
	om := make([]float32, V*l)
	for i := range om {
		om[i] = float32(rng.NormFloat64())
	}
	Y := mat.NewDense(n, l, nil)
	mulA := func(dst *mat.Dense, right []float32) {
		for d, v := range sv.vecs {
			row := dst.RawRowView(d)
			clear(row)
			for _, t := range v {
				r := right[int(t.id)*l : int(t.id)*l+l]
				for j := range l {
					row[j] += float64(t.w * r[j])
				}
			}
		}
	}
	mulAT := func(src *mat.Dense) []float32 {
		out := make([]float32, V*l)
		for d, v := range sv.vecs {
			row := src.RawRowView(d)
			for _, t := range v {
				r := out[int(t.id)*l : int(t.id)*l+l]
				for j := range l {
					r[j] += t.w * float32(row[j])
				}
			}
		}
		return out
	}
	orth := func(m *mat.Dense) *mat.Dense { // modified Gram-Schmidt on the columns
		cols := make([][]float64, l)
		for j := range l {
			cols[j] = mat.Col(nil, j, m)
			for _, prev := range cols[:j] {
				var d float64
				for i, x := range prev {
					d += x * cols[j][i]
				}
				for i, x := range prev {
					cols[j][i] -= d * x
				}
			}
			var norm float64
			for _, x := range cols[j] {
				norm += x * x
			}
			if norm = math.Sqrt(norm); norm > 0 {
				for i := range cols[j] {
					cols[j][i] /= norm
				}
			}
		}
		q := mat.NewDense(n, l, nil)
		for j, c := range cols {
			q.SetCol(j, c)
		}
		return q
	}
	mulA(Y, om)
	Q := orth(Y)
	Z := mulAT(Q)
	mulA(Y, Z)
	Q = orth(Y)
	B := mulAT(Q) // B^T as V x l
	// B B^T = sum_t b_t b_t^T (l x l)
	bb := mat.NewSymDense(l, nil)
	for t := range V {
		r := B[t*l : t*l+l]
		for i := range l {
			for j := i; j < l; j++ {
				bb.SetSym(i, j, bb.At(i, j)+float64(r[i]*r[j]))
			}
		}
	}
	var eig mat.EigenSym
	eig.Factorize(bb, true)
	vals := eig.Values(nil)
	var ub mat.Dense
	eig.VectorsTo(&ub)
	// top k (eigenvalues ascending)
	var emb mat.Dense
	emb.Mul(Q, &ub)
	docs := make([][]float32, n)
	for d := range n {
		e := make([]float32, k)
		var norm float64
		for j := range k {
			c := l - 1 - j
			x := emb.At(d, c) * math.Sqrt(math.Max(vals[c], 0))
			e[j] = float32(x)
			norm += x * x
		}
		if norm > 0 {
			for j := range e {
				e[j] /= float32(math.Sqrt(norm))
			}
		}
		docs[d] = e
	}
	return func(seeds []int) []float64 {
		c := make([]float32, k)
		for _, s := range seeds {
			for j := range k {
				c[j] += docs[s][j]
			}
		}
		out := make([]float64, n)
		for d := range n {
			var s float32
			for j := range k {
				s += c[j] * docs[d][j]
			}
			out[d] = float64(s)
		}
		return out
	}
}

func rawBlend(a, b func([]int) []float64, wa float64) func([]int) []float64 {
	return func(seeds []int) []float64 {
		x, y := a(seeds), b(seeds)
		for i := range x {
			x[i] = wa*x[i] + (1-wa)*y[i]
		}
		return x
	}
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
