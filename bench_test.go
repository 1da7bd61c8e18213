package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchHandler is the real handler over the replayed 7 HF days.
func benchHandler(b *testing.B) http.Handler {
	b.Helper()
	a := testApp(b, newUpstream(b, replayHF(b)), nil, func(c *Config) { c.CacheEntries, c.CacheMB = 100000, 256 })
	if _, err := a.refresh.RefreshHF(b.Context()); err != nil {
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
func BenchmarkHandlerRenderMiss(b *testing.B) {
	h := benchHandler(b)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		serve(b, h, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/feed.rss?q=-zz%d&limit=20", n), nil), 200)
	}
}
