package server

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/standin"
	"paperfeed/scrape"
)

// Regression tests of the hardening issue, one per defect.

// 1. Regex filters that would pin the CPU are refused quickly, on feeds
// and on the page's preview.
func TestCostlyRegexIsRefusedQuickly(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ query, want string }{
		{"filter=" + url.QueryEscape("(.*.*.*.*.*.*.*.*.*.*){20}x1$"), "too complex"},
		{"filter=" + url.QueryEscape(".{500}.{500}.{500}zzz"), "repetition count 500 is too large"},
		{"filter_description=" + url.QueryEscape("(.*.*.*.*.*.*.*.*){3}[0-9]$") + "&source=all", "would read too much text"},
	} {
		for _, path := range []string{"/feed.rss", "/feed.json", "/preview", "/"} {
			start := time.Now()
			resp, body := f.get(t, path+"?"+c.query)
			if d := time.Since(start); d > time.Second {
				t.Errorf("%s?%s took %s", path, c.query, d)
			}
			if resp.StatusCode != 400 || !strings.Contains(string(body), c.want) {
				t.Errorf("%s?%s: %d %.300q, want 400 saying %q", path, c.query, resp.StatusCode, body, c.want)
			}
		}
	}
	// An ordinary expression still works, and its answer is cached.
	resp, body := f.get(t, "/feed.json?filter="+url.QueryEscape("(?i)diffusion|agent"))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"items"`) {
		t.Errorf("ordinary regex: %d %.200q", resp.StatusCode, body)
	}
}

// 3. A malformed query is a 400 naming the bad pair on every route that
// reads a query.
func TestMalformedQueryIs400(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ query, want string }{
		{"min_upvotes=50;has_code=1", "min_upvotes=50;has_code=1: contains ';'"},
		{"q=agents%zz", "q=agents%zz: malformed %-escape"},
		{"limit=1%", "limit=1%: malformed %-escape"},
		{"min_upvotes=%G0", "min_upvotes=%G0: malformed %-escape"},
	} {
		for _, path := range []string{"/feed.rss", "/feed.json", "/feed", "/huggingface/daily-papers/week", "/topics/agents.atom", "/", "/preview", "/opml"} {
			resp, body := f.get(t, path+"?"+c.query)
			want := c.want
			if path == "/" || path == "/preview" {
				want = html.EscapeString(want)
			}
			if resp.StatusCode != 400 || !strings.Contains(string(body), want) {
				t.Errorf("%s?%s: %d %.200q, want 400 naming %q", path, c.query, resp.StatusCode, body, want)
			}
		}
	}
	// A 400 for a bad value names it once and lists no parameters.
	_, body := f.get(t, "/feed.rss?q=agents%zz")
	if strings.Contains(string(body), "min_stars") {
		t.Errorf("the 400 for a bad value lists the parameters: %q", body)
	}
}

// 5. HF failing at start: not ready, feeds of HF are 503 (not an empty
// feed), while an arXiv feed is served once arXiv loaded.
func TestSourceNeverLoadedIs503(t *testing.T) {
	f := newSiteFixture(t, nil)
	f.site.HF.SetFault("/papers", standin.Fault{Status: 500})
	f.site.HF.SetFault("/api/daily_papers", standin.Fault{Status: 500})
	if err := f.refresh(t); err == nil {
		t.Fatal("refresh against a failing HF succeeded")
	}
	f.arxivRefresh(t)
	if resp, _ := f.get(t, "/readyz"); resp.StatusCode != 503 {
		t.Errorf("/readyz with HF never loaded: %d", resp.StatusCode)
	}
	for _, p := range []string{"/feed.rss", "/feed.json?source=all", "/topics/agents.rss"} {
		resp, body := f.get(t, p)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s with HF never loaded: %d %q (Retry-After %q)", p, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}
	resp, body := f.get(t, "/feed.json?source=arxiv")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "arxiv.org/abs/") {
		t.Errorf("source=arxiv once arXiv loaded: %d %.200q", resp.StatusCode, body)
	}
}

// 7. Zero and too-early dates are 400s, not the rolling window.
func TestZeroDatesAre400(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"date=0001-01-01", "since=0001-01-01", "until=0001-01-01", "date=2023-05-03", "date=0001-01-01&week=2026-W34"} {
		resp, body := f.get(t, "/feed.rss?"+q)
		if resp.StatusCode != 400 || !strings.Contains(string(body), "2023-05-04") {
			t.Errorf("%s: %d %.200q, want 400 naming the first listing", q, resp.StatusCode, body)
		}
	}
}

// 8. Known routes answer other methods 405 with Allow; unknown ones 404.
func TestOtherMethodsAre405(t *testing.T) {
	f := newFixture(t, nil)
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/feed.rss", 405}, {"PUT", "/feed.json", 405}, {"DELETE", "/topics/agents.rss", 405}, {"POST", "/", 405},
		{"POST", "/huggingface/daily-papers/week/20", 405}, {"PATCH", "/status", 405}, {"OPTIONS", "/feed.rss", 204},
		{"POST", "/nothing", 404}, {"HEAD", "/healthz", 200},
	} {
		resp, _ := f.do(t, c.method, c.path)
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
		if c.want == 405 && resp.Header.Get("Allow") != "GET, HEAD, OPTIONS" {
			t.Errorf("%s %s: Allow %q", c.method, c.path, resp.Header.Get("Allow"))
		}
	}
}

// 9. Forwarded headers count only behind a trusted proxy, and every page
// link goes through the base URL's path.
func TestProxyHeadersAndBasePath(t *testing.T) {
	for _, trust := range []bool{false, true} {
		f := newFixture(t, func(c *Config) { c.BaseURL, c.TrustProxy = "", trust })
		if err := f.refresh(t); err != nil {
			t.Fatal(err)
		}
		_, body := f.get(t, "/feed.atom", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "feeds.example.org")
		self := "http://" + strings.TrimPrefix(f.srv.URL, "http://") + "/feed.atom"
		if trust {
			self = "https://feeds.example.org/feed.atom"
		}
		if !strings.Contains(string(body), `href="`+self+`"`) {
			t.Errorf("trust-proxy=%v: self link is not %s", trust, self)
		}
	}
	f := newFixture(t, func(c *Config) { c.BaseURL = "https://example.org/papers-feed" })
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	_, body := f.get(t, "/?q=agents")
	page := string(body)
	for _, want := range []string{`href="/papers-feed/static/style.css"`, `src="/papers-feed/static/app.js"`, `action="/papers-feed/"`,
		`data-preview="/papers-feed/preview"`, `href="/papers-feed/topics/agents.rss"`, `href="https://example.org/papers-feed/feed.rss?q=agents"`,
		`href="/papers-feed/status"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, bad := range []string{`href="/static`, `href="/topics`, `href="/opml"`, `action="/"`} {
		if strings.Contains(page, bad) {
			t.Errorf("page has a link outside the base path: %s", bad)
		}
	}
}

// 10. An uncached past day whose fetch hangs is a quick 503 with
// Retry-After; the fetch goes on and a later request gets the listing.
func TestHangingPastListingAnswersQuickly(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PastWait = 300 * time.Millisecond })
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	f.hf.SetFault("/papers/date/2026-08-12", standin.Fault{Slow: 1500 * time.Millisecond})
	start := time.Now()
	resp, body := f.get(t, "/feed.rss?date=2026-08-12")
	if d := time.Since(start); d > time.Second {
		t.Errorf("answered after %s", d)
	}
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "try again in a few seconds") {
		t.Fatalf("hanging past listing: %d %q", resp.StatusCode, body)
	}
	waitFor(t, "the past listing to arrive", func() bool {
		resp, _ := f.get(t, "/feed.rss?date=2026-08-12")
		return resp.StatusCode == 200
	})
	if n := f.hf.Hits()["/papers/date/2026-08-12"]; n != 1 {
		t.Errorf("the past day was fetched %d times, want 1", n)
	}
}

// 4. A huge Retry-After from an upstream is not passed on to clients
// (the pollers' cap is tested in internal/refresh).
func TestRetryAfterToClientsIsCapped(t *testing.T) {
	err := fmt.Errorf("day: %w", &scrape.HTTPError{StatusCode: 429, RetryAfter: 8640000 * time.Second})
	if got := retryAfterFor(err); got != maxClientRetryAfter {
		t.Errorf("Retry-After passed to clients: %s, want %s", got, maxClientRetryAfter)
	}
}

// 2. The deterministic core of the shutdown defect: a request whose
// context ends while it waits for a render slot still gets an answer (a
// 503 with Retry-After), never a 200 with no body.
func TestCancelledRenderStillAnswers(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	for range cap(f.app.renders) {
		f.app.renders <- struct{}{} // every slot busy
	}
	defer func() {
		for range cap(f.app.renders) {
			<-f.app.renders
		}
	}()
	for _, path := range []string{"/feed.rss?q=uncached", "/feed.json?q=other", "/preview?q=third"} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		req := httptest.NewRequest(http.MethodGet, path, nil).WithContext(ctx)
		w := httptest.NewRecorder()
		f.app.routes().ServeHTTP(w, req)
		cancel()
		if w.Code != 503 || w.Body.Len() == 0 || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s cancelled while waiting: %d, %d bytes, Retry-After %q", path, w.Code, w.Body.Len(), w.Header().Get("Retry-After"))
		}
	}
}

// Raw query strings through the real handler: never a 5xx but a 503
// with Retry-After, never an empty 200, and a bounded answer time.
func FuzzFeedQuery(f *testing.F) {
	for _, s := range []string{"q=agents&min_upvotes=20&has_code=1", "min_upvotes=50;has_code=1", "q=agents%zz", "limit=1%",
		"date=0001-01-01", "filter=(.*.*.*.*.*.*.*.*.*.*){20}x1$", "filter=.{500}.{500}.{500}zzz", "week=2026-W34&sort=stars",
		"date=2026-08-20&format=json", "filter_description=(a|b)+c&filter_case_sensitive=false", "&&=&", "q=%C3%A9t%C3%A9", "source=all&days=3",
		"category=cs.CL,stat&limit=500", "filter_time=3600", "q=\"world model\" -gan OR diffus*"} {
		f.Add("/feed.rss", s)
	}
	f.Add("/huggingface/daily-papers/week/20", "filterout=survey")
	f.Add("/topics/agents.json", "min_upvotes=5")
	f.Add("/preview", "q=agents")
	f.Add("/opml", "feed=q%3Dagents")
	a := testApp(f, newUpstream(f, replayHF(f)), nil, func(c *Config) { c.PastWait = 200 * time.Millisecond })
	if _, err := a.refresh.RefreshSource(context.Background(), feed.SourceHF); err != nil {
		f.Fatal(err)
	}
	h := a.routes()
	f.Fuzz(func(t *testing.T, path, raw string) {
		switch path {
		case "/feed.rss", "/feed.json", "/feed.atom", "/feed", "/huggingface/daily-papers/week/20", "/topics/agents.json", "/preview", "/opml", "/":
		default:
			path = "/feed.rss"
		}
		req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: path, RawQuery: raw}, Header: http.Header{},
			Host: "paperfeed.test", RemoteAddr: "192.0.2.1:1234", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req = req.WithContext(ctx)
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		if d := time.Since(start); d > a.cfg.RequestTimeout+time.Second {
			t.Errorf("%s?%s took %s", path, raw, d)
		}
		switch {
		case w.Code == 503 && w.Header().Get("Retry-After") == "":
			t.Errorf("%s?%s: 503 without Retry-After", path, raw)
		case w.Code >= 500 && w.Code != 503:
			t.Errorf("%s?%s: %d %q", path, raw, w.Code, w.Body.String())
		case w.Code == 200 && w.Body.Len() == 0:
			t.Errorf("%s?%s: empty 200", path, raw)
		}
	})
}
