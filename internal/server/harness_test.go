package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
	"paperfeed/internal/testkit"
)

// The one test harness: every test that needs a wired service builds it
// here, against replayed upstreams on loopback.

// testdata holds the recorded upstream responses.
const testdata = "../../testdata"

func replayHF(t testing.TB) *standin.HF               { t.Helper(); return testkit.ReplayHF(t, testdata) }
func newUpstream(t testing.TB, h http.Handler) string { t.Helper(); return testkit.Upstream(t, h) }
func discardLog() *slog.Logger                        { return testkit.DiscardLog() }
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, what, cond)
}
func parseFeed(t *testing.T, body string) *gofeed.Feed { t.Helper(); return testkit.ParseFeed(t, body) }

type syncBuffer = testkit.SyncBuffer

// app is the service as the tests drive it: its parts at hand.
type app struct {
	*Service
	refresh *refresh.Service
	store   *feed.Store
	cfg     Config
	renders chan struct{} // the render slots
	cache   *renderCache
}

func (a *app) routes() http.Handler { return a.Handler() }

func (a *app) Status() Status { return a.HTTP.Status() }

func (a *app) instrument(name string, h http.Handler) http.Handler { return a.HTTP.instrument(name, h) }

// testApp is the real service with the built-in topics, its upstreams
// at upstreamURL; mutate (may be nil) adjusts the configuration and now
// (may be nil) stands in for the clock.
func testApp(t testing.TB, upstreamURL string, now func() time.Time, mutate func(*Config)) *app {
	t.Helper()
	return testAppWith(t, upstreamURL, now, mutate, nil)
}

// testAppWith is testApp keeping its state in backend (nil: memory).
func testAppWith(t testing.TB, upstreamURL string, now func() time.Time, mutate func(*Config), backend state.Backend) *app {
	t.Helper()
	return testAppLogging(t, upstreamURL, now, mutate, backend, io.Discard)
}

// testAppLogging is testAppWith writing its logs to logs.
func testAppLogging(t testing.TB, upstreamURL string, now func() time.Time, mutate func(*Config), backend state.Backend, logs io.Writer) *app {
	t.Helper()
	cfg := testConfig(upstreamURL)
	if mutate != nil {
		mutate(&cfg)
	}
	if now == nil {
		now = time.Now
	}
	topics, err := LoadTopics("")
	if err != nil {
		t.Fatal(err)
	}
	svc := New(cfg, logs, now, backend, topics)
	return &app{Service: svc, refresh: svc.Refresh, store: svc.Store, cfg: cfg, renders: svc.HTTP.feeds.slots, cache: svc.HTTP.feeds.cache}
}

// fixture is an app wired to a replayed HF, driven by hand: the test
// calls refresh itself, so the upstream request count is exact.
type fixture struct {
	app *app
	hf  *standin.HF
	srv *httptest.Server
}

// heldOn counts the HF papers the store holds for a listing day.
func heldOn(s *feed.Store, day time.Time) int {
	n := 0
	for _, p := range s.View().Papers {
		if p.OnHF && p.ListedOn.Equal(day) {
			n++
		}
	}
	return n
}

func testConfig(hfURL string) Config {
	return Config{
		Addr: "127.0.0.1:0", BaseURL: "http://paperfeed.test", Days: 7, ArxivDays: 7, Refresh: 15 * time.Minute,
		RefreshPast: 3 * time.Hour, HFURL: hfURL, Timeout: 2 * time.Second, RequestTimeout: 5 * time.Second,
		StartupWait: 200 * time.Millisecond, CacheEntries: 100, CacheMB: 16, MaxRenders: 4, HFAPI: true, HFArtifacts: true, Thumbnails: true,
	}
}

// newServer serves an app's routes on loopback for the test's life.
func newServer(t testing.TB, a *app) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return srv
}

func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	t.Helper()
	hf := replayHF(t)
	a := testApp(t, newUpstream(t, hf), nil, mutate)
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return &fixture{app: a, hf: hf, srv: srv}
}

// loaded refreshes the HF window and fails the test if that fails.
func (f *fixture) loaded(t *testing.T) *fixture {
	t.Helper()
	if err := f.refresh(t); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return f
}

func (f *fixture) refresh(t *testing.T) error {
	t.Helper()
	_, err := f.app.refresh.RefreshSource(context.Background(), feed.SourceHF)
	return err
}

func (f *fixture) get(t *testing.T, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return f.do(t, http.MethodGet, path, hdr...)
}

func (f *fixture) do(t *testing.T, method, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return roundTrip(t, method, f.srv.URL+path, hdr...)
}

func roundTrip(t *testing.T, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return testkit.RoundTrip(t, method, url, hdr...)
}

func (f *fixture) status(t *testing.T) refresh.SourceState {
	t.Helper()
	_, b := f.get(t, "/status")
	var d Status
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d.Sources[0]
}

// jsonItem is what tests read of a JSON Feed item.
type jsonItem struct {
	ID   string   `json:"id"`
	Tags []string `json:"tags"`
	Ext  struct {
		ArxivID      string   `json:"arxiv_id"`
		ArxivVersion int      `json:"arxiv_version"`
		Sources      []string `json:"sources"`
		Upvotes      int      `json:"upvotes"`
		AnnounceType string   `json:"announce_type"`
		Announced    string   `json:"announced"`
		Categories   []string `json:"categories"`
		CodeURL      string   `json:"code_url"`
		DOI          string   `json:"doi"`
		AISummary    string   `json:"ai_summary"`
		AIKeywords   []string `json:"ai_keywords"`
		Comments     int      `json:"comments"`
	} `json:"_paperfeed"`
}

func (f *fixture) items(t *testing.T, path string) map[string]jsonItem {
	t.Helper()
	resp, b := f.get(t, path)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	var doc struct{ Items []jsonItem }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]jsonItem{}
	for _, it := range doc.Items {
		if _, dup := out[it.Ext.ArxivID]; dup {
			t.Errorf("%s: paper %s appears twice", path, it.Ext.ArxivID)
		}
		out[it.Ext.ArxivID] = it
	}
	return out
}
