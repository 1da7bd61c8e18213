package filter

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// benchPapers derives n papers from the real API recordings: the
// recorded papers repeated with new IDs and spread over seven days.
func benchPapers(b *testing.B, n int) []*feed.Paper {
	b.Helper()
	files, err := filepath.Glob("../testdata/daily_papers_*.json")
	if err != nil || len(files) == 0 {
		b.Fatal("no recordings", err)
	}
	var base []feed.Paper
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		ps, err := scrape.ParseDailyPapersAPI(r)
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
		base = append(base, ps...)
	}
	out := make([]*feed.Paper, 0, n)
	for i := 0; i < n; i++ {
		p := base[i%len(base)].Clone()
		p.ID = fmt.Sprintf("2611.%05d", i)
		p.ListedOn = day("2026-11-27").AddDate(0, 0, -(i % 7))
		p.OnArxiv = i%3 == 0
		p.Categories = []string{"cs.LG", "cs.CL", "cs.CV", "cs.AI"}[i%4 : i%4+1]
		out = append(out, &p)
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
		q.Apply(ix, now)
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
		q.Apply(ix, now)
	}
}

func BenchmarkNewIndex10k(b *testing.B) {
	ps := benchPapers(b, 10000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(ps)
	}
}
