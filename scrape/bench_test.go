package scrape

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"paperfeed/internal/standin"
)

// One real HF listing page (2024-08-01, 223 kB, 13 papers, 533 authors
// on the first).
func BenchmarkParseListing(b *testing.B) {
	page, err := os.ReadFile(filepath.Join("..", "testdata", "papers_2024-08-01_slbqc.html"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseListing(bytes.NewReader(page)); err != nil {
			b.Fatal(err)
		}
	}
}

// A 2,000-item arXiv feed (the most rss.arxiv.org serves), derived from
// real items.
func BenchmarkParseArxivFeed2000(b *testing.B) {
	body, err := standin.BigFeed(filepath.Join("..", "testdata"), 2000)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := ParseArxivFeed(bytes.NewReader(body))
		if err != nil || len(f.Papers) != 2000 {
			b.Fatal(err, len(f.Papers))
		}
	}
}
