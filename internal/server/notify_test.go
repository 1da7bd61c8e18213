package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/redistest"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// hookReceiver stands in for a webhook endpoint.
type hookReceiver struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies, h.sigs = append(h.bodies, b), append(h.sigs, r.Header.Get("X-Paperfeed-Signature"))
	h.mu.Unlock()
}

func (h *hookReceiver) count() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.bodies) }

// A webhook subscription through the real service: the papers the filter
// gains after it began arrive once, signed, as JSON Feed items; nothing
// again after a restart on the same state file; the secret path of the
// hook's URL appears in no log line, /status or /metrics.
func TestNotifyThroughTheService(t *testing.T) {
	hook := &hookReceiver{}
	recv := httptest.NewServer(hook)
	defer recv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "notify.txt")
	t.Setenv("HOOK_URL", recv.URL+"/in/SECRETPATH")
	if err := os.WriteFile(file, []byte("# pushed\nagents: webhook $HOOK_URL q=agents&min_upvotes=5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hf := replayHF(t)
	up := newUpstream(t, hf)
	var logs syncBuffer
	start := func() (*app, string) {
		b, err := state.OpenBolt(filepath.Join(dir, "data"), discardLog(), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		cfg := func(c *Config) { c.NotifyFile, c.WebhookSecret = file, "whsec" }
		a := testAppLogging(t, up, nil, cfg, b, &logs)
		subs, err := LoadSubscriptions(a.cfg, os.LookupEnv)
		if err != nil {
			t.Fatal(err)
		}
		a.setNotify(subs, b)
		if _, err := a.refresh.Restore(); err != nil {
			t.Fatal(err)
		}
		return a, newServer(t, a).URL
	}
	hf.HideNewest(1) // the newest listing day comes out after the subscription began
	a, base := start()
	f := &fixture{app: a, hf: hf}
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	a.Notify.Run(t.Context()) // begins: what the window holds now is not sent
	if hook.count() != 0 {
		t.Fatalf("a new subscription sent %d messages of papers listed before it began", hook.count())
	}
	hf.HideNewest(0)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	newest := hf.Newest().Format("2006-01-02")
	_, fresh := roundTrip(t, "GET", base+"/feed.json?q=agents&min_upvotes=5&date="+newest)
	var want struct{ Items []json.RawMessage }
	if err := json.Unmarshal(fresh, &want); err != nil || len(want.Items) == 0 {
		t.Fatalf("the new day's agents papers: %v %.200s", err, fresh)
	}
	a.Notify.Run(t.Context())
	a.Notify.Run(t.Context())
	if hook.count() != 1 {
		t.Fatalf("%d webhook messages after the new day, want 1\n%s", hook.count(), logs.String())
	}
	mac := hmac.New(sha256.New, []byte("whsec"))
	mac.Write(hook.bodies[0])
	if hook.sigs[0] != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("signature %q does not verify", hook.sigs[0])
	}
	var msg struct {
		Title   string `json:"title"`
		FeedURL string `json:"feed_url"`
		More    int    `json:"more"`
		Feed    struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		} `json:"feed"`
	}
	if err := json.Unmarshal(hook.bodies[0], &msg); err != nil {
		t.Fatal(err)
	}
	n := len(want.Items)
	if msg.Title != fmt.Sprintf("paperfeed · agents: %d new paper%s", n, map[bool]string{true: "", false: "s"}[n == 1]) ||
		len(msg.Feed.Items) != min(n, 10) || msg.More != max(n-10, 0) ||
		msg.FeedURL != "http://paperfeed.test/feed.rss?min_upvotes=5&q=agents" {
		t.Errorf("message: %q, %d items, %d more, feed %s", msg.Title, len(msg.Feed.Items), msg.More, msg.FeedURL)
	}
	resp, status := roundTrip(t, "GET", base+"/status")
	_, metrics := roundTrip(t, "GET", base+"/metrics")
	var st Status
	_ = json.Unmarshal(status, &st)
	if resp.StatusCode != 200 || len(st.Notifications) != 1 || st.Notifications[0].Name != "agents" || st.Notifications[0].LastSuccess.IsZero() ||
		st.Notifications[0].Pending != 0 || !strings.HasPrefix(st.Notifications[0].Target, "http://127.0.0.1") ||
		!strings.Contains(string(metrics), `paperfeed_notifications_total{result="sent",subscription="agents"} 1`) {
		t.Errorf("status %s\nmetrics lack the sends: %s", status, metrics)
	}
	a.Close()
	a, base = start()
	// What was delivered is read from the state: /status and /metrics
	// say so before the notifier runs again.
	_, status2 := roundTrip(t, "GET", base+"/status")
	_, metrics2 := roundTrip(t, "GET", base+"/metrics")
	var st2 Status
	_ = json.Unmarshal(status2, &st2)
	if len(st2.Notifications) != 1 || st2.Notifications[0].Delivered != st.Notifications[0].Delivered ||
		!st2.Notifications[0].LastSuccess.Equal(st.Notifications[0].LastSuccess) ||
		strings.Contains(string(metrics2), `paperfeed_notification_last_success_timestamp_seconds{subscription="agents"} 0`) {
		t.Errorf("after a restart: /status %s\n/metrics %s", status2, grepLines(string(metrics2), "notification"))
	}
	a.Notify.Run(t.Context())
	if hook.count() != 1 {
		t.Errorf("after a restart %d messages, want still 1", hook.count())
	}
	for what, text := range map[string]string{"logs": logs.String(), "/status": string(status) + string(status2), "/metrics": string(metrics)} {
		if strings.Contains(text, "SECRETPATH") || strings.Contains(text, "whsec") {
			t.Errorf("%s show the hook's secret", what)
		}
	}
}

// A notify file that cannot work stops the start, naming what is wrong.
func TestNotifyFileRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ line, want string }{
		{"a: webhook https://h.example/x q=agents", "PAPERFEED_WEBHOOK_SECRET"},
		{"a: email ann@example.org q=agents", "PAPERFEED_SMTP_HOST"},
		{"a: slack https://h.example/x limit=0", "limit=0"},
		{"a: slack https://h.example/x since=2026-01-01", "since, until and format"},
	} {
		file := filepath.Join(dir, "n.txt")
		if err := os.WriteFile(file, []byte(tc.line), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSubscriptions(Config{NotifyFile: file}, os.LookupEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.line, err, tc.want)
		}
	}
}

// Two replicas on one Redis with the same notify file: only the leader
// sends, so what the feed gains arrives once.
func TestNotifyOnlyTheLeaderSends(t *testing.T) {
	hook := &hookReceiver{}
	recv := httptest.NewServer(hook)
	defer recv.Close()
	file := filepath.Join(t.TempDir(), "notify.txt")
	if err := os.WriteFile(file, []byte("agents: webhook "+recv.URL+"/in q=agents\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t, "")
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.HF.HideNewest(1)
	up := newUpstream(t, site)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	replica := func() *app {
		r, err := state.OpenRedis(ctx, srv.URL(""), "", 2*time.Second, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		a := testAppWith(t, up, nil, func(c *Config) {
			c.RedisLease, c.NotifyFile, c.WebhookSecret = 2*time.Second, file, "whsec"
		}, r)
		subs, err := LoadSubscriptions(a.cfg, os.LookupEnv)
		if err != nil {
			t.Fatal(err)
		}
		a.setNotify(subs, r)
		if _, err := a.refresh.Restore(); err != nil {
			t.Fatal(err)
		}
		a.refresh.Start(ctx)
		return a
	}
	leader := replica()
	waitFor(t, "the leader to load", func() bool { return leader.Status().Ready })
	follower := replica()
	waitFor(t, "the follower to load", func() bool { return follower.Status().Ready })
	for _, a := range []*app{leader, follower} {
		a.Notify.Run(t.Context()) // the subscription begins (on the leader only)
	}
	// The newest listing day comes out: the leader fetches it and the
	// feed gains its agents papers.
	site.HF.HideNewest(0)
	if _, err := leader.refresh.RefreshSource(ctx, feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, a := range []*app{follower, leader} {
			a.Notify.Run(t.Context())
		}
	}
	if hook.count() != 1 {
		t.Fatalf("%d messages for one new listing day across two replicas, want 1", hook.count())
	}
	// The follower shows the delivery the leader recorded in the shared
	// state.
	if ls, fs := leader.Notify.Statuses()[0], follower.Notify.Statuses()[0]; ls.LastSuccess.IsZero() || !fs.LastSuccess.Equal(ls.LastSuccess) || fs.Delivered != ls.Delivered {
		t.Errorf("leader %+v, follower %+v", ls, fs)
	}
}
