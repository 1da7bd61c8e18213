package filter

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
)

// benchPapers derives n papers from the real API recordings, spread
// over seven days, a third of them also on arXiv, in four categories.
func benchPapers(b *testing.B, n int) []*feed.Paper {
	b.Helper()
	out, err := recorded.Derived(filepath.Join("..", "testdata"), n, (n+6)/7, day("2026-11-27"))
	if err != nil {
		b.Fatal(err)
	}
	for i, p := range out {
		p.OnArxiv = i%3 == 0
		p.Categories = []string{"cs.LG", "cs.CL", "cs.CV", "cs.AI"}[i%4 : i%4+1]
	}
	feed.SortPapers(out)
	return out
}

// A typical topic feed request: parse the query, filter 10,000 papers.
func BenchmarkParseAndFilter10k(b *testing.B) {
	ix := NewIndex(benchPapers(b, 10000))
	raw := url.Values{"q": {"agents OR reasoning -survey"}, "min_upvotes": {"5"}, "has_code": {"1"}, "source": {"all"}}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		q, err := Parse(raw, opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := q.Apply(context.Background(), ix, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilterCategory10k(b *testing.B) {
	ix := NewIndex(benchPapers(b, 10000))
	q, err := Parse(url.Values{"category": {"cs.CL"}, "source": {"all"}, "sort": {"upvotes"}}, opts)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Apply(context.Background(), ix, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewIndex10k(b *testing.B) {
	ps := benchPapers(b, 10000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(ps)
	}
}
