package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// seedIDs are n made-up arXiv IDs from start on (the replay answers any
// ID with a derived entry).
func seedIDs(start, n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("2603.%05d", 10000+start+i)
	}
	return strings.Join(ids, ",")
}

// What strangers can make the service look up and keep through like=
// is bounded: look-ups are counted in papers, per client and for the
// service; at most refresh.MaxSeedsHeld seeds are kept, in memory and
// in the state alike, the least recently used going first; a start
// reads no more than that, and a state written before the bound loses
// the rest at its first retention pass.
func TestLookedUpSeedsAreBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("looks up thousands of papers")
	}
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	dir := t.TempDir()
	now := time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	open := func() state.Backend {
		b, err := state.Open(dir, discardLog(), clock)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cfg := func(c *Config) { c.ArxivAPIURL, c.TrustProxy = up+"/api/query", true }
	a := testAppWith(t, up, clock, cfg, open())
	f := (&fixture{app: a, hf: site.HF, srv: newServer(t, a)}).loaded(t)
	api := func() int { return site.Arxiv.Hits()["/api/query"] }
	like := func(client, ids string) (int, string) {
		resp, body := f.get(t, "/feed.rss?min_similarity=0&like="+ids, "X-Forwarded-For", client)
		return resp.StatusCode, string(body)
	}

	// One client: fifty new papers at once, then no more for a while.
	if code, body := like("198.51.100.1", seedIDs(0, 50)); code != 200 {
		t.Fatalf("50 new seeds: %d %.200s", code, body)
	}
	before := api()
	if code, body := like("198.51.100.1", seedIDs(50, 1)); code != 503 || !strings.Contains(body, "too many new papers") {
		t.Errorf("the same client's 51st paper: %d %.200s", code, body)
	}
	if api() != before {
		t.Error("a refused look-up reached arXiv")
	}
	// Known seeds cost nothing.
	if code, _ := like("198.51.100.1", seedIDs(0, 50)); code != 200 {
		t.Errorf("seeds already held: %d", code)
	}
	// Another client has its own budget, within the service's.
	if code, _ := like("198.51.100.2", seedIDs(100, 50)); code != 200 {
		t.Errorf("another client: %d", code)
	}
	if code, _ := like("198.51.100.3", seedIDs(200, 50)); code != 503 {
		t.Errorf("a third client past the service's budget: %d", code)
	}

	// Many clients over a long time: never more than the bound kept.
	for i := range 45 {
		now = now.Add(20 * time.Minute)
		if code, body := like(fmt.Sprintf("203.0.113.%d", i), seedIDs(1000+50*i, 50)); code != 200 {
			t.Fatalf("round %d: %d %.200s", i, code, body)
		}
	}
	held := f.app.refresh.SeedsHeld()
	if held != refresh.MaxSeedsHeld {
		t.Errorf("seeds held %d, want the bound %d", held, refresh.MaxSeedsHeld)
	}
	seedEntries := func(b state.Backend) int {
		keys, err := b.Keys()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, k := range keys {
			if strings.HasPrefix(k, "seed/") {
				n++
			}
		}
		return n
	}
	if err := f.app.refresh.Close(); err != nil {
		t.Fatal(err)
	}
	b := open()
	if n := seedEntries(b); n != refresh.MaxSeedsHeld {
		t.Errorf("seed entries in the state %d, want %d", n, refresh.MaxSeedsHeld)
	}
	// A state from before the bound: 600 more seeds written straight in.
	c := &state.Change{At: now, Put: map[string]state.Entry{}}
	for i := range 600 {
		id := fmt.Sprintf("2604.%05d", 20000+i)
		p := f.app.store.View().Papers[0].Clone()
		p.ID = id
		c.Put["seed/"+id] = state.Entry{Papers: []feed.Paper{p}, Fetched: now}
	}
	if err := b.Save(c); err != nil {
		t.Fatal(err)
	}
	g := testAppWith(t, up, clock, cfg, b)
	if _, err := g.refresh.Restore(); err != nil {
		t.Fatal(err)
	}
	if n := g.refresh.SeedsHeld(); n != refresh.MaxSeedsHeld {
		t.Errorf("after a restart on %d saved seeds: %d held", refresh.MaxSeedsHeld+600, n)
	}
	g.refresh.Kept().Prune()
	if n := seedEntries(b); n != refresh.MaxSeedsHeld {
		t.Errorf("after retention the state holds %d seeds", n)
	}
	_ = g.refresh.Close()
}
