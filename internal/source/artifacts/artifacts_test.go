package artifacts

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
	"paperfeed/internal/source/hf"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
	"paperfeed/scrape"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// newService runs the window and the counts over client, and returns
// the counts' source too.
func newService(store *feed.Store, backend state.Backend, client *scrape.HFClient, now func() time.Time) (*refresh.Service, *source) {
	cfg := refresh.Config{Refresh: 15 * time.Minute, RefreshPast: 3 * time.Hour, Days: 7, ArxivDays: 7, Timeout: 5 * time.Second}
	up := refresh.Upstreams{HF: client, Arxiv: &scrape.ArxivClient{Fetcher: &scrape.Fetcher{}}}
	var src *source
	counts := Plugin(cfg, up)
	mk := counts.New
	counts.New = func(env refresh.Env) refresh.Source { src = mk(env).(*source); return src }
	s := refresh.New(cfg, store, backend, up, []refresh.Plugin{hf.Plugin(cfg, up), counts}, nil,
		slog.New(slog.DiscardHandler), now, nil)
	return s, src
}

// A simulated day of linked-artifact counts over the replayed window:
// every paper is counted, recent papers every 6 hours and older ones
// every 24, no run makes more than MaxChecks requests, and the
// day stays a small part of HF's anonymous API budget (500 requests per
// 5 minutes). A model released in the afternoon is in the paper's
// history from the first recheck after.
func TestArtifactsBudgetOverASimulatedDay(t *testing.T) {
	hf, err := standin.NewHF(filepath.Join("..", "..", "..", "testdata"), standin.DefaultDays())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hf)
	defer srv.Close()
	start := time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	store := feed.NewStore(7, 7, clock.now)
	client := &scrape.HFClient{Base: srv.URL, Fetcher: &scrape.Fetcher{UserAgent: "test"}, PaperAPI: &scrape.Fetcher{UserAgent: "test"}}
	backend := state.NewMemory()
	s, _ := newService(store, backend, client, clock.now)
	ctx := context.Background()
	if _, err := s.RefreshSource(ctx, feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	papers := store.View().Papers
	if len(papers) < 50 {
		t.Fatalf("the replay loaded %d papers", len(papers))
	}
	// The newest day's first paper has no model until 19:00.
	var late *feed.Paper
	for _, p := range papers {
		if p.ListedOn.Equal(time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)) && standin.DerivedArtifacts(p.ID).Models == 0 {
			late = p
			break
		}
	}
	if late == nil {
		t.Fatal("no paper of the newest day without a derived model")
	}
	hf.SetArtifacts(late.ID, standin.Artifacts{})
	perPaper := map[string]int{}
	before := 0
	window := map[time.Time]int{} // requests per 5-minute window
	day := 24 * time.Hour
	for at := start; at.Before(start.Add(day + time.Minute)); at = at.Add(Interval) {
		clock.set(at)
		if at.Equal(start.Add(7 * time.Hour)) {
			hf.SetArtifacts(late.ID, standin.Artifacts{Models: 2})
		}
		if _, err := s.RefreshSource(ctx, Name); err != nil {
			t.Fatalf("%s: %v", at.Format(time.Kitchen), err)
		}
		n := hf.PaperTotal() - before
		before += n
		if n > MaxChecks {
			t.Fatalf("%s: one run made %d requests", at.Format(time.Kitchen), n)
		}
		window[at.Truncate(5*time.Minute)] += n
		for path, k := range hf.Hits() {
			if id, ok := cutPaperPath(path); ok {
				perPaper[id] = k
			}
		}
	}
	total := hf.PaperTotal()
	recent, old := 0, 0
	for _, p := range papers {
		k := perPaper[p.ID]
		if remaining := recentListing - start.Sub(p.ListedOn); remaining > 0 {
			recent++
			// Counted at first sight, then every 6 h while recent.
			want := 1 + int((min(remaining, day+time.Minute)-time.Nanosecond)/recheckRecent)
			if k != want {
				t.Errorf("recent paper %s (listed %s) counted %d times in a day, want %d", p.ID, p.ListedOn.Format(time.DateOnly), k, want)
			}
		} else {
			old++
			if k < 1 || k > 2 {
				t.Errorf("older paper %s counted %d times in a day", p.ID, k)
			}
		}
		if !store.View().ByID[p.ID].Artifacts.Known() {
			t.Errorf("paper %s has no counts after a day", p.ID)
		}
	}
	busiest := 0
	for _, n := range window {
		busiest = max(busiest, n)
	}
	t.Logf("%d papers (%d recent): %d per-paper requests in a day, at most %d in 5 minutes (HF allows 500)", len(papers), recent, total, busiest)
	if busiest > MaxChecks || total > 5*recent+2*old {
		t.Errorf("%d requests in a day, %d in the busiest 5 minutes", total, busiest)
	}
	// The model released at 19:00 is recorded by the next recheck (at
	// most 6 h later), in the view and in the history.
	if got := store.View().ByID[late.ID].Artifacts.Models; got != 2 {
		t.Errorf("the late model: %d models now", got)
	}
	hist, err := backend.History(late.ID)
	if err != nil {
		t.Fatal(err)
	}
	first := time.Time{}
	for _, pt := range hist {
		if pt.Models > 0 {
			first = pt.At
			break
		}
	}
	if first.Before(start.Add(7*time.Hour)) || first.After(start.Add(13*time.Hour)) {
		t.Errorf("first model recorded at %s, want between 19:00 and 01:00: %+v", first, hist)
	}
}

func cutPaperPath(p string) (string, bool) {
	const prefix = "/api/papers/"
	if len(p) > len(prefix) && p[:len(prefix)] == prefix {
		return p[len(prefix):], true
	}
	return "", false
}

// A 429 stops the run at once; a paper HF has no page for counts as
// none; a failure among successes is retried by the next run.
func TestArtifactsFaults(t *testing.T) {
	hf, err := standin.NewHF(filepath.Join("..", "..", "..", "testdata"), standin.DefaultDays())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hf)
	defer srv.Close()
	clock := &fakeClock{t: time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)}
	store := feed.NewStore(7, 7, clock.now)
	client := &scrape.HFClient{Base: srv.URL, Fetcher: &scrape.Fetcher{UserAgent: "test"}, PaperAPI: &scrape.Fetcher{UserAgent: "test"}}
	s, src := newService(store, nil, client, clock.now)
	ctx := context.Background()
	if _, err := s.RefreshSource(ctx, feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	hf.SetFault("/api/papers/", standin.Fault{Status: 429, RetryAfter: "60"})
	if _, err := s.RefreshSource(ctx, Name); !scrape.Throttled(err) {
		t.Errorf("a 429: %v", err)
	}
	if n := hf.PaperTotal(); n != 1 {
		t.Errorf("%d requests after a 429, want 1", n)
	}
	hf.SetFault("/api/papers/", standin.Fault{})
	ids := src.due(clock.now())
	hf.SetFault("/api/papers/"+ids[1], standin.Fault{Status: 500})
	hf.SetFault("/api/papers/"+ids[2], standin.Fault{Status: 404})
	if _, err := s.RefreshSource(ctx, Name); err != nil {
		t.Errorf("one failure among successes failed the run: %v", err)
	}
	v := store.View()
	if v.ByID[ids[1]].Artifacts.Known() || !v.ByID[ids[0]].Artifacts.Known() {
		t.Errorf("known after the run: %s %v, %s %v", ids[0], v.ByID[ids[0]].Artifacts.Known(), ids[1], v.ByID[ids[1]].Artifacts.Known())
	}
	if a := v.ByID[ids[2]].Artifacts; !a.Known() || a.Total() != 0 {
		t.Errorf("a paper without a page: %+v", a)
	}
	hf.SetFault("/api/papers/"+ids[1], standin.Fault{})
	if got := src.due(clock.now()); len(got) == 0 || got[0] != ids[1] {
		t.Errorf("the failed paper is not first next run: %v", got[:min(3, len(got))])
	}
}
