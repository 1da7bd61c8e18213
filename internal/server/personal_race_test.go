package server

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"paperfeed/feed"
	"paperfeed/internal/personal"
	"paperfeed/internal/redistest"
	"paperfeed/internal/state"
)

// concurrently runs n calls of f, width at once.
func concurrently(n, width int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, width)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// signedVote is a vote form for a paper, signed with the store's secret
// as the feed's items sign it.
func signedVote(t *testing.T, store state.PersonalStore, token, id, dir string) url.Values {
	t.Helper()
	key, err := store.PersonalSecret()
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"id": {id}, "dir": {dir}, "sig": {personal.NewSigner(key).Sign(token, id, dir)}}
}

// boltApp is a service on a real state file in dir, loaded.
func boltApp(t *testing.T, dir string, up string) (*app, string) {
	t.Helper()
	b, err := state.OpenBolt(dir, discardLog(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	a := testAppWith(t, up, nil, nil, b)
	if _, err := a.refresh.Restore(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.refresh.RefreshSource(t.Context(), feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	return a, newServer(t, a).URL
}

// 300 "more" votes on distinct papers at concurrency 50, on a real
// state file and through two replicas on a real redis-server: the feed
// keeps at most 200 votes.
func TestPersonalVoteCapUnderConcurrentVotes(t *testing.T) {
	up := newUpstream(t, replayHF(t))
	a, base := boltApp(t, t.TempDir(), up)
	replica := redisReplicas(t, redistest.Start(t, ""))
	r1, r2 := replica(), replica()
	waitFor(t, "the replicas to load", func() bool { return r1.Status().Ready && r2.Status().Ready })
	redisBases := []string{newServer(t, r1).URL, newServer(t, r2).URL}
	for name, c := range map[string]struct {
		store state.PersonalStore
		bases []string
	}{"bolt": {a.HTTP.personal.Side.Store, []string{base}}, "redis": {r1.HTTP.personal.Side.Store, redisBases}} {
		t.Run(name, func(t *testing.T) {
			token := create(t, c.bases[0], url.Values{"name": {"Race"}, "filter": {"q=agents"}})
			failed := 0
			var mu sync.Mutex
			concurrently(300, 50, func(i int) {
				id := fmt.Sprintf("2501.%05d", i)
				resp, _ := post(t, c.bases[i%len(c.bases)], "/f/"+token+"/vote", signedVote(t, c.store, token, id, personal.More), nil)
				if resp.StatusCode != 303 {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			})
			rec, err := c.store.PersonalGet(token)
			if err != nil {
				t.Fatal(err)
			}
			if failed > 0 || len(rec.Votes) != personal.MaxVotes {
				t.Errorf("%d votes kept of 300 (cap %d), %d refused", len(rec.Votes), personal.MaxVotes, failed)
			}
		})
	}
}

// The creation budget (5 per address, then one every 6 minutes) is the
// shared state's: two replicas on one Redis give 5 in all, and a
// restart on the state file gives no fresh budget.
func TestPersonalCreateLimitIsShared(t *testing.T) {
	replica := redisReplicas(t, redistest.Start(t, ""))
	r1, r2 := replica(), replica()
	bases := []string{newServer(t, r1).URL, newServer(t, r2).URL}
	made := map[int]int{}
	for i := range 10 {
		resp, b := post(t, bases[i%2], "/f", url.Values{"filter": {"q=agents"}}, nil)
		made[resp.StatusCode]++
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("a 429 without Retry-After: %s", b)
		}
	}
	if made[201] != 5 || made[429] != 5 {
		t.Errorf("two replicas: %v, want 5 made and 5 refused (429)", made)
	}

	dir := t.TempDir()
	up := newUpstream(t, replayHF(t))
	a, base := boltApp(t, dir, up)
	for range 5 {
		create(t, base, url.Values{"filter": {"q=agents"}})
	}
	a.Close()
	_, base = boltApp(t, dir, up)
	if resp, b := post(t, base, "/f", url.Values{"filter": {"q=agents"}}, nil); resp.StatusCode != 429 {
		t.Errorf("after a restart, a sixth feed from one address: %d %.200s", resp.StatusCode, b)
	}
}

// Redis loses its data (FLUSHALL) under running replicas, and a replica
// starts afterwards: all three sign a feed's vote links alike, and a
// link one issues is accepted by every other.
func TestPersonalVoteLinksAfterRedisWiped(t *testing.T) {
	srv := redistest.Start(t, "")
	replica := redisReplicas(t, srv)
	r1, r2 := replica(), replica()
	waitFor(t, "the replicas to load", func() bool { return r1.Status().Ready && r2.Status().Ready })
	b1, b2 := newServer(t, r1).URL, newServer(t, r2).URL
	before := create(t, b1, url.Values{"filter": {"source=all"}})
	personalItems(t, b1, before) // both have signed links before the wipe
	personalItems(t, b2, before)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	if err := c.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	r3 := replica()
	waitFor(t, "the new replica to load", func() bool { return r3.Status().Ready })
	b3 := newServer(t, r3).URL
	token := create(t, b3, url.Values{"filter": {"source=all"}})
	// A vote link the first replica issues goes to every replica.
	waitFor(t, "every replica to serve the data again", func() bool {
		for _, b := range []string{b1, b2, b3} {
			if items, _ := personalItems(t, b, token); len(items) == 0 {
				return false
			}
		}
		return true
	})
	items, _ := personalItems(t, b1, token)
	if len(items) == 0 {
		t.Fatal("no items after the wipe")
	}
	link, _ := url.Parse(items[0].Ext.Votes.More)
	bases := []string{b3, b2, b1}
	for i, b := range bases {
		if resp, body := post(t, b, "/f/"+token+"/vote", link.Query(), nil); resp.StatusCode != 303 {
			t.Errorf("a vote link replica 1 issued after the wipe, posted to replica %d: %d %.200s", 3-i, resp.StatusCode, body)
		}
	}
	// Each replica signs the vote's undo button alike.
	undo := regexp.MustCompile(`name="dir" value="undo"><input type="hidden" name="sig" value="([^"]+)"`)
	var sigs []string
	for _, b := range bases {
		_, page := roundTrip(t, "GET", b+"/f/"+token)
		if m := undo.FindSubmatch(page); m != nil {
			sigs = append(sigs, string(m[1]))
		}
	}
	if len(sigs) != 3 || sigs[0] != sigs[1] || sigs[1] != sigs[2] {
		t.Errorf("the replicas sign one undo as %q", sigs)
	}
}
