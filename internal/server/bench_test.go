package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
	"paperfeed/internal/state"
)

// benchHandler is the real handler over the replayed 7 HF days.
func benchHandler(b *testing.B) http.Handler {
	b.Helper()
	return benchHandlerCache(b, 100000, 256)
}

// benchHandlerCache is benchHandler with a render cache of the given
// bounds.
func benchHandlerCache(b *testing.B, entries, mb int) http.Handler {
	b.Helper()
	a := testApp(b, newUpstream(b, replayHF(b)), nil, func(c *Config) { c.CacheEntries, c.CacheMB = entries, mb })
	if _, err := a.refresh.RefreshSource(b.Context(), feed.SourceHF); err != nil {
		b.Fatal(err)
	}
	return a.routes()
}

// discard is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler rather than a recorder's buffer.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

func serve(b *testing.B, h http.Handler, req *http.Request, want int) {
	w := &discard{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.code != want {
		b.Fatalf("%s: %d, want %d", req.URL, w.code, want)
	}
}

const popular = "/feed.rss?q=agents+OR+reasoning&min_upvotes=5&source=all"

func BenchmarkHandlerCachedHit(b *testing.B) {
	h := benchHandler(b)
	req := httptest.NewRequest(http.MethodGet, popular, nil)
	serve(b, h, req, 200)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, req, 200)
	}
}

func BenchmarkHandlerCachedHitGzip(b *testing.B) {
	h := benchHandler(b)
	req := httptest.NewRequest(http.MethodGet, popular, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	serve(b, h, req, 200)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, req, 200)
	}
}

func BenchmarkHandlerNotModified(b *testing.B) {
	h := benchHandler(b)
	first := &discard{h: http.Header{}}
	h.ServeHTTP(first, httptest.NewRequest(http.MethodGet, popular, nil))
	req := httptest.NewRequest(http.MethodGet, popular, nil)
	req.Header.Set("If-None-Match", first.h.Get("ETag"))
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, req, 304)
	}
}

// Every request a new filter (excluding a word no paper has, so each
// feed holds 20 papers): parse, filter, render, cache.
// (A URL's first request: rendered into a reused buffer, not kept.)
func BenchmarkHandlerRenderMiss(b *testing.B) {
	h := benchHandler(b)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		serve(b, h, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/feed.rss?q=-zz%d&limit=20", n), nil), 200)
	}
}

// A new URL asked for twice: its first request (not kept) and its
// second (rendered again and kept), per operation; the render cache at
// its default bounds, so kept bodies are evicted and their memory
// reused, as in a long-running service (an unbounded cache would
// measure the kernel handing out fresh pages).
func BenchmarkHandlerRenderMissThenKept(b *testing.B) {
	h := benchHandlerCache(b, 2000, 16)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		for range 2 {
			serve(b, h, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/feed.rss?q=-zz%d&limit=20", n), nil), 200)
		}
	}
}

// historyHandler is the real handler over ~5,000 HF papers (7 days of
// papers derived from the recordings) with a history of five counts
// each, restored from a state file as at a restart.
func historyHandler(b *testing.B) http.Handler {
	b.Helper()
	t0 := time.Date(2026, 8, 21, 20, 0, 0, 0, time.UTC)
	return historyApp(b, func() time.Time { return t0 }, nil).routes()
}

// historyApp is the app behind historyHandler, on the clock now (the
// state is written at 20:00 of its newest day), with mutate (may be nil)
// adjusting its configuration.
func historyApp(b testing.TB, now func() time.Time, mutate func(*Config)) *app {
	b.Helper()
	newest := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
	papers, err := recorded.Derived(testdata, 5000, 358, newest) // 14 days: a whole week is held and closed
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	st, err := state.OpenBolt(dir, discardLog(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	t0 := newest.Add(20 * time.Hour)
	c := &state.Change{At: t0, Put: map[string]state.Entry{}, Changed: map[string]time.Time{}, FirstSeen: map[string]time.Time{}}
	byDay := map[time.Time][]feed.Paper{}
	for _, p := range papers {
		p.OnHF = true
		byDay[p.ListedOn] = append(byDay[p.ListedOn], *p)
		c.Changed[p.ID] = t0
		c.FirstSeen[p.ID] = p.ListedOn.Add(20 * time.Hour)
	}
	for d, ps := range byDay {
		c.Put["hf/"+d.Format(time.DateOnly)] = state.Entry{Papers: ps, Fetched: t0}
	}
	if err := st.Save(c); err != nil {
		b.Fatal(err)
	}
	for h := range 5 { // counts climbing over the last day
		at := t0.Add(time.Duration(h-5) * 4 * time.Hour)
		pc := &state.Change{At: at, Points: map[string]state.Point{}}
		for i, p := range papers {
			pc.Points[p.ID] = state.Point{At: at, Upvotes: p.Upvotes * (h + 1) / 5, Comments: i % 7}
		}
		if err := st.Save(pc); err != nil {
			b.Fatal(err)
		}
	}
	a := testAppWith(b, "http://127.0.0.1:1", now, func(c *Config) {
		c.CacheEntries, c.CacheMB, c.Days = 100000, 256, 14
		if mutate != nil {
			mutate(c)
		}
	}, st)
	if _, err := a.refresh.Restore(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.refresh.Close() })
	return a
}

// Renders of a new filter (a cache miss each time) over ~5,000 papers
// with history: plain, trending, and a week digest.
func BenchmarkRenderMissWithHistory5k(b *testing.B) {
	h := historyHandler(b)
	for _, c := range []struct{ name, query string }{
		{"plain", "limit=20"},
		{"trending", "sort=trending&limit=20"},
		{"min_upvotes_qualified", "min_upvotes=20&limit=20"},
		{"digest_day", "digest=day"},
		{"digest_week", "digest=week"},
		// Five seeds from the data: scoring 5,000 papers against them.
		{"like", "like=2611.00003,2611.00010,2611.00100,2611.01000,2611.02000&limit=20"},
	} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				n++
				serve(b, h, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/feed.rss?%s&q=-zz%d", c.query, n), nil), 200)
			}
		})
	}
}
