package filter

import (
	"net/url"
	"testing"
	"time"
)

// The similarity vectors of ~5,000 papers: how long they take to build
// (once per data version) and how much memory they hold.
func BenchmarkSimilarityVectors5k(b *testing.B) {
	ix := NewIndex(benchPapers(b, 5000))
	var sv *simVectors
	for b.Loop() {
		ix.sim = simState{} // a new data version
		sv = ix.vectors()
	}
	bytes := 0
	for _, v := range sv.vecs {
		bytes += 24 + 8*cap(v)
	}
	for t := range sv.vz.words {
		bytes += 16 + len(t) + 8 // key, its bytes, and the map's share
	}
	bytes += 16 * len(sv.vz.pairs)
	bytes += 4 * len(sv.idf)
	b.ReportMetric(float64(bytes)/(1<<20), "MiB-held")
	b.ReportMetric(float64(len(sv.idf)), "terms")
}

// Scoring ~5,000 papers against five seeds, the vectors built.
func BenchmarkSimilarityScore5k(b *testing.B) {
	benchSimilarity(b, url.Values{"like": {"2611.00003,2611.00010,2611.00100,2611.01000,2611.02000"}, "limit": {"20"}, "source": {"all"}})
}

// The same with two unliked seeds (unlike=): the negatives are two more
// columns of the scorer and a term of the query vector.
func BenchmarkSimilarityScoreUnlike5k(b *testing.B) {
	benchSimilarity(b, url.Values{"like": {"2611.00003,2611.00010,2611.00100,2611.01000,2611.02000"}, "unlike": {"2611.03000,2611.04000"},
		"limit": {"20"}, "source": {"all"}})
}

// benchSimilarity applies a query over ~5,000 papers, their vectors
// built beforehand.
func benchSimilarity(b *testing.B, values url.Values) {
	ix := NewIndex(benchPapers(b, 5000))
	q, err := Parse(values, opts)
	if err != nil {
		b.Fatal(err)
	}
	ix.vectors()
	for b.Loop() {
		if _, err := q.Apply(b.Context(), ix, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// A personal feed's re-rank after a vote: 500 candidates, 3 seeds, 20
// papers voted "more" and 60 "less" (the scorer's columns grow with the
// votes).
func BenchmarkSimilarityVotes500(b *testing.B) {
	papers := benchPapers(b, 500)
	ix := NewIndex(papers)
	q, err := Parse(url.Values{"limit": {"100"}, "source": {"all"}}, Options{Today: opts.Today, Earliest: opts.Earliest, Oldest: opts.Oldest, MaxDays: 100, SeedsLater: true})
	if err != nil {
		b.Fatal(err)
	}
	var like, more, less []string
	for i, p := range papers {
		switch {
		case i < 3:
			like = append(like, p.ID)
		case i%20 == 0 && len(more) < 20:
			more = append(more, p.ID)
		case i%7 == 0 && len(less) < 60:
			less = append(less, p.ID)
		}
	}
	q.SetSeeds(Seeds{Like: append(like, more...), Unlike: less, More: more, Less: less})
	ix.vectors()
	for b.Loop() {
		items, err := q.Apply(b.Context(), ix, time.Now())
		if err != nil || len(items) == 0 {
			b.Fatal(err, len(items))
		}
	}
}
