package feed_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// papers derives n papers from the real HF API recordings.
func papers(b *testing.B, n int) []*feed.Paper {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "daily_papers_*.json"))
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
	out := make([]*feed.Paper, n)
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for i := range out {
		p := base[i%len(base)].Clone()
		p.ID = fmt.Sprintf("2611.%05d", i)
		p.ListedOn = day.AddDate(0, 0, -i/30)
		out[i] = &p
	}
	return out
}

func BenchmarkRender(b *testing.B) {
	for _, n := range []int{50, 500} {
		ps := papers(b, n)
		meta := feed.Meta{Title: "Daily Papers: bench", HomeURL: "http://h/", SelfURL: "http://h/feed"}
		for _, f := range feed.Formats {
			b.Run(fmt.Sprintf("%s/%d", f, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := feed.Render(io.Discard, f, meta, ps); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
