package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"paperfeed/internal/redistest"
	"paperfeed/internal/standin"
)

// slowHook is a webhook receiver that holds the first delivery it gets
// until told how to answer it, and answers every later one at once.
type slowHook struct {
	mu       sync.Mutex
	ids      []string            // delivery IDs, in the order they arrived
	papers   map[string][]string // by delivery ID: the papers' IDs
	held     chan int            // the first request's answer
	holding  chan struct{}       // closed once the first request is held
	released sync.Once
}

func newSlowHook() *slowHook {
	return &slowHook{papers: map[string][]string{}, held: make(chan int, 1), holding: make(chan struct{})}
}

func (h *slowHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var d struct {
		DeliveryID string `json:"delivery_id"`
		Feed       struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		} `json:"feed"`
	}
	_ = json.Unmarshal(b, &d)
	h.mu.Lock()
	first := len(h.ids) == 0
	h.ids = append(h.ids, d.DeliveryID)
	for _, it := range d.Feed.Items {
		h.papers[d.DeliveryID] = append(h.papers[d.DeliveryID], it.ID)
	}
	h.mu.Unlock()
	if first {
		close(h.holding)
		w.WriteHeader(<-h.held)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// answer answers the held request (once).
func (h *slowHook) answer(code int) { h.released.Do(func() { h.held <- code }) }

func (h *slowHook) deliveries() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ids...)
}

// Two replicas on one Redis; the leader is stopped (SIGSTOP) while a
// slow receiver holds its POST; the other takes the lease and delivers
// the same message (the same delivery ID: the receiver can tell). The
// old leader resumes and its send fails: it must not write its stale
// delivery record over the new leader's, so the message stays delivered
// once recorded, nothing is sent a third time and no paper goes out
// again under another delivery ID.
func TestStalledLeaderDoesNotSendAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis and two processes")
	}
	srv := redistest.Start(t, "")
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	hook := newSlowHook()
	recv := httptest.NewServer(hook)
	defer recv.Close()
	defer hook.answer(http.StatusOK)
	file := filepath.Join(t.TempDir(), "notify.txt")
	// backfill=1: the subscription sends what the feed holds as soon as
	// it begins, so a message is in flight at once.
	if err := os.WriteFile(file, []byte("hot: webhook "+recv.URL+"/in q=agents&backfill=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := siteEnv(up, "")
	env["PAPERFEED_REDIS_URL"] = srv.URL("")
	env["PAPERFEED_REDIS_LEASE"] = "2s"
	env["PAPERFEED_LOG_LEVEL"] = "info"
	env["PAPERFEED_NOTIFY"] = file
	env["PAPERFEED_WEBHOOK_SECRET"] = "whsec"
	cmdA, baseA, logsA := startChild(t, env)
	a := &replica{cmd: cmdA, base: baseA, logs: logsA}
	waitFor(t, "replica A to lead", func() bool { return a.role(t) == "leader" })
	cmdB, baseB, logsB := startChild(t, env)
	b := &replica{cmd: cmdB, base: baseB, logs: logsB}
	waitFor(t, "replica B to be ready", func() bool { code, _, _, _ := b.get("/readyz"); return code == 200 })

	select {
	case <-hook.holding:
	case <-time.After(30 * time.Second):
		t.Fatalf("no delivery from the leader\n%s", logsA.String())
	}
	if err := cmdA.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	defer func() {
		if stopped {
			_ = cmdA.Process.Signal(syscall.SIGCONT)
		}
	}()
	waitFor(t, "B to take the lease and deliver", func() bool { return len(hook.deliveries()) >= 2 })
	ids := hook.deliveries()
	if ids[1] != ids[0] {
		t.Errorf("the new leader sent delivery %s, not the pending %s", ids[1], ids[0])
	}
	waitFor(t, "B to record the delivery", func() bool {
		st := b.status(t)
		return len(st.Notifications) == 1 && st.Notifications[0].Pending == 0 && st.Notifications[0].Delivered > 0
	})
	delivered := b.status(t).Notifications[0].Delivered
	// The old leader resumes; the receiver answers its held POST with a
	// failure, as a send that timed out.
	hook.answer(http.StatusServiceUnavailable)
	if err := cmdA.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stopped = false
	waitFor(t, "A to follow", func() bool { return a.role(t) == "follower" })
	time.Sleep(3 * time.Second)
	// The record in Redis is the new leader's: nothing pending.
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	raw, err := rc.Get(t.Context(), "paperfeed:record:notify/hot").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Pending   json.RawMessage      `json:"pending"`
		Delivered map[string]time.Time `json:"delivered"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Pending) > 0 && string(rec.Pending) != "null" {
		t.Errorf("after the old leader resumed, the delivery record holds a pending message again (the old leader's stale write):\n%.300s", raw)
	}
	if got := b.status(t).Notifications[0]; got.Pending != 0 || got.Delivered != delivered {
		t.Errorf("the leader's /status after the old leader resumed: pending %d, delivered %d (was 0 and %d)", got.Pending, got.Delivered, delivered)
	}
	seen := map[string]string{}
	count := map[string]int{}
	hook.mu.Lock()
	for _, id := range hook.ids {
		count[id]++
		for _, p := range hook.papers[id] {
			if other, ok := seen[p]; ok && other != id {
				t.Errorf("paper %s sent under two delivery IDs, %s and %s", p, other, id)
			}
			seen[p] = id
		}
	}
	hook.mu.Unlock()
	for id, n := range count {
		if n > 2 {
			t.Errorf("delivery %s sent %d times", id, n)
		}
	}
	if !strings.Contains(logsA.String(), "notification") {
		t.Logf("A's log:\n%s", logsA.String())
	}
}
