package feed_test

import (
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
)

// papers derives n papers from the real HF API recordings.
func papers(b *testing.B, n int) []*feed.Paper {
	b.Helper()
	ps, err := recorded.Derived(filepath.Join("..", "testdata"), n, 30, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	return ps
}

func BenchmarkRender(b *testing.B) {
	for _, n := range []int{50, 500} {
		ps := papers(b, n)
		meta := feed.Meta{Title: "Daily Papers: bench", HomeURL: "http://h/", SelfURL: "http://h/feed"}
		for _, f := range feed.Formats {
			b.Run(fmt.Sprintf("%s/%d", f, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := feed.Render(io.Discard, f, meta, feed.Items(ps)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
