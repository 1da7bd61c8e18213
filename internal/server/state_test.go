package server

import (
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// A state older than the refresh interval is served at once (ready, the
// same feed) while a refresh runs in the background.
func TestRestartWithStaleStateServesThenRefreshes(t *testing.T) {
	hf := replayHF(t)
	up := newUpstream(t, hf)
	dir := t.TempDir()
	now := time.Now()
	clock := func() time.Time { return now }
	open := func() state.Backend {
		b, err := state.Open(dir, discardLog(), clock)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := testAppWith(t, up, clock, nil, open())
	if _, err := a.refresh.RefreshSource(context.Background(), feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	f := &fixture{app: a, hf: hf, srv: newServer(t, a)}
	resp, body := f.get(t, "/feed.atom")
	if err := a.refresh.Close(); err != nil {
		t.Fatal(err)
	}

	now = now.Add(time.Hour) // four refresh intervals later
	hf.SetFault("/papers", standin.Fault{Slow: 500 * time.Millisecond})
	b := testAppWith(t, up, clock, nil, open())
	if _, err := b.refresh.Restore(); err != nil {
		t.Fatal(err)
	}
	hits := hf.Total()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.refresh.Start(ctx)
	g := &fixture{app: b, hf: hf, srv: newServer(t, b)}
	start := time.Now()
	resp2, body2 := g.get(t, "/feed.atom")
	if d := time.Since(start); d > 300*time.Millisecond || resp2.StatusCode != 200 {
		t.Errorf("stale state: %d after %s, want 200 at once", resp2.StatusCode, d)
	}
	if string(body2) != string(body) || resp2.Header.Get("ETag") != resp.Header.Get("ETag") {
		t.Error("stale state: the feed changed before any refresh")
	}
	waitFor(t, "the background refresh", func() bool { return hf.Total() > hits })
	cancel()
	if err := b.refresh.Close(); err != nil {
		t.Error(err)
	}
}

// A store whose writes fail (a full disk) keeps serving from memory,
// shows the error, and writes everything once it works again.
func TestFailingStateWritesKeepServing(t *testing.T) {
	hf := replayHF(t)
	up := newUpstream(t, hf)
	fb := &failingBackend{Memory: state.NewMemory(), fail: true}
	a := testAppWith(t, up, nil, nil, fb)
	if _, err := a.refresh.RefreshSource(context.Background(), feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	f := &fixture{app: a, hf: hf, srv: newServer(t, a)}
	if resp, _ := f.get(t, "/feed.rss"); resp.StatusCode != 200 {
		t.Errorf("feed with a failing store: %d", resp.StatusCode)
	}
	_, body := f.get(t, "/status")
	if !strings.Contains(string(body), "no space left on device") {
		t.Errorf("/status does not show the failing store: %s", body)
	}
	_, metrics := f.get(t, "/metrics")
	if !strings.Contains(string(metrics), "paperfeed_state_write_errors_total 1") {
		t.Error("/metrics does not count the failed write")
	}
	fb.setFail(false)
	if err := a.refresh.Close(); err != nil { // the final write carries everything
		t.Fatal(err)
	}
	if fb.puts == 0 || fb.points == 0 {
		t.Errorf("after recovery the store got %d entries and %d points", fb.puts, fb.points)
	}
}

type failingBackend struct {
	*state.Memory
	mu           sync.Mutex
	fail         bool
	puts, points int
}

func (f *failingBackend) setFail(b bool) { f.mu.Lock(); f.fail = b; f.mu.Unlock() }

func (f *failingBackend) Save(c *state.Change) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return &os.PathError{Op: "write", Path: "paperfeed.db", Err: syscall.ENOSPC}
	}
	f.puts += len(c.Put)
	f.points += len(c.Points)
	return f.Memory.Save(c)
}
func (f *failingBackend) Stats() state.Stats { return f.Memory.Stats() }
