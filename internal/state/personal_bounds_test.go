package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"paperfeed/internal/redistest"
)

// personalBackends are the three backends, each as two handles on one
// store where there can be two (two clients of one Redis: two
// replicas), on a real file and a real redis-server.
func personalBackends(t *testing.T) map[string][2]PersonalStore {
	t.Helper()
	m := NewMemory()
	b, err := OpenBolt(t.TempDir(), quiet(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv := redistest.Start(t, "")
	return map[string][2]PersonalStore{
		"memory": {m, m},
		"bolt":   {b, b},
		"redis":  {openRedis(t, srv.URL(""), time.Second), openRedis(t, srv.URL(""), time.Second)},
	}
}

// parallel runs n calls of f, at most width at once.
func parallel(n, width int, f func(i int)) {
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

// 300 votes on distinct papers at concurrency 50, through two handles:
// the feed holds exactly 200, and a feed already over the cap (written
// before the cap was one step) comes back to it with its next vote.
func TestPersonalVoteCapIsOneStep(t *testing.T) {
	for name, h := range personalBackends(t) {
		t.Run(name, func(t *testing.T) {
			if err := h[0].PersonalCreate("cap", PersonalRecord{Def: []byte(`{}`)}, "c", roomy()); err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			var failed atomic.Int64
			parallel(300, 50, func(i int) {
				vote := fmt.Sprintf("more %s", at.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
				if err := h[i%2].PersonalVote("cap", fmt.Sprintf("2501.%05d", i), vote, 200); err != nil {
					failed.Add(1)
				}
			})
			r, err := h[1].PersonalGet("cap")
			if err != nil || failed.Load() != 0 {
				t.Fatalf("%v, %d votes failed", err, failed.Load())
			}
			if len(r.Votes) != 200 {
				t.Errorf("%d votes kept, want 200", len(r.Votes))
			}
			// Over the cap by 50 (no cap on these writes), then one vote
			// under the cap: the 51 oldest give way.
			if err := h[0].PersonalCreate("over", PersonalRecord{Def: []byte(`{}`)}, "c", roomy()); err != nil {
				t.Fatal(err)
			}
			for i := range 250 {
				_ = h[0].PersonalVote("over", fmt.Sprintf("2502.%05d", i), "less "+at.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), 0)
			}
			if err := h[1].PersonalVote("over", "2503.00001", "more "+at.Add(time.Hour*24).Format(time.RFC3339), 200); err != nil {
				t.Fatal(err)
			}
			r, _ = h[0].PersonalGet("over")
			_, oldestKept := r.Votes["2502.00051"]
			_, oldestGone := r.Votes["2502.00050"]
			if len(r.Votes) != 200 || !oldestKept || oldestGone || r.Votes["2503.00001"] == "" {
				t.Errorf("over the cap: %d votes after one more, 2502.00051 kept %v, 2502.00050 kept %v", len(r.Votes), oldestKept, oldestGone)
			}
			// A vote that replaces one lets nothing go.
			if err := h[1].PersonalVote("over", "2502.00100", "more "+at.Format(time.RFC3339), 200); err != nil {
				t.Fatal(err)
			}
			if r, _ = h[0].PersonalGet("over"); len(r.Votes) != 200 || r.Votes["2502.00051"] == "" {
				t.Errorf("a changed vote made another give way: %d votes", len(r.Votes))
			}
		})
	}
}

// Creations racing through two handles: the feed cap and a client's
// budget hold exactly.
func TestPersonalCreateBoundsAreOneStep(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for name, h := range personalBackends(t) {
		t.Run(name, func(t *testing.T) {
			// 40 clients at once against a cap of 10 feeds.
			lim := Limits{Feeds: 10, Burst: 5, Every: 6 * time.Minute, Now: now}
			var made, full atomic.Int64
			parallel(40, 20, func(i int) {
				err := h[i%2].PersonalCreate(fmt.Sprintf("cap%02d", i), PersonalRecord{Def: []byte(`{}`)}, fmt.Sprintf("client%d", i), lim)
				switch {
				case err == nil:
					made.Add(1)
				case errors.Is(err, ErrPersonalFull):
					full.Add(1)
				default:
					t.Error(err)
				}
			})
			if n, _ := h[0].PersonalCount(); made.Load() != 10 || full.Load() != 30 || n != 10 {
				t.Errorf("cap 10: %d made, %d refused as full, %d held", made.Load(), full.Load(), n)
			}
			// One client, 30 at once: a burst of 5.
			lim.Feeds = 1000
			var limited atomic.Int64
			made.Store(0)
			parallel(30, 15, func(i int) {
				err := h[i%2].PersonalCreate(fmt.Sprintf("one%02d", i), PersonalRecord{Def: []byte(`{}`)}, "one", lim)
				var le *CreateLimitError
				switch {
				case err == nil:
					made.Add(1)
				case errors.As(err, &le) && le.Retry > 0 && le.Retry <= 6*time.Minute:
					limited.Add(1)
				default:
					t.Errorf("create %d: %v", i, err)
				}
			})
			if made.Load() != 5 || limited.Load() != 25 {
				t.Errorf("one client: %d made, %d limited; want 5 and 25", made.Load(), limited.Load())
			}
			// Then one every 6 minutes, for that client only.
			lim.Now = now.Add(6 * time.Minute)
			if err := h[0].PersonalCreate("later1", PersonalRecord{Def: []byte(`{}`)}, "one", lim); err != nil {
				t.Errorf("6 minutes later: %v", err)
			}
			if err := h[1].PersonalCreate("later2", PersonalRecord{Def: []byte(`{}`)}, "one", lim); err == nil {
				t.Error("two creations in the next 6 minutes")
			}
			if err := h[1].PersonalCreate("other", PersonalRecord{Def: []byte(`{}`)}, "two", lim); err != nil {
				t.Errorf("another client: %v", err)
			}
		})
	}
}

// A client's budget is the file's: reopening it gives no fresh one.
func TestPersonalCreateBudgetSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	lim := Limits{Feeds: 100, Burst: 5, Every: 6 * time.Minute, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	for round := range 2 {
		b, err := OpenBolt(dir, quiet(), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		made := 0
		for i := range 5 {
			if b.PersonalCreate(fmt.Sprintf("r%di%d", round, i), PersonalRecord{Def: []byte(`{}`)}, "c", lim) == nil {
				made++
			}
		}
		b.Close()
		if want := 5 * (1 - round); made != want {
			t.Errorf("open %d: %d made, want %d", round+1, made, want)
		}
	}
}

// Redis wiped under running replicas (FLUSHALL): the replicas that knew
// the secret write it back, and one that starts afterwards reads it
// instead of making its own; had one made its own first, everyone reads
// that. At every moment all handles answer one secret.
func TestPersonalSecretAfterRedisWiped(t *testing.T) {
	srv := redistest.Start(t, "")
	a, b := openRedis(t, srv.URL(""), time.Second), openRedis(t, srv.URL(""), time.Second)
	s1, err := a.PersonalSecret()
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := b.PersonalSecret(); string(s) != string(s1) {
		t.Fatal("two replicas read two secrets")
	}
	wipe := func() {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		defer c.Close()
		if err := c.FlushAll(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
	}
	wipe()
	if s, _ := a.PersonalSecret(); string(s) != string(s1) {
		t.Error("a running replica lost the secret with Redis's data")
	}
	c := openRedis(t, srv.URL(""), time.Second) // started after the wipe
	for name, h := range map[string]*Redis{"b": b, "c": c} {
		if s, _ := h.PersonalSecret(); string(s) != string(s1) {
			t.Errorf("replica %s signs with another secret after the wipe", name)
		}
	}
	// Wiped again, and a fresh replica asks first: the old ones follow.
	wipe()
	d := openRedis(t, srv.URL(""), time.Second)
	var fresh []byte
	parallel(40, 8, func(i int) {
		h := []*Redis{a, b, c, d}[i%4]
		s, err := h.PersonalSecret()
		if err != nil {
			t.Error(err)
		}
		if i == 0 {
			fresh = s
		}
	})
	for i, h := range []*Redis{a, b, c, d} {
		if s, _ := h.PersonalSecret(); string(s) != string(fresh) {
			t.Errorf("replica %d: another secret than the others after the second wipe", i)
		}
	}
}
