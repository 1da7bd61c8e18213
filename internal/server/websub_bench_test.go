package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"paperfeed/feed"
)

// websubBenchURLs are 500 feeds readers poll: 100 of like= (two seeds
// each), 150 word searches in the three formats, 100 with a vote floor,
// 100 distinct URLs of the whole window, 50 topics.
func websubBenchURLs() []string {
	words := []string{"agents", "reasoning", "diffusion", "video", "language", "vision", "benchmark", "robot", "speech", "graph",
		"learning", "model", "image", "text", "code", "policy", "memory", "search", "data", "training",
		"attention", "transformer", "retrieval", "3d", "audio", "alignment", "safety", "math", "planning", "world",
		"generation", "editing", "detection", "segmentation", "tracking", "compression", "quantization", "sparse", "token", "context",
		"agentic", "tool", "web", "medical", "chemistry", "physics", "music", "game", "multimodal", "efficient"}
	var urls []string
	for i := range 100 {
		urls = append(urls, fmt.Sprintf("/feed.rss?like=2611.%05d,2611.%05d", (i*37)%5000, (i*91+7)%5000))
	}
	for i, w := range words {
		urls = append(urls, "/feed.rss?q="+w, "/feed.atom?q="+w, "/feed.json?q="+w)
		urls = append(urls, fmt.Sprintf("/feed.rss?q=%s&min_upvotes=%d", w, 5+i%20), fmt.Sprintf("/feed.atom?min_upvotes=%d&q=%s", 10+i, w))
	}
	for i := range 100 {
		urls = append(urls, fmt.Sprintf("/feed.rss?q=-zz%d", i))
	}
	for i, t := range []string{"agents", "reasoning", "diffusion", "rl", "multimodal", "efficiency", "popular", "trending", "with-code", "agents"} {
		for j := range 5 {
			urls = append(urls, fmt.Sprintf("/topics/%s.rss?min_upvotes=%d", t, i*5+j))
		}
	}
	return urls
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The WebSub check after one data change (30 papers' linked-artifact
// counts, as one run of the artifacts source brings), with 500 tracked
// feeds over ~5,000 papers: the check's CPU per data change (after the
// index of the new data is built, as every change does), and how many feeds were
// rendered or known unchanged without a render. The 30 papers are of the
// newest day (most feeds show them: most checks are real changes),
// spread over the 14 days, or of the oldest days (few feeds show them).
func BenchmarkWebSubCheck500(b *testing.B) {
	for _, c := range []struct {
		name string
		id   func(n, i int) int
	}{
		{"newest_day", func(n, i int) int { return (n*30 + i) % 358 }},
		{"across_window", func(n, i int) int { return (n*30*167 + i*167) % 5000 }},
		{"older_days", func(n, i int) int { return 3580 + (n*30+i)%1420 }}, // days 11 to 14: what the artifacts source rechecks daily
	} {
		b.Run(c.name, func(b *testing.B) { benchWebSub(b, c.id) })
	}
}

func benchWebSub(b *testing.B, id func(n, i int) int) {
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hub.Close()
	now := time.Date(2026, 8, 21, 20, 0, 0, 0, time.UTC)
	a := historyApp(b, func() time.Time { return now }, func(c *Config) { c.WebSubHub = hub.URL })
	h := a.routes()
	urls := websubBenchURLs()
	for range 2 { // two polls a minute apart: what the tracking counts
		for _, u := range urls {
			serve(b, h, httptest.NewRequest(http.MethodGet, u, nil), http.StatusOK)
		}
		now = now.Add(time.Minute)
	}
	w := a.HTTP.websub
	w.publish(b.Context(), h, now) // the ETags as of now
	n := 0
	var cpu time.Duration
	for b.Loop() {
		n++
		extras := map[string]feed.Extra{}
		for i := range 30 {
			extras[fmt.Sprintf("2611.%05d", id(n, i))] = feed.Extra{Artifacts: &feed.Artifacts{Models: n, Checked: now}}
		}
		a.Store.PutExtras(extras)
		a.Engine.WarmIndex() // what every data change does first, check or not
		start := cpuTime()
		w.publish(b.Context(), h, now)
		cpu += cpuTime() - start
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(n), "cpu-ms/change")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	count := func(result string) float64 {
		var v float64
		fmt.Sscan(metricValue(rec.Body.String(), `paperfeed_websub_checks_total{result="`+result+`"}`), &v)
		return v
	}
	b.ReportMetric((count("rendered")-float64(len(urls)))/float64(n), "rendered/change") // less the first check's
	b.ReportMetric(count("unchanged")/float64(n), "unchanged/change")
}
