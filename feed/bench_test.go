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

// viewPapers are n derived papers as a store view holds them (their
// descriptions rendered once, fragments cached on first render).
func viewPapers(b *testing.B, n int) []*feed.Paper {
	b.Helper()
	ps := papers(b, n)
	s := feed.NewStore(30, 30, func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) })
	byDay := map[time.Time][]feed.Paper{}
	for _, p := range ps {
		p.OnHF = true
		byDay[p.ListedOn] = append(byDay[p.ListedOn], *p)
	}
	for d, day := range byDay {
		s.PutHFDay(d, day)
	}
	return s.View().Papers
}

// Rendering one item of each format, nothing cached: what a new paper or
// an item with a query-dependent date costs.
func BenchmarkRenderItem(b *testing.B) {
	ps := papers(b, 1)
	meta := feed.Meta{Title: "t", BaseURL: "http://h"}
	for _, f := range feed.FeedFormats {
		b.Run(string(f), func(b *testing.B) {
			items := []feed.Item{{Paper: ps[0], Date: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := feed.RenderBytes(f, meta, items); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Assembling a feed of 50 view papers whose fragments are cached: what a
// render-cache miss of a plain filter costs in rendering.
func BenchmarkAssembleCached(b *testing.B) {
	ps := viewPapers(b, 500)[:50]
	meta := feed.Meta{Title: "Daily Papers: bench", HomeURL: "http://h/", SelfURL: "http://h/feed", BaseURL: "http://h"}
	for _, f := range feed.FeedFormats {
		b.Run(string(f), func(b *testing.B) {
			if _, err := feed.RenderBytes(f, meta, feed.Items(ps)); err != nil { // warm the fragments
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := feed.RenderBytes(f, meta, feed.Items(ps)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
