package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
)

func env(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseSubscriptions(t *testing.T) {
	e := env(map[string]string{"SLACK_URL": "https://hooks.slack.com/services/T0/B0/SECRETPART", "BOT": "123:SECRETTOKEN", "TO": "ann@example.org"})
	file := `# comments and blank lines are skipped

agents: webhook https://hooks.example.org/in q=agents&min_upvotes=20
team: slack $SLACK_URL q=video&backfill=1
bot: telegram $BOT:-1001234 digest=week
mail: email $TO
`
	subs, err := ParseSubscriptions(strings.NewReader(file), "notify.txt", e, func(string) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 4 {
		t.Fatalf("%d subscriptions", len(subs))
	}
	if s := subs[1]; s.Query != "q=video" || !s.Backfill || s.url != "https://hooks.slack.com/services/T0/B0/SECRETPART" || s.Shown != "https://hooks.slack.com/…" {
		t.Errorf("slack: %+v", s)
	}
	if s := subs[2]; s.token != "123:SECRETTOKEN" || s.chatID != "-1001234" || strings.Contains(s.Shown, "SECRET") {
		t.Errorf("telegram: %+v", s)
	}
	if s := subs[3]; s.address != "ann@example.org" || s.Query != "" || s.Shown != "a…@example.org" {
		t.Errorf("email: %+v", s)
	}
	for _, tc := range []struct{ line, want string }{
		{"x: pigeon somewhere q=a", `unknown channel "pigeon"`},
		{"x: slack $NOPE", "NOPE is not set"},
		{"x: email not-an-address", "not an address"},
		{"x: telegram 123:SECRET:-100", "by reference"},
		{"x: webhook ftp://host/x", "http(s) URL"},
		{"Bad Name: webhook https://h/x", "lower-case"},
		{"x: webhook https://h/x q=a&backfill=yes", "backfill=yes"},
		{"x: webhook https://h/x limit=0", "limit=0 refused"},
		{"x: webhook https://h/x\nx: webhook https://h/y", "defined twice"},
		{"x: webhook", "want \"channel target filter\""},
	} {
		_, err := ParseSubscriptions(strings.NewReader(tc.line), "f", e, func(q string) error {
			if strings.Contains(q, "limit=0") {
				return errors.New("limit=0 refused")
			}
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.line, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%q: the error shows a secret: %v", tc.line, err)
		}
	}
}

// A notify line's filter is the rest of the line, as a topics line's is:
// it may hold spaces (q=model OR models), and is read the same with or
// without a leading "?".
func TestParseSubscriptionFilterWithSpaces(t *testing.T) {
	file := "reader: email a@b.org q=model OR models\n" +
		"spaced:   webhook   https://h.example/in    ?q=\"world model\" -survey&min_upvotes=5  \n" +
		"bare: slack https://h.example/x\n"
	subs, err := ParseSubscriptions(strings.NewReader(file), "f", env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"q=model+OR+models", "min_upvotes=5&q=%22world+model%22+-survey", ""}
	for i, s := range subs {
		if s.Query != want[i] {
			t.Errorf("%s: query %q, want %q", s.Name, s.Query, want[i])
		}
	}
}

// receiver stands in for Slack, Discord, Telegram and webhook endpoints:
// it records each request and answers from a script of status codes.
type receiver struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	paths   []string
	script  []int // status per request; then 200
	retry   string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.bodies, rc.headers, rc.paths = append(rc.bodies, b), append(rc.headers, r.Header.Clone()), append(rc.paths, r.URL.Path)
	code := 200
	if len(rc.script) > 0 {
		code, rc.script = rc.script[0], rc.script[1:]
	}
	if code == 429 && rc.retry != "" {
		w.Header().Set("Retry-After", rc.retry)
	}
	w.WriteHeader(code)
	if strings.Contains(r.URL.Path, "sendMessage") {
		fmt.Fprintf(w, `{"ok":%v}`, code == 200)
	}
}

func (rc *receiver) count() int { rc.mu.Lock(); defer rc.mu.Unlock(); return len(rc.bodies) }

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func item(id, title string, at time.Time) feed.Item {
	return feed.Item{Paper: &feed.Paper{ID: id, Title: title, OnHF: true, Upvotes: 12, Authors: []string{"Ann Lee", "Bo Chen"}}, Date: at}
}

func sample() *Message {
	its := []feed.Item{item("2612.00001", "Agents <that> plan & act", t0)}
	m := &Message{Subscription: "s", Title: "paperfeed · s: 1 new paper", FeedURL: "https://pf.example/feed.rss?q=agents",
		Papers: []Paper{paperOf(&its[0])}, Keys: []string{"2612.00001"}, Stop: "To stop, remove the line.", JSONFeed: []byte(`{"version":"https://jsonfeed.org/version/1.1","items":[]}`)}
	m.DeliveryID = deliveryID("s", m.Keys)
	return m
}

// Every HTTP channel, against a receiver: what each sends, the
// webhook's signature, and errors that never name a secret.
func TestHTTPChannels(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	set := Settings{HTTP: srv.Client(), WebhookSecret: "whsec", TelegramAPI: srv.URL}
	e := env(map[string]string{"URL": srv.URL + "/hook/SECRETPART", "BOT": "123:SECRETTOKEN"})
	subs, err := ParseSubscriptions(strings.NewReader("s: slack $URL\nd: discord $URL\ntg: telegram $BOT:42\nw: webhook $URL\n"), "f", e, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := sample()
	for _, s := range subs {
		answer, err := Send(context.Background(), set, s, m)
		if err != nil || !strings.Contains(answer, "200 OK") || strings.Contains(answer, "SECRET") {
			t.Errorf("%s: %q %v", s.Channel, answer, err)
		}
	}
	var slack, discord, tg map[string]any
	_ = json.Unmarshal(rc.bodies[0], &slack)
	_ = json.Unmarshal(rc.bodies[1], &discord)
	_ = json.Unmarshal(rc.bodies[2], &tg)
	if txt := slack["text"].(string); !strings.Contains(txt, "<https://huggingface.co/papers/2612.00001|Agents &lt;that&gt; plan &amp; act>") {
		t.Errorf("slack text: %s", txt)
	}
	if txt := discord["content"].(string); !strings.Contains(txt, `[Agents <that\> plan & act](<https://huggingface.co/papers/2612.00001>)`) {
		t.Errorf("discord content: %s", txt)
	}
	if rc.paths[2] != "/bot123:SECRETTOKEN/sendMessage" || tg["parse_mode"] != "HTML" || tg["chat_id"] != "42" ||
		!strings.Contains(tg["text"].(string), `<a href="https://huggingface.co/papers/2612.00001">Agents &lt;that&gt; plan &amp; act</a>`) {
		t.Errorf("telegram: %s %v", rc.paths[2], tg)
	}
	mac := hmac.New(sha256.New, []byte("whsec"))
	mac.Write(rc.bodies[3])
	if got := rc.headers[3].Get("X-Paperfeed-Signature"); got != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("webhook signature %q does not verify", got)
	}
	var wh struct {
		DeliveryID string          `json:"delivery_id"`
		Feed       json.RawMessage `json:"feed"`
	}
	if err := json.Unmarshal(rc.bodies[3], &wh); err != nil || wh.DeliveryID != m.DeliveryID || rc.headers[3].Get("X-Paperfeed-Delivery") != m.DeliveryID || !strings.Contains(string(wh.Feed), "jsonfeed.org") {
		t.Errorf("webhook payload: %s (%v)", rc.bodies[3], err)
	}
	// A receiver that cannot be reached: the error names the host, not
	// the URL's secret path or the bot token.
	srv.Close()
	for _, s := range subs {
		_, err := Send(context.Background(), set, s, m)
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s to a closed server: %v", s.Channel, err)
		}
	}
	if _, err := Send(context.Background(), Settings{}, subs[3], m); err == nil || !strings.Contains(err.Error(), "PAPERFEED_WEBHOOK_SECRET") {
		t.Errorf("a webhook without a secret: %v", err)
	}
}

// fakeSource is a feed whose items the test sets, and where a
// subscription begins (mark; notReady until the sources settle).
type fakeSource struct {
	mu       sync.Mutex
	items    []feed.Item
	version  uint64
	reads    int
	mark     Mark
	notReady bool
}

func (f *fakeSource) Mark(context.Context, string) (Mark, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.notReady {
		return Mark{}, ErrNotReady
	}
	return f.mark, nil
}

func (f *fakeSource) set(items ...feed.Item) {
	f.mu.Lock()
	f.items = items
	f.version++
	f.mu.Unlock()
}
func (f *fakeSource) Version() uint64 { f.mu.Lock(); defer f.mu.Unlock(); return f.version }
func (f *fakeSource) Items(context.Context, string) ([]feed.Item, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return slices.Clone(f.items), nil
}
func (f *fakeSource) FeedURL(q string, _ int) string { return "https://pf.example/feed.rss?" + q }
func (f *fakeSource) JSONFeed(string, string, []feed.Item) []byte {
	return []byte(`{"version":"https://jsonfeed.org/version/1.1"}`)
}

// memRecords is a map of records (the state store's contract).
type memRecords struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (r *memRecords) Record(k string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[k], nil
}
func (r *memRecords) SwapRecord(k string, old, v []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.m[k]; (old == nil) != (cur == nil) || string(cur) != string(old) {
		return errors.New("the record changed since it was read")
	}
	if r.m == nil {
		r.m = map[string][]byte{}
	}
	r.m[k] = slices.Clone(v)
	return nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func quiet() *slog.Logger            { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func webhookSub(t *testing.T, url string, extra string) Subscription {
	t.Helper()
	subs, err := ParseSubscriptions(strings.NewReader("agents: webhook "+url+" q=agents"+extra), "f", env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	return subs[0]
}

func newTestNotifier(sub Subscription, src Source, rec Records, c *clock, srv *httptest.Server) *Notifier {
	set := Settings{HTTP: srv.Client(), WebhookSecret: "k"}
	return New(Config{Subscriptions: []Subscription{sub}, Source: src, Records: rec, Now: c.now, Log: quiet(),
		Send: func(ctx context.Context, s Subscription, m *Message) (string, error) { return Send(ctx, set, s, m) }})
}

type delivery struct {
	DeliveryID string `json:"delivery_id"`
	Title      string `json:"title"`
	More       int    `json:"more"`
}

func (rc *receiver) delivery(t *testing.T, i int) delivery {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var d delivery
	if err := json.Unmarshal(rc.bodies[i], &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// Each paper once: what qualified before the subscription began is not
// sent, what qualifies after is, in one message per run, and nothing
// twice, across a restart (a new notifier on the same records).
func TestNotifierSendsEachPaperOnce(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	c := &clock{t0}
	src := &fakeSource{}
	rec := &memRecords{}
	sub := webhookSub(t, srv.URL, "")
	old := item("2612.00001", "Old", t0.Add(-time.Hour))
	src.set(old)
	n := newTestNotifier(sub, src, rec, c, srv)
	n.Run(t.Context())
	if rc.count() != 0 {
		t.Fatalf("a new subscription sent %d messages of papers that qualified before it began", rc.count())
	}
	c.add(time.Minute)
	var batch []feed.Item
	for i := range 13 {
		batch = append(batch, item(fmt.Sprintf("2612.%05d", 100+i), fmt.Sprintf("New %d", i), c.t))
	}
	src.set(append([]feed.Item{old}, batch...)...)
	reads := src.reads
	n.Run(t.Context())
	n.Run(t.Context())
	if rc.count() != 1 {
		t.Fatalf("%d messages for one refresh's 13 papers, want 1", rc.count())
	}
	if src.reads != reads+1 {
		t.Errorf("two runs on one data version read the feed %d times, want once", src.reads-reads)
	}
	if d := rc.delivery(t, 0); d.Title != "paperfeed · agents: 13 new papers" || d.More != 0 {
		t.Errorf("message %+v, want 13 new papers, all in the payload", d)
	}
	// A restart: the same records, a new notifier: nothing again.
	c.add(time.Minute)
	n2 := newTestNotifier(sub, src, rec, c, srv)
	n2.Run(t.Context())
	if rc.count() != 1 {
		t.Fatalf("after a restart %d messages, want still 1", rc.count())
	}
	later := item("2612.00200", "Later", c.t)
	src.set(append(batch, later)...)
	n2.Run(t.Context())
	if rc.count() != 2 || rc.delivery(t, 1).Title != "paperfeed · agents: 1 new paper" {
		t.Fatalf("the next paper: %d messages", rc.count())
	}
	st := n2.Statuses()[0]
	if st.Delivered != 14 /* sent; not the one held when it began */ || st.Pending != 0 || st.LastSuccess.IsZero() || st.Target != srv.URL+"/…" && !strings.HasPrefix(st.Target, "http://127.0.0.1") {
		t.Errorf("status %+v", st)
	}
	// Not the leader: nothing is sent.
	src.set(item("2612.00300", "Follower's", c.t))
	n3 := newTestNotifier(sub, src, rec, c, srv)
	n3.leads = func() bool { return false }
	n3.Run(t.Context())
	if rc.count() != 2 {
		t.Errorf("a replica that does not lead sent a message")
	}
}

// backfill=1 sends what the feed holds when the subscription begins.
func TestNotifierBackfill(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	c := &clock{t0}
	src := &fakeSource{}
	src.set(item("2612.00001", "Old", t0.Add(-48*time.Hour)), item("2612.00002", "Older", t0.Add(-72*time.Hour)))
	n := newTestNotifier(webhookSub(t, srv.URL, "&backfill=1"), src, &memRecords{}, c, srv)
	n.Run(t.Context())
	if rc.count() != 1 || rc.delivery(t, 0).Title != "paperfeed · agents: 2 new papers" {
		t.Fatalf("backfill: %d messages", rc.count())
	}
}

// Failures are retried with backoff (30 s, then doubling; longer when
// Retry-After asks), the same message with the same delivery ID, and
// after MaxAttempts marked failed.
func TestNotifierRetries(t *testing.T) {
	rc := &receiver{script: []int{500, 429}, retry: "300"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	c := &clock{t0}
	src := &fakeSource{}
	rec := &memRecords{}
	sub := webhookSub(t, srv.URL, "")
	n := newTestNotifier(sub, src, rec, c, srv)
	n.Run(t.Context()) // begins
	c.add(time.Minute)
	src.set(item("2612.00001", "One", c.t))
	n.Run(t.Context()) // 500
	if st := n.Statuses()[0]; st.Attempts != 1 || !st.NextTry.Equal(c.t.Add(30*time.Second)) || st.Pending != 1 || !strings.Contains(st.LastError, "500") {
		t.Fatalf("after a 500: %+v", st)
	}
	c.add(10 * time.Second)
	n.Run(t.Context())
	if rc.count() != 1 {
		t.Fatalf("retried before the backoff: %d requests", rc.count())
	}
	c.add(20 * time.Second)
	n.Run(t.Context()) // 429, Retry-After 300
	if st := n.Statuses()[0]; st.Attempts != 2 || !st.NextTry.Equal(c.t.Add(300*time.Second)) {
		t.Fatalf("after a 429 asking for 300 s: %+v", st)
	}
	c.add(299 * time.Second)
	n.Run(t.Context())
	if rc.count() != 2 {
		t.Fatalf("Retry-After not honoured: %d requests", rc.count())
	}
	c.add(time.Second)
	n.Run(t.Context()) // 200
	if rc.count() != 3 {
		t.Fatalf("%d requests, want 3", rc.count())
	}
	ids := map[string]bool{}
	for i := range 3 {
		ids[rc.delivery(t, i).DeliveryID] = true
	}
	if len(ids) != 1 {
		t.Errorf("the retries carried %d delivery IDs, want one", len(ids))
	}
	if st := n.Statuses()[0]; st.Pending != 0 || st.Delivered != 1 || st.Attempts != 0 {
		t.Errorf("after delivery: %+v", st)
	}
	// A receiver that always fails: MaxAttempts sends, then failed.
	rc.mu.Lock()
	rc.script = slices.Repeat([]int{503}, MaxAttempts+2)
	rc.mu.Unlock()
	src.set(item("2612.00002", "Two", c.t))
	for range 40 {
		n.Run(t.Context())
		c.add(time.Hour)
	}
	if got := rc.count() - 3; got != MaxAttempts {
		t.Errorf("%d sends of a failing message, want %d", got, MaxAttempts)
	}
	if st := n.Statuses()[0]; st.Failed != 1 || st.Pending != 0 {
		t.Errorf("after %d failures: %+v", MaxAttempts, st)
	}
}

// A digest subscription sends one message per closed period.
func TestNotifierDigests(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	c := &clock{t0}
	src := &fakeSource{}
	sub := webhookSub(t, srv.URL, "&digest=day")
	src.mark = Mark{Digest: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)} // the open day when it begins
	n := newTestNotifier(sub, src, &memRecords{}, c, srv)
	digest := func(day string, closed time.Time) feed.Item {
		return feed.Item{Digest: &feed.Digest{Period: "day/" + day, Title: "Daily digest " + day, HTML: "<ol><li>x</li></ol>"}, Date: closed}
	}
	src.set(digest("2026-12-02", t0.Add(-time.Hour)))
	n.Run(t.Context())
	c.add(24 * time.Hour)
	src.set(digest("2026-12-03", c.t.Add(-time.Minute)), digest("2026-12-02", t0.Add(-time.Hour)))
	n.Run(t.Context())
	n.Run(t.Context())
	c.add(24 * time.Hour)
	src.set(digest("2026-12-04", c.t), digest("2026-12-03", c.t.Add(-24*time.Hour-time.Minute)))
	n.Run(t.Context())
	if rc.count() != 2 || rc.delivery(t, 0).Title != "paperfeed · agents: Daily digest 2026-12-03" || rc.delivery(t, 1).Title != "paperfeed · agents: Daily digest 2026-12-04" {
		t.Fatalf("%d digest messages", rc.count())
	}
}
