package refresh_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
	"paperfeed/internal/source/hf"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
	"paperfeed/scrape"
)

// notes is a source made for this test the way the recipe in
// docs/architecture.md says: it adds a comment to every window paper,
// after the window's first load, and remembers a run counter in its
// schedule.
type notes struct {
	env   refresh.Env
	runs  atomic.Int64
	fail  atomic.Bool
	saved atomic.Int64 // what Resume took back
}

func (n *notes) Refresh(context.Context) (time.Duration, error) {
	if n.fail.Load() {
		return 0, errors.New("notes: upstream down")
	}
	k := n.runs.Add(1)
	x := map[string]feed.Extra{}
	for _, p := range n.env.Store.View().Papers {
		x[p.ID] = feed.Extra{Comment: "noted", Checked: n.env.Now()}
	}
	n.env.Store.PutExtras(x)
	n.env.Status.Update(func(s *refresh.SourceState) { s.Items, s.LastRun = len(x), &refresh.RunCounts{Checked: int(k)} })
	return 0, nil
}
func (n *notes) Keep(sc *refresh.Schedule) {
	sc.Failures = 0
	sc.Newest = time.Unix(n.runs.Load(), 0).UTC()
}
func (n *notes) Resume(sc refresh.Schedule) { n.saved.Store(sc.Newest.Unix()) }
func (n *notes) Holds(v *feed.View) bool    { return len(v.HFDays) > 0 }
func (n *notes) Publish()                   {}
func notesPlugin(made **notes) refresh.Plugin {
	return refresh.Plugin{
		Spec: refresh.Spec{Name: "notes", Label: "notes", Enabled: true, Interval: time.Hour, MinBackoff: time.Minute, After: feed.SourceHF},
		New:  func(env refresh.Env) refresh.Source { *made = &notes{env: env}; return *made },
	}
}

// A source registered as a plug-in is run, shown, saved and resumed by
// the service without it knowing the source: its first run waits for
// the window, /status lists it after the window, its schedule survives
// a restart, and a start has not settled until it ran once.
func TestASourceIsOnePlugin(t *testing.T) {
	rec, err := standin.NewHF(filepath.Join("..", "..", "testdata"), standin.DefaultDays())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cfg := refresh.Config{Refresh: time.Hour, RefreshPast: time.Hour, Days: 7, ArxivDays: 7, Timeout: 5 * time.Second}
	up := refresh.Upstreams{HF: &scrape.HFClient{Base: srv.URL, Fetcher: &scrape.Fetcher{UserAgent: "test"}},
		Arxiv: &scrape.ArxivClient{Fetcher: &scrape.Fetcher{}}}
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	backend, err := state.OpenBolt(dir, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var n *notes
	store := feed.NewStore(7, 7, nil)
	s := refresh.New(cfg, store, backend, up, []refresh.Plugin{hf.Plugin(cfg, up), notesPlugin(&n)}, nil, log, time.Now, nil)
	if s.CountsSettled() {
		t.Error("settled before the plug-in ran")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for !s.CountsSettled() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if n.runs.Load() == 0 {
		t.Fatal("the plug-in never ran")
	}
	if !s.CountsSettled() || !s.Loaded("notes").Done() {
		t.Error("the plug-in ran, but the start has not settled")
	}
	v := store.View()
	if len(v.Papers) == 0 || v.Papers[0].ArxivComment != "noted" {
		t.Fatalf("the plug-in ran before the window loaded, or its look-ups are not in the view (%d papers)", len(v.Papers))
	}
	st := s.States()
	if len(st) != 2 || st[1].Source != "notes" || st[1].Items != len(v.Papers) || st[1].LastRun == nil || st[1].LastSuccess.IsZero() {
		t.Fatalf("status: %+v", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A restart over the same state file resumes the plug-in's schedule.
	backend2, err := state.OpenBolt(dir, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var n2 *notes
	s2 := refresh.New(cfg, feed.NewStore(7, 7, nil), backend2, up, []refresh.Plugin{hf.Plugin(cfg, up), notesPlugin(&n2)}, nil, log, time.Now, nil)
	if _, err := s2.Restore(); err != nil {
		t.Fatal(err)
	}
	if got := n2.saved.Load(); got != n.runs.Load() {
		t.Errorf("resumed %d runs, saved %d", got, n.runs.Load())
	}
	if !s2.CountsSettled() || s2.States()[1].LastSuccess.IsZero() {
		t.Error("the restored plug-in is not settled, or forgot its last success")
	}
	// Its failures show in its own status, and leave the window alone.
	n2.fail.Store(true)
	if _, err := s2.RefreshSource(context.Background(), "notes"); err == nil {
		t.Error("a failing plug-in refresh reported success")
	}
	if st := s2.States(); st[1].Failures != 1 || st[1].LastError == "" || st[0].LastError != "" {
		t.Errorf("after a failure: %+v", st)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
}
