package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"paperfeed/internal/redistest"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// One unreadable entry in the shared Redis state: a follower that
// restarts reads everything else and serves it, changes nothing in
// Redis, and reports the record; the leader re-reads it and moves it to
// the quarantine; no replica ever wipes the store.
func TestFollowerRestartNeverWipesSharedState(t *testing.T) {
	srv := redistest.Start(t, "")
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	openShared := func() state.Backend {
		r, err := state.OpenRedis(ctx, srv.URL(""), "", 2*time.Second, discardLog())
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
		st := leader.Status()
		return st.Ready && st.Cluster != nil && st.Cluster.Role == "leader" && st.Sources[1].Items > 0
	})
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer raw.Close()
	var days []string
	waitFor(t, "the leader to write the window", func() bool {
		days, _ = raw.HKeys(ctx, "paperfeed:entries").Result()
		hf := 0
		for _, k := range days {
			if strings.HasPrefix(k, "hf/") {
				hf++
			}
		}
		// The whole window (the first refresh stores the newest day first,
		// then walks back), every day of it written.
		return len(days) >= 4 && len(leader.Store.View().HFDays) == leader.cfg.Days && hf >= leader.cfg.Days
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
	st := follower.Status()
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
	replica := redisReplicas(t, srv)
	leader := replica()
	waitFor(t, "the leader to load", func() bool {
		st := leader.Status()
		return st.Ready && st.Cluster != nil && st.Cluster.Role == "leader"
	})
	follower := replica()
	waitFor(t, "the follower to load", func() bool { return follower.Status().Ready })
	if role := follower.Status().Cluster.Role; role != "follower" {
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

// redisReplicas starts replicas sharing srv's Redis, over one replay of
// the upstreams, each restored and refreshing for the test's life.
func redisReplicas(t *testing.T, srv *redistest.Server) func() *app {
	t.Helper()
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return func() *app {
		r, err := state.OpenRedis(ctx, srv.URL(""), "", 2*time.Second, discardLog())
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
}
