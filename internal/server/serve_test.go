package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/standin"
	"paperfeed/scrape"
)

// Each fault: the feed keeps serving the last good data, /status shows the
// fault, and the upstream saw only the requests the schedule allows.
func TestFaultsKeepLastGoodData(t *testing.T) {
	for _, c := range []struct {
		name    string
		fault   standin.Fault
		wantErr string // in /status; "" means the refresh succeeds
	}{
		{"http 500", standin.Fault{Status: 500}, "HTTP 500"},
		{"429 retry-after", standin.Fault{Status: 429, RetryAfter: "120"}, "HTTP 429 (retry after 2m0s)"},
		{"hang past the timeout", standin.Fault{Hang: 5 * time.Second}, "timed out after 1s"},
		{"body cut half-way", standin.Fault{Truncate: true}, "unexpected EOF"},
		{"changed layout", standin.Fault{Layout: true}, "layout changed"},
		{"partial day", standin.Fault{Partial: 3}, ""},
		{"slow", standin.Fault{Slow: 300 * time.Millisecond}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Timeout, c.HFAPI = time.Second, false }) // the page alone; with the API see TestPageFaultsServedByTheAPI
			if err := f.refresh(t); err != nil {
				t.Fatal(err)
			}
			resp, good := f.get(t, "/feed.json?limit=500")
			etag := resp.Header.Get("ETag")
			before := f.hf.Total()

			f.hf.SetFault("/papers", c.fault)
			err := f.refresh(t)
			if got := f.hf.Total() - before; got != 1 {
				t.Errorf("upstream saw %d requests for one refresh of the newest day, want 1", got)
			}
			if (err == nil) != (c.wantErr == "") {
				t.Fatalf("refresh error = %v", err)
			}
			if err != nil {
				st := f.status(t)
				if !strings.Contains(st.LastError, c.wantErr) || st.Failures != 1 || st.LastErrorAt.IsZero() {
					t.Errorf("status does not show the fault: %+v", st)
				}
				f.hf.SetFault("/papers", standin.Fault{})
			}
			resp, now := f.get(t, "/feed.json?limit=500")
			if resp.StatusCode != 200 || !bytes.Equal(now, good) || resp.Header.Get("ETag") != etag {
				t.Errorf("feed changed after the fault: %d, %d bytes (had %d)", resp.StatusCode, len(now), len(good))
			}
		})
	}
}

func TestColdStartIs503UntilLoaded(t *testing.T) {
	r := newRisingFixture(t, time.Now())
	f := r.fixture
	f.hf.SetFault("/papers", standin.Fault{Status: 503, RetryAfter: "30"})
	f.hf.SetFault("/api/", standin.Fault{Status: 503, RetryAfter: "30"})
	if err := f.refresh(t); err == nil {
		t.Fatal("refresh against a 503 succeeded")
	}
	for _, p := range []string{"/feed.rss", "/feed.json"} {
		resp, body := f.get(t, p)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "no data loaded yet") {
			t.Errorf("%s before load: %d %q", p, resp.StatusCode, body)
		}
	}
	if resp, _ := f.get(t, "/readyz"); resp.StatusCode != 503 {
		t.Errorf("readyz before load: %d", resp.StatusCode)
	}
	if resp, _ := f.get(t, "/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	f.hf.SetFault("/papers", standin.Fault{})
	f.hf.SetFault("/api/", standin.Fault{})
	// Within the upstream's Retry-After nothing is asked, whoever asks.
	hits := len(f.hf.Hits())
	before := f.hf.Hits()
	if err := f.refresh(t); err == nil || !strings.Contains(err.Error(), "holding requests until") {
		t.Errorf("a refresh within Retry-After: %v", err)
	}
	if resp, _ := f.get(t, "/feed.rss?date=2026-08-12"); resp.StatusCode != 503 {
		t.Errorf("a past listing within Retry-After: %d", resp.StatusCode)
	}
	if after := f.hf.Hits(); len(after) != hits || after["/papers"] != before["/papers"] || after["/api/daily_papers"] != before["/api/daily_papers"] {
		t.Errorf("requests within Retry-After: %v -> %v", before, after)
	}
	r.now = r.now.Add(31 * time.Second)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	if resp, _ := f.get(t, "/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz after load: %d", resp.StatusCode)
	}
}

func TestPartialDayMerges(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.HFAPI = false }) // the page alone: its partial days
	f.hf.SetFault("/papers", standin.Fault{Partial: 5})
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	newest := f.hf.Newest()
	if n := heldOn(f.app.store, newest); n != 5 {
		t.Fatalf("first, partial fetch: %d papers", n)
	}
	f.hf.SetFault("/papers", standin.Fault{})
	f.loaded(t)
	f.hf.SetFault("/papers", standin.Fault{Partial: 2})
	f.loaded(t)
	if n := heldOn(f.app.store, newest); n != f.hf.Items(newest) {
		t.Errorf("after a smaller refetch: %d papers, want all %d", n, f.hf.Items(newest))
	}
}

func TestRefreshSchedule(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.HFAPI = false }) // page requests alone (the API view adds one per period: TestTwoViewsOneRequestEachPerPeriod)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	hits := f.hf.Hits()
	// First refresh: the newest page, then the 6 older days, each once.
	if hits["/papers"] != 1 || len(hits) != 7 {
		t.Errorf("first refresh fetched %v", hits)
	}
	for p, n := range hits {
		if n != 1 {
			t.Errorf("%s fetched %d times", p, n)
		}
	}
	if hits["/papers/date/2026-08-16"] != 0 && hits["/papers/date/2026-08-15"] != 0 {
		t.Errorf("weekend days were fetched: %v", hits)
	}
	// Later refreshes within refreshPast fetch only the newest day.
	before := f.hf.Total()
	f.loaded(t)
	f.loaded(t)
	if got := f.hf.Total() - before; got != 2 {
		t.Errorf("two refreshes made %d requests, want 2", got)
	}
	// Validators stay stable across refreshes that change nothing.
	r1, _ := f.get(t, "/feed.atom")
	f.loaded(t)
	r2, _ := f.get(t, "/feed.atom")
	if r1.Header.Get("ETag") != r2.Header.Get("ETag") || r1.Header.Get("Last-Modified") != r2.Header.Get("Last-Modified") {
		t.Errorf("validators moved without a data change")
	}
}

func TestColdStartConcurrencyOneFetchPerResource(t *testing.T) {
	hf := replayHF(t)
	hf.SetFault("/papers", standin.Fault{Slow: 300 * time.Millisecond})
	a := testApp(t, newUpstream(t, hf), nil, func(c *Config) { c.StartupWait, c.HFAPI = 10*time.Second, false })
	srv := httptest.NewServer(a.routes())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.refresh.Start(ctx)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := []string{"/feed.rss", "/feed.atom", "/feed.json?q=agents", "/feed.rss?week=2026-W34"}[i%4]
			resp, err := client.Get(srv.URL + path)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("%s: %d", path, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for path, n := range hf.Hits() {
		if n != 1 {
			t.Errorf("%s fetched %d times, want once", path, n)
		}
	}
	if hf.Hits()["/papers/week/2026-W34"] != 1 {
		t.Errorf("week page: %v", hf.Hits())
	}
}

func TestConditionalGet(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/feed.rss", "/feed.atom", "/feed.json", "/feed?format=atom&q=agents"} {
		resp, body := f.get(t, path)
		etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		if resp.StatusCode != 200 || etag == "" || lm == "" || !strings.HasPrefix(etag, `"`) {
			t.Fatalf("%s: %d etag %q last-modified %q", path, resp.StatusCode, etag, lm)
		}
		if cl := resp.Header.Get("Content-Length"); cl != fmt.Sprint(len(body)) {
			t.Errorf("%s: Content-Length %s, body %d", path, cl, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "public, max-age=450") || !strings.Contains(cc, "stale-while-revalidate=900") {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
		if v := resp.Header.Get("Vary"); v != "Accept-Encoding" {
			t.Errorf("%s: Vary %q", path, v)
		}
		modified, err := http.ParseTime(lm)
		if err != nil {
			t.Fatalf("%s: Last-Modified %q: %v", path, lm, err)
		}
		for _, c := range []struct {
			name string
			hdr  []string
			want int
		}{
			{"etag", []string{"If-None-Match", etag}, 304},
			{"etag in a list", []string{"If-None-Match", `"x", ` + etag}, 304},
			{"weak etag", []string{"If-None-Match", "W/" + etag}, 304},
			{"star", []string{"If-None-Match", "*"}, 304},
			{"other etag", []string{"If-None-Match", `"nope"`}, 200},
			{"ims equal", []string{"If-Modified-Since", lm}, 304},
			{"ims later", []string{"If-Modified-Since", modified.Add(time.Hour).Format(http.TimeFormat)}, 304},
			{"ims earlier", []string{"If-Modified-Since", modified.Add(-time.Second).Format(http.TimeFormat)}, 200},
			{"ims garbage", []string{"If-Modified-Since", "yesterday"}, 200},
			{"etag wins over ims", []string{"If-None-Match", `"nope"`, "If-Modified-Since", lm}, 200},
		} {
			r, b := f.get(t, path, c.hdr...)
			if r.StatusCode != c.want {
				t.Errorf("%s %s: %d, want %d", path, c.name, r.StatusCode, c.want)
			}
			if c.want == 304 && (len(b) != 0 || r.Header.Get("ETag") != etag) {
				t.Errorf("%s %s: 304 with body %d or etag %q", path, c.name, len(b), r.Header.Get("ETag"))
			}
		}
		// gzip from the cache: a different strong ETag, same content.
		r, gz := f.get(t, path, "Accept-Encoding", "gzip")
		if r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("ETag") == etag {
			t.Fatalf("%s gzip: encoding %q etag %q", path, r.Header.Get("Content-Encoding"), r.Header.Get("ETag"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: gzip body: %v", path, err)
		}
		if !bytes.Equal(plain, body) {
			t.Errorf("%s: gzip body differs from identity body", path)
		}
		if r, _ := f.get(t, path, "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: gzip;q=0 got gzip", path)
		}
		if r, _ := f.get(t, path, "Accept-Encoding", "gzip", "If-None-Match", r.Header.Get("ETag")); r.StatusCode != 304 {
			t.Errorf("%s: gzip etag revalidation: %d", path, r.StatusCode)
		}
		// HEAD: headers, no body.
		hr, hb := f.do(t, http.MethodHead, path)
		if hr.StatusCode != 200 || len(hb) != 0 || hr.Header.Get("Content-Length") != fmt.Sprint(len(body)) || hr.Header.Get("ETag") != etag {
			t.Errorf("%s HEAD: %d body %d length %s", path, hr.StatusCode, len(hb), hr.Header.Get("Content-Length"))
		}
	}
}

func TestRenderCacheStaysBounded(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.CacheEntries = 500; c.CacheMB = 2 })
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	h := f.app.routes()
	for i := range 20000 {
		// Each URL twice: a render is kept the second time it is asked for.
		for range 2 {
			req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/feed.json?min_upvotes=%d&limit=%d", 40+i, 1+i%3), nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("request %d: %d", i, rec.Code)
			}
		}
	}
	entries, size := f.app.cache.stats()
	if entries > 500 || size > 2<<20 {
		t.Errorf("render cache grew past its bound: %d entries, %d bytes", entries, size)
	}
	if entries < 400 {
		t.Errorf("render cache holds only %d entries; it should be near its bound", entries)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	f := newFixture(t, nil)
	h := f.app.instrument("test", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(errors.New("boom")) }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if rec.Code != 500 {
		t.Errorf("panic answered %d", rec.Code)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	for range 4 {
		f.get(t, "/feed.rss")
	}
	wants := []string{
		`paperfeed_http_requests_total{format="rss",route="feed",status="200"} 4`,
		`paperfeed_upstream_fetches_total{outcome="ok",source="hf"} 7`,
		// Made once, made and kept, then (the third by its alias) hits.
		`paperfeed_render_cache_requests_total{result="first"} 1`,
		`paperfeed_render_cache_requests_total{result="miss"} 1`,
		`paperfeed_render_cache_requests_total{result="hit"} 2`,
		`paperfeed_items{source="hf"}`,
		`paperfeed_http_request_duration_seconds_bucket{route="feed"`,
		`paperfeed_http_response_bytes_total{route="feed"}`,
	}
	if m, ok := f.metricsWith(t, wants...); !ok {
		for _, want := range wants {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	}
}

// A URL served again skips parsing; a data change is never hidden by it.
func TestAliasFastPathFollowsData(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	path := "/feed?format=json&q=agents"
	_, first := f.get(t, path)
	_, again := f.get(t, path)
	if !bytes.Equal(first, again) {
		t.Fatal("the same URL gave different bytes")
	}
	if m, ok := f.metricsWith(t, `paperfeed_http_requests_total{format="json",route="feed",status="200"} 2`); !ok {
		t.Errorf("fast path lost the format label:\n%s", grepLines(m, "paperfeed_http_requests_total"))
	}
	// Change a paper: the next answer must show it.
	v := f.app.store.View()
	p := v.Papers[0].Clone()
	p.Upvotes += 1000
	f.app.store.PutHFDay(p.ListedOn, []feed.Paper{p})
	_, after := f.get(t, "/feed.json?limit=1")
	if !strings.Contains(string(after), fmt.Sprintf(`"upvotes": %d`, p.Upvotes)) {
		t.Errorf("data change not served: %.300s", after)
	}
	_, after = f.get(t, path)
	if bytes.Equal(after, first) && strings.Contains(string(first), p.ID) {
		t.Error("the alias served a feed from before the data change")
	}
}

// metricsWith reads /metrics until it holds every wanted line: a request
// is counted just after its answer is sent, so the count can lag.
func (f *fixture) metricsWith(t *testing.T, want ...string) (string, bool) {
	t.Helper()
	var m string
	for range 100 {
		_, b := f.get(t, "/metrics")
		m = string(b)
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(m, w)
		}
		if ok {
			return m, true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return m, false
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// When /papers shows a week view (no day of its own), the newest day is
// read from today's day page, which HF answers with the newest papers-day.
func TestLatestWeekViewFallsBackToDayPage(t *testing.T) {
	hf := replayHF(t)
	up := newUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/papers" {
			r.URL.Path = "/papers/week/2026-W34"
		}
		hf.ServeHTTP(w, r)
	}))
	a := testApp(t, up, nil, nil)
	if _, err := a.refresh.RefreshSource(context.Background(), feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	if days := a.store.View().HFDays; len(days) != 7 || days[0].Format(time.DateOnly) != "2026-08-21" {
		t.Errorf("days held: %v", days)
	}
	if n := hf.Hits()["/papers/date/"+time.Now().UTC().Format(time.DateOnly)]; n != 1 {
		t.Errorf("today's day page fetched %d times", n)
	}
}

// A 429 in the middle of the window walk stops the walk: no more pages
// are asked for until the poller's wait (Retry-After) is over.
func TestWalkStopsOn429(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.HFAPI = false })
	f.hf.SetFault("/papers/date/", standin.Fault{Status: 429, RetryAfter: "600"})
	_, err := f.app.refresh.RefreshSource(context.Background(), feed.SourceHF)
	var he *scrape.HTTPError
	if !errors.As(err, &he) || he.RetryAfter != 10*time.Minute {
		t.Fatalf("refresh error %v, want the 429 with its Retry-After", err)
	}
	days := 0
	for path, n := range f.hf.Hits() {
		if strings.HasPrefix(path, "/papers/date/") {
			days += n
		}
	}
	if days != 1 {
		t.Errorf("%d day pages asked for after a 429, want 1", days)
	}
	if !errors.As(err, &he) || he.RetryAfter != 10*time.Minute {
		t.Errorf("refresh error %v does not carry the Retry-After for the poller", err)
	}
	if n := len(f.app.store.View().HFDays); n != 1 {
		t.Errorf("%d days held, want the newest one", n)
	}
}
