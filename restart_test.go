package main

import (
	"context"
	"encoding/json"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"paperfeed/internal/command"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// service is paperfeed started by run() on loopback, stopped by stop
// (what SIGTERM does).
type service struct {
	base string
	stop func()
	logs *syncBuffer
}

// siteEnv is the environment of a service against a replay of both
// upstreams, keeping its state in dir.
func siteEnv(site string, dir string) map[string]string {
	return map[string]string{
		"PAPERFEED_ADDR": "127.0.0.1:0", "PAPERFEED_HF_URL": site, "PAPERFEED_HF_INTERVAL": "0s",
		"PAPERFEED_ARXIV_RSS_URL": site, "PAPERFEED_ARXIV_API_URL": site + "/api/query", "PAPERFEED_ARXIV_INTERVAL": "0s",
		"PAPERFEED_ARXIV_CATEGORIES": "cs.AI,cs.CL,cs.CV,cs.LG", "PAPERFEED_BASE_URL": "http://paperfeed.test",
		"PAPERFEED_LOG_LEVEL": "warn", "PAPERFEED_DATA_DIR": dir,
	}
}

func runService(t *testing.T, vars map[string]string) *service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- command.Serve(ctx, nil, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, logs, addr)
	}()
	var a string
	select {
	case a = <-addr:
	case err := <-done:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	var once sync.Once
	s := &service{base: "http://" + a, logs: logs}
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run returned %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

func (s *service) get(t *testing.T, path string) (int, http.Header, string) {
	t.Helper()
	return (&testServer{URL: s.base}).get(t, path)
}

func (s *service) status(t *testing.T) serviceStatus {
	t.Helper()
	_, _, body := s.get(t, "/status")
	var st serviceStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("status: %v", err)
	}
	return st
}

// settled waits until both sources loaded and the data stopped changing
// (the category look-ups after the HF refresh change it once more).
func (s *service) settled(t *testing.T) { t.Helper(); s.settle(t, false) }

// settledWhole waits as settled does, and for /status to say every
// source's first run and the look-ups after it ended (with a big arXiv
// feed those take longer than a test waits).
func (s *service) settledWhole(t *testing.T) { t.Helper(); s.settle(t, true) }

func (s *service) settle(t *testing.T, whole bool) {
	t.Helper()
	last, since := uint64(0), time.Now()
	waitFor(t, "the data to settle", func() bool {
		st := s.status(t)
		if !st.Ready || len(st.Sources) < 2 || st.Sources[1].Items == 0 || (whole && !st.Settled) {
			return false
		}
		if st.DataVersion != last {
			last, since = st.DataVersion, time.Now()
			return false
		}
		return time.Since(since) > 400*time.Millisecond
	})
}

// upstreamHits counts every request the replay received.
func upstreamHits(site *standin.Site) int {
	n := 0
	for _, h := range []map[string]int{site.HF.Hits(), site.Arxiv.Hits()} {
		for _, c := range h {
			n += c
		}
	}
	return n
}

var restartPaths = []string{
	"/feed.rss", "/feed.atom", "/feed.json", "/feed.json?source=all&limit=500", "/feed.rss?source=arxiv&category=cs.CL",
	"/topics/agents.atom", "/feed.rss?date=2026-08-12", "/feed.json?week=2026-W34", "/huggingface/daily-papers/date/5",
}

// A restart with a fresh state is ready at once, serves byte-identical
// feeds with the same validators, and asks the upstreams nothing until
// a refresh is due.
func TestRestartWithFreshStateChangesNothing(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	dir := t.TempDir()
	first := runService(t, siteEnv(up, dir))
	first.settledWhole(t)
	type answer struct{ body, etag, modified string }
	before := map[string]answer{}
	for _, p := range restartPaths {
		code, h, body := first.get(t, p)
		if code != 200 {
			t.Fatalf("%s: %d %.200s", p, code, body)
		}
		before[p] = answer{body, h.Get("ETag"), h.Get("Last-Modified")}
	}
	first.stop()
	hits := upstreamHits(site)

	start := time.Now()
	second := runService(t, siteEnv(up, dir))
	waitFor(t, "ready after the restart", func() bool { code, _, _ := second.get(t, "/readyz"); return code == 200 })
	if d := time.Since(start); d > time.Second {
		t.Errorf("ready %s after the restart, want under 1s", d)
	}
	for _, p := range restartPaths {
		code, h, body := second.get(t, p)
		b := before[p]
		if code != 200 || body != b.body || h.Get("ETag") != b.etag || h.Get("Last-Modified") != b.modified {
			t.Errorf("%s after the restart: %d, same bytes %v, ETag %s (was %s), Last-Modified %s (was %s)",
				p, code, body == b.body, h.Get("ETag"), b.etag, h.Get("Last-Modified"), b.modified)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := upstreamHits(site) - hits; n != 0 {
		t.Errorf("%d upstream requests after a restart with fresh state, want 0 (HF %v, arXiv %v)", n, site.HF.Hits(), site.Arxiv.Hits())
	}
	st := second.status(t)
	if st.Store.Kind != "bolt" || st.Store.Path != filepath.Join(dir, state.FileName) || st.Store.Size == 0 || st.Store.LastError != "" {
		t.Errorf("/status store: %+v", st.Store)
	}
	if st.Sources[0].NextFetch.IsZero() || time.Until(st.Sources[0].NextFetch) < 10*time.Minute {
		t.Errorf("HF's next fetch is %v, want the restored schedule (about 15 minutes on)", st.Sources[0].NextFetch)
	}
	_, _, metrics := second.get(t, "/metrics")
	for _, m := range []string{"paperfeed_state_size_bytes", "paperfeed_state_write_duration_seconds", "paperfeed_state_write_errors_total"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

// kill -9 of a real process at random moments, also in the middle of
// writes, repeated: every next start finds a consistent state.
func TestKill9KeepsStateConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.Arxiv.UseBigFeed(3000) // large writes: more moments to be killed in
	up := newUpstream(t, site)
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	day := time.Date(2026, 8, 24, 0, 0, 0, 0, time.UTC)
	for round := range 8 {
		cmd, base, logs := startChild(t, siteEnv(up, dir))
		// Past listings, each a write, while the first refreshes write too.
		var wg sync.WaitGroup
		for i := range 8 {
			d := day.AddDate(0, 0, round*8+i).Format(time.DateOnly)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if resp, err := http.Get(base + "/feed.rss?date=" + d); err == nil {
					resp.Body.Close()
				}
			}()
		}
		time.Sleep(time.Duration(rng.Intn(1500)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait() // killed: its exit status is the signal
		wg.Wait()
		if strings.Contains(logs.String(), "moved aside") {
			t.Fatalf("round %d: the state was found unreadable:\n%s", round, logs.String())
		}
	}
	// The last state opens, reads, and serves.
	b, err := state.OpenBolt(dir, discardLog(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := b.Load(nil)
	if err != nil {
		t.Fatalf("state after the kills: %v", err)
	}
	b.Close()
	if aside, _ := filepath.Glob(filepath.Join(dir, "*.corrupt-*")); len(aside) > 0 {
		t.Errorf("a state was moved aside: %v", aside)
	}
	s := runService(t, siteEnv(up, dir))
	waitFor(t, "ready", func() bool { code, _, _ := s.get(t, "/readyz"); return code == 200 })
	if code, _, body := s.get(t, "/feed.json?source=all&limit=5"); code != 200 || !strings.Contains(body, `"items"`) {
		t.Errorf("after the kills: %d %.200s", code, body)
	}
	t.Logf("state after 8 kills: %d entries, %d papers with change times", len(snap.Entries), len(snap.Changed))
}

// startChild runs paperfeed as a child process (TestMain runs main) and
// waits until it listens.
func startChild(t *testing.T, vars map[string]string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PAPERFEED_RUN_MAIN=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "PAPERFEED_ADDR="+addr)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return cmd, base, logs
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("child did not start:\n%s", logs.String())
	return nil, "", nil
}

// A data directory that cannot be used at start (a file stands where it
// should be, or a directory nobody may write with no state to read)
// stops the start with a message naming the setting and how to run
// without state.
func TestUnusableDataDirStopsTheStart(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	blocker := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := siteEnv(up, blocker)
	err = command.Serve(context.Background(), nil, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, io.Discard, nil)
	if err == nil {
		t.Fatal("the start went on with an unusable data directory")
	}
	for _, want := range []string{"-data-dir / PAPERFEED_DATA_DIR", blocker, "not a directory", "PAPERFEED_DATA_DIR= (empty)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
}
