package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/redistest"
)

func openRedis(t *testing.T, url string, lease time.Duration) *Redis {
	t.Helper()
	r, err := OpenRedis(context.Background(), url, "", lease, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// The same round trip as the file, through Redis; writes are fenced by
// the lease; versions are announced.
func TestRedisStateAndLease(t *testing.T) {
	srv := redistest.Start(t, "s3cret")
	ctx := context.Background()
	a := openRedis(t, srv.URL("s3cret"), time.Second)
	b := openRedis(t, srv.URL("s3cret"), time.Second)
	papers := realPapers(t, 30)
	c := &Change{At: t0, Put: map[string]Entry{"hf/2026-08-21": {Papers: papers[:20], Fetched: t0}},
		Changed: map[string]time.Time{papers[0].ID: t0}, FirstSeen: map[string]time.Time{papers[0].ID: t0.Add(-time.Hour)},
		Lookups: map[string]Lookup{papers[0].ID: {Extra: feed.Extra{Categories: []string{"cs.CL"}}}},
		Points:  map[string]Point{papers[0].ID: {At: t0, Upvotes: 4}}, Fetch: map[string][]byte{"hf": []byte(`{}`)}}
	if err := a.Save(c); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("a save without the lease: %v, want ErrNotLeader", err)
	}
	if lead, err := a.Campaign(ctx); !lead || err != nil {
		t.Fatalf("a campaigns: %v %v", lead, err)
	}
	if lead, _ := b.Campaign(ctx); lead {
		t.Fatal("two leaders")
	}
	updates := b.Updates(ctx)
	time.Sleep(100 * time.Millisecond) // the subscription is in place
	if err := a.Save(c); err != nil {
		t.Fatal(err)
	}
	select {
	case <-updates:
	case <-time.After(3 * time.Second):
		t.Error("no announcement of the write")
	}
	if v, err := b.Version(ctx); v != 1 || err != nil {
		t.Errorf("version %d %v", v, err)
	}
	if err := b.Save(c); !errors.Is(err, ErrNotLeader) {
		t.Errorf("a follower's save: %v", err)
	}
	s, err := b.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Entries["hf/2026-08-21"].Papers) != 20 || !s.Changed[papers[0].ID].Equal(t0) || s.Last[papers[0].ID].Upvotes != 4 ||
		s.Lookups[papers[0].ID].Categories[0] != "cs.CL" || string(s.Fetch["hf"]) != "{}" {
		t.Errorf("loaded state differs: %d entries", len(s.Entries))
	}
	if h, err := b.History(papers[0].ID); len(h) != 1 || err != nil {
		t.Errorf("history %v %v", h, err)
	}
	// The leader stops renewing (paused, cut off): after the lease b
	// takes over, and a's late write is refused.
	time.Sleep(1200 * time.Millisecond)
	if lead, _ := b.Campaign(ctx); !lead {
		t.Fatal("b did not take the expired lease")
	}
	if err := a.Save(c); !errors.Is(err, ErrNotLeader) {
		t.Errorf("the old leader's late write: %v, want ErrNotLeader", err)
	}
	if lead, _ := a.Campaign(ctx); lead {
		t.Error("the old leader took the lease back while b holds it")
	}
	// Resigning frees the lease at once.
	if err := b.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if lead, _ := a.Campaign(ctx); !lead {
		t.Error("the lease was not free after b resigned")
	}
	// Requests for the leader.
	if err := b.Ask(ctx, "past\tday/2026-08-01\t2026-08-01\t2026-08-01"); err != nil {
		t.Fatal(err)
	}
	if req, err := a.NextRequest(ctx, time.Second); err != nil || !strings.HasPrefix(req, "past\t") {
		t.Errorf("request %q %v", req, err)
	}
	// Retention through Redis.
	if n, err := a.Prune(t0, func(string, time.Time) bool { return false }); err != nil || n != 1 {
		t.Errorf("prune: %d %v", n, err)
	}
}

// Delivery records in Redis are swapped as in the file, and only under
// the lease: a replica that lost it (stopped, cut off) cannot write its
// stale record over its successor's.
func TestRedisSwapRecordIsFenced(t *testing.T) {
	srv := redistest.Start(t, "")
	ctx := context.Background()
	a := openRedis(t, srv.URL(""), 500*time.Millisecond)
	b := openRedis(t, srv.URL(""), 500*time.Millisecond)
	if err := a.SwapRecord("notify/x", nil, []byte("v1")); !errors.Is(err, ErrNotLeader) {
		t.Errorf("a write without the lease: %v", err)
	}
	if lead, err := a.Campaign(ctx); !lead || err != nil {
		t.Fatalf("a campaigns: %v %v", lead, err)
	}
	testSwapRecord(t, a)
	if err := a.SwapRecord("notify/x", nil, []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := b.SwapRecord("notify/x", []byte("v2"), []byte("b's")); !errors.Is(err, ErrNotLeader) {
		t.Errorf("a follower's write: %v", err)
	}
	time.Sleep(700 * time.Millisecond) // a stops renewing
	if lead, _ := b.Campaign(ctx); !lead {
		t.Fatal("b did not take the expired lease")
	}
	if err := b.SwapRecord("notify/x", []byte("v2"), []byte("v3")); err != nil {
		t.Fatal(err)
	}
	// a read v3 before it lost the lease... or v2: either way refused.
	for _, old := range []string{"v2", "v3"} {
		if err := a.SwapRecord("notify/x", []byte(old), []byte("a's stale")); !errors.Is(err, ErrNotLeader) {
			t.Errorf("the old leader's write over %s: %v, want ErrNotLeader", old, err)
		}
	}
	if v, err := b.Record("notify/x"); string(v) != "v3" || err != nil {
		t.Errorf("the record holds %q %v, want the new leader's v3", v, err)
	}
	if err := a.PutRecord("notify/x", nil); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Record("notify/x"); v != nil || err != nil {
		t.Errorf("after PutRecord(nil): %q %v", v, err)
	}
	// Records any replica writes are swapped by followers too.
	testSwapRecord(t, sharedSwapper{a})
}

// A wrong password or URL is a clear error at start; Redis down is not.
func TestRedisConnectionErrors(t *testing.T) {
	srv := redistest.Start(t, "s3cret")
	if _, err := OpenRedis(context.Background(), srv.URL("wrong"), "", time.Second, quiet()); err == nil || !strings.Contains(err.Error(), "refused the connection") {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := OpenRedis(context.Background(), "http://x", "", time.Second, quiet()); err == nil || !strings.Contains(err.Error(), "not a Redis URL") {
		t.Errorf("bad URL: %v", err)
	}
	srv.Stop()
	r, err := OpenRedis(context.Background(), srv.URL("s3cret"), "", time.Second, quiet())
	if err != nil {
		t.Fatalf("Redis down at start is not an error: %v", err)
	}
	defer r.Close()
	if st := r.Stats(); st.LastError == "" || !strings.Contains(st.Path, "…@") {
		t.Errorf("stats: %+v (the password must not show)", st)
	}
}

// One unreadable record in Redis costs only that record: Load reads the
// rest and lists it; Reset refuses to wipe what replicas share; only the
// leader quarantines it, and followers are told to reload.
func TestRedisDamagedRecordIsQuarantinedNotWiped(t *testing.T) {
	srv := redistest.Start(t, "")
	ctx := context.Background()
	leader := openRedis(t, srv.URL(""), time.Minute)
	follower := openRedis(t, srv.URL(""), time.Minute)
	if lead, err := leader.Campaign(ctx); !lead || err != nil {
		t.Fatalf("campaign: %v %v", lead, err)
	}
	papers := realPapers(t, 40)
	c := &Change{At: t0, Put: map[string]Entry{
		"hf/2026-08-20": {Papers: papers[:20], Fetched: t0},
		"hf/2026-08-21": {Papers: papers[20:], Fetched: t0}},
		Points:  map[string]Point{papers[20].ID: {At: t0, Upvotes: 3}, papers[21].ID: {At: t0, Upvotes: 5}},
		Changed: map[string]time.Time{}}
	for _, p := range papers {
		c.Changed[p.ID] = t0
	}
	if err := leader.Save(c); err != nil {
		t.Fatal(err)
	}
	raw := follower.c
	if err := raw.HSet(ctx, "paperfeed:entries", "hf/2026-08-20", "not a gob").Err(); err != nil {
		t.Fatal(err)
	}
	if err := raw.HSet(ctx, "paperfeed:last", papers[21].ID, "short").Err(); err != nil {
		t.Fatal(err)
	}
	keysBefore, _ := raw.Keys(ctx, "paperfeed:*").Result()

	snap, err := follower.Load(nil)
	if err != nil {
		t.Fatalf("load with one damaged entry: %v", err)
	}
	if len(snap.Entries) != 1 || len(snap.Entries["hf/2026-08-21"].Papers) != 20 {
		t.Errorf("entries read: %d", len(snap.Entries))
	}
	if _, ok := snap.Last[papers[20].ID]; !ok {
		t.Error("the readable history point was left out")
	}
	if len(snap.Damaged) != 2 {
		t.Errorf("damaged: %v", snap.Damaged)
	}
	if err := follower.Reset(); !errors.Is(err, ErrSharedReset) {
		t.Errorf("a replica's Reset: %v, want ErrSharedReset", err)
	}
	if err := follower.Quarantine(snap.Damaged); !errors.Is(err, ErrNotLeader) {
		t.Errorf("a follower's quarantine: %v, want ErrNotLeader", err)
	}
	keysAfter, _ := raw.Keys(ctx, "paperfeed:*").Result()
	if len(keysAfter) != len(keysBefore) {
		t.Fatalf("keys %d -> %d: a follower changed the shared state", len(keysBefore), len(keysAfter))
	}
	v0, _ := follower.Version(ctx)
	if err := leader.Quarantine(snap.Damaged); err != nil {
		t.Fatal(err)
	}
	if v, _ := follower.Version(ctx); v != v0+1 {
		t.Errorf("version %d after a quarantine, want %d", v, v0+1)
	}
	snap, err = follower.Load(nil)
	if err != nil || len(snap.Damaged) != 0 || len(snap.Entries) != 1 {
		t.Errorf("after the quarantine: %v, damaged %v, %d entries", err, snap.Damaged, len(snap.Entries))
	}
	if q, _ := raw.HGet(ctx, "paperfeed:quarantine", "entries/hf/2026-08-20").Result(); q != "not a gob" {
		t.Errorf("quarantined value %q", q)
	}
	if st := follower.Stats(); st.Quarantined != 2 {
		t.Errorf("stats: %d quarantined", st.Quarantined)
	}
}

// The Redis driver's own lines go through the service's log, in its
// format and at debug level: nothing reaches an error-level log, and
// every line of a debug-level JSON log is JSON.
func TestRedisDriverLinesGoThroughTheLog(t *testing.T) {
	srv := redistest.Start(t, "")
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := OpenRedis(context.Background(), srv.URL(""), "", time.Second, log)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	srv.Stop()
	_, _ = r.Campaign(context.Background())
	_, _ = r.Version(context.Background())
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a log line is not JSON: %s", line)
		} else if rec["level"] != "DEBUG" {
			t.Errorf("a driver line above debug: %s", line)
		}
	}
	t.Logf("%d driver lines while Redis was down", strings.Count(logs.String(), "redis driver"))
}

// A password with the characters a URL cannot hold as they are (@ / : %)
// works through its own setting, and no error shows it.
func TestRedisPasswordWithAnyCharacters(t *testing.T) {
	const pw = "p@ss/w:rd%41 x"
	srv := redistest.Start(t, pw)
	r, err := OpenRedis(context.Background(), srv.URL(""), pw, time.Second, quiet())
	if err != nil {
		t.Fatalf("open with the password: %v", err)
	}
	defer r.Close()
	if lead, err := r.Campaign(context.Background()); err != nil || !lead {
		t.Fatalf("campaign: %v %v", lead, err)
	}
	_, err = OpenRedis(context.Background(), srv.URL(""), pw+"-wrong", time.Second, quiet())
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("a wrong password: %v", err)
	}
	// In a URL, escaped, it works too; a URL that does not parse is not
	// repeated with its password.
	if r2, err := OpenRedis(context.Background(), (&url.URL{Scheme: "redis", User: url.UserPassword("", pw), Host: srv.Addr(), Path: "/0"}).String(), "", time.Second, quiet()); err != nil {
		t.Errorf("the password escaped in the URL: %v", err)
	} else {
		r2.Close()
	}
	if _, err := OpenRedis(context.Background(), "redis://:"+pw+"@"+srv.Addr()+"/0", "", time.Second, quiet()); err != nil && strings.Contains(err.Error(), "w:rd") {
		t.Errorf("the error shows the password: %v", err)
	}
}
