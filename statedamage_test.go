package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"paperfeed/internal/redistest"
	"paperfeed/internal/state"
	"paperfeed/internal/upstream"
)

// A real state file cut short at several lengths: the real binary (a
// child process, so that a crash is this test's failure, not the test
// binary's) starts every time, moves the file aside, and serves.
func TestTruncatedStateFileStillStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	site, err := upstream.NewSite("testdata", upstream.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.Arxiv.UseBigFeed(3000) // a state file of a few megabytes
	up := newUpstream(t, site)
	dir := t.TempDir()
	s := runService(t, siteEnv(up, dir))
	s.settled(t)
	s.stop()
	raw, err := os.ReadFile(filepath.Join(dir, state.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, frac := range []float64{0.02, 0.3, 0.55, 0.8} {
		n := int(float64(len(raw)) * frac)
		t.Run(fmt.Sprintf("%d of %d bytes", n, len(raw)), func(t *testing.T) {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, state.FileName), raw[:n], 0o600); err != nil {
				t.Fatal(err)
			}
			cmd, base, logs := startChild(t, siteEnv(up, d))
			srv := &testServer{URL: base}
			waitFor(t, "ready after a cut state file", func() bool {
				if cmd.ProcessState != nil {
					t.Fatalf("paperfeed exited: %s\n%s", cmd.ProcessState, logs.String())
				}
				code, _, _ := srv.get(t, "/readyz")
				return code == 200
			})
			if code, _, body := srv.get(t, "/feed.json?limit=3"); code != 200 || !strings.Contains(body, `"items"`) {
				t.Errorf("feed: %d %.200s", code, body)
			}
			if aside, _ := filepath.Glob(filepath.Join(d, state.FileName+".corrupt-*")); len(aside) != 1 && frac < 0.6 {
				t.Errorf("files moved aside: %v\n%s", aside, logs.String())
			}
		})
	}
}

// One unreadable entry in the shared Redis state: a follower that
// restarts reads everything else and serves it, changes nothing in
// Redis, and reports the record; the leader re-reads it and moves it to
// the quarantine; no replica ever wipes the store.
func TestFollowerRestartNeverWipesSharedState(t *testing.T) {
	srv := redistest.Start(t, "")
	site, err := upstream.NewSite("testdata", upstream.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	openShared := func() state.Backend {
		r, err := state.OpenRedis(ctx, srv.URL(""), 2*time.Second, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cfg := func(c *Config) {
		c.ArxivRSSURL, c.ArxivAPIURL, c.ArxivCategories = up, up+"/api/query", []string{"cs.AI", "cs.CL", "cs.CV", "cs.LG"}
		c.RedisLease = 2 * time.Second
	}
	leader := testAppWith(t, up, nil, cfg, openShared())
	leader.refresh.Start(ctx)
	waitFor(t, "the leader to load", func() bool {
		st := leader.serviceStatus()
		return st.Ready && st.Cluster != nil && st.Cluster.Role == "leader" && st.Sources[1].Items > 0
	})
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer raw.Close()
	var days []string
	waitFor(t, "the leader to write the window", func() bool {
		days, _ = raw.HKeys(ctx, "paperfeed:entries").Result()
		return len(days) >= 4
	})
	damagedKey := ""
	for _, k := range days {
		if strings.HasPrefix(k, "hf/") {
			damagedKey = k
			break
		}
	}
	if err := raw.HSet(ctx, "paperfeed:entries", damagedKey, "\x00garbage").Err(); err != nil {
		t.Fatal(err)
	}
	// What the follower could wipe: every key and every entry. The
	// leader keeps writing meanwhile, so nothing may go; things may come.
	held := func() map[string]bool {
		keys, err := raw.Keys(ctx, "paperfeed:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		entries, err := raw.HKeys(ctx, "paperfeed:entries").Result()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, k := range keys {
			if k != "paperfeed:leader" && k != "paperfeed:requests" {
				out[k] = true
			}
		}
		for _, e := range entries {
			out["entry "+e] = true
		}
		return out
	}
	lost := func(before map[string]bool) []string {
		after := held()
		var gone []string
		for k := range before {
			if !after[k] {
				gone = append(gone, k)
			}
		}
		return gone
	}
	before := held()
	follower := testAppWith(t, up, nil, cfg, openShared())
	n, err := follower.refresh.Restore()
	if err != nil || n == 0 {
		t.Fatalf("follower restore: %d papers, %v", n, err)
	}
	// (The leader may already have quarantined the damaged entry: the
	// follower reported it while restoring.)
	if gone := lost(before); len(gone) > 1 || (len(gone) == 1 && gone[0] != "entry "+damagedKey) {
		t.Fatalf("a follower's restart removed %d of %d keys and entries: %q", len(gone), len(before), gone)
	}
	st := follower.serviceStatus()
	if len(st.Store.Damaged) != 1 || st.Store.Damaged[0].Key != damagedKey {
		t.Errorf("follower's /status damaged: %+v", st.Store.Damaged)
	}
	fsrv := newServer(t, follower)
	code, _, body := (&testServer{URL: fsrv.URL}).get(t, "/feed.json?limit=500&source=all")
	if code != 200 || strings.Count(body, `"id":`) < 50 {
		t.Errorf("follower serves %d with %d items", code, strings.Count(body, `"id":`))
	}
	follower.refresh.Start(ctx) // as a follower: it asks the leader to look at the record
	waitFor(t, "the leader to quarantine the record", func() bool {
		v, _ := raw.HGet(ctx, "paperfeed:quarantine", "entries/"+damagedKey).Result()
		return v == "\x00garbage"
	})
	if ok, _ := raw.HExists(ctx, "paperfeed:entries", damagedKey).Result(); ok {
		t.Error("the damaged entry is still in the data")
	}
	if gone := lost(before); len(gone) != 1 || gone[0] != "entry "+damagedKey {
		t.Errorf("after the quarantine, gone: %q; want only the damaged entry", gone)
	}
}

// A digest that needs a listing only the leader fetches, asked first on
// a follower: a 503 no cache keeps, until the listing arrived through
// the shared state; then both replicas serve the same bytes and ETag.
func TestReplicasServeTheSameDigest(t *testing.T) {
	srv := redistest.Start(t, "")
	site, err := upstream.NewSite("testdata", upstream.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	replica := func() *app {
		r, err := state.OpenRedis(ctx, srv.URL(""), 2*time.Second, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		a := testAppWith(t, up, nil, func(c *Config) { c.RedisLease = 2 * time.Second }, r)
		if _, err := a.refresh.Restore(); err != nil {
			t.Fatal(err)
		}
		a.refresh.Start(ctx)
		return a
	}
	leader := replica()
	waitFor(t, "the leader to load", func() bool {
		st := leader.serviceStatus()
		return st.Ready && st.Cluster != nil && st.Cluster.Role == "leader"
	})
	follower := replica()
	waitFor(t, "the follower to load", func() bool { return follower.serviceStatus().Ready })
	if role := follower.serviceStatus().Cluster.Role; role != "follower" {
		t.Fatalf("second replica's role: %s", role)
	}
	lsrv, fsrv := &testServer{URL: newServer(t, leader).URL}, &testServer{URL: newServer(t, follower).URL}
	const path = "/feed.json?digest=week"
	code, h, body := fsrv.get(t, path)
	if code != 503 || h.Get("Retry-After") == "" || !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Errorf("the follower before the week listing arrived: %d, Retry-After %q, Cache-Control %q: %.200s", code, h.Get("Retry-After"), h.Get("Cache-Control"), body)
	}
	var fbody string
	var fh http.Header
	waitFor(t, "the follower to serve the digest", func() bool {
		code, fh, fbody = fsrv.get(t, path)
		return code == 200
	})
	code, lh, lbody := lsrv.get(t, path)
	if code != 200 || lbody != fbody || lh.Get("ETag") != fh.Get("ETag") {
		t.Errorf("leader %d, ETags %s / %s, bodies equal: %v", code, lh.Get("ETag"), fh.Get("ETag"), lbody == fbody)
	}
	if !strings.Contains(fbody, `"week/2026-W33"`) {
		t.Errorf("the digest lacks the week before: %.300s", fbody)
	}
}

// A valid state file on a read-only file system: read and served (the
// upstreams unreachable, so everything shown comes from the file), with
// writes off and said so in /status. Root gets a real read-only bind
// mount in a mount namespace of the child's own; another user a
// directory and file it may only read.
func TestReadOnlyStateIsServed(t *testing.T) {
	site, err := upstream.NewSite("testdata", upstream.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	dir := t.TempDir()
	s := runService(t, siteEnv(up, dir))
	s.settled(t)
	_, _, want := s.get(t, "/feed.json?limit=5")
	s.stop()

	vars := siteEnv("http://127.0.0.1:1", dir) // nothing answers there
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	vars["PAPERFEED_ADDR"] = addr
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		ro := t.TempDir()
		vars["PAPERFEED_DATA_DIR"] = ro
		cmd = exec.Command("unshare", "-m", "sh", "-c", `mount --bind -o ro "$1" "$2" && exec "$3"`, "sh", dir, ro, os.Args[0])
	} else {
		if err := os.Chmod(filepath.Join(dir, state.FileName), 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
		cmd = exec.Command(os.Args[0])
	}
	cmd.Env = append(os.Environ(), "PAPERFEED_RUN_MAIN=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	srv := &testServer{URL: "http://" + addr}
	waitFor(t, "ready from the read-only state", func() bool {
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if code, _, body := srv.get(t, "/feed.json?limit=5"); code != 200 || body != want {
		t.Errorf("the read-only state serves %d, the same feed as before: %v", code, body == want)
	}
	_, _, status := srv.get(t, "/status")
	var st serviceStatus
	if err := json.Unmarshal([]byte(status), &st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Store.Kind, "read-only") || st.Store.LastError == "" || !st.Store.LastWrite.IsZero() || st.Store.Papers == 0 {
		t.Errorf("/status store: %+v", st.Store)
	}
	if !strings.Contains(logs.String(), "writes are off") {
		t.Errorf("the log does not say writes are off:\n%s", logs.String())
	}
}
