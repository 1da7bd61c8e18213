package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/notify"
	"paperfeed/internal/smtptest"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// hookLog stands in for webhook and chat endpoints: it keeps every
// delivery, when it came, and the IDs of the papers its JSON Feed holds.
type hookLog struct {
	mu      sync.Mutex
	got     []hookDelivery
	cond    chan struct{}
	slow    string // a path answered after slowFor
	slowFor time.Duration
}

type hookDelivery struct {
	path   string
	at     time.Time
	id     string
	title  string
	more   int
	text   string   // a chat message's text
	papers []string // the JSON Feed items' IDs (arXiv URLs)
}

func newHookLog() *hookLog { return &hookLog{cond: make(chan struct{})} }

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var body struct {
		DeliveryID string `json:"delivery_id"`
		Title      string `json:"title"`
		More       int    `json:"more"`
		Text       string `json:"text"`
		Feed       struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		} `json:"feed"`
	}
	_ = json.Unmarshal(b, &body)
	d := hookDelivery{path: r.URL.Path, at: time.Now(), id: body.DeliveryID, title: body.Title, more: body.More, text: body.Text}
	for _, it := range body.Feed.Items {
		d.papers = append(d.papers, strings.TrimPrefix(it.ID, "https://arxiv.org/abs/"))
	}
	h.mu.Lock()
	h.got = append(h.got, d)
	close(h.cond)
	h.cond = make(chan struct{})
	h.mu.Unlock()
	if h.slow != "" && strings.HasPrefix(r.URL.Path, h.slow) {
		time.Sleep(h.slowFor)
	}
}

// at returns the deliveries to a path.
func (h *hookLog) at(path string) []hookDelivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookDelivery
	for _, d := range h.got {
		if d.path == path {
			out = append(out, d)
		}
	}
	return out
}

// pushRig is a service with a notify file on a state file, the replay,
// a webhook and chat receiver and a real SMTP server.
type pushRig struct {
	t     *testing.T
	site  *standin.Site
	up    string
	dir   string
	file  string
	hooks *hookLog
	recv  *httptest.Server
	smtp  *smtptest.Server
	logs  *syncBuffer
	cfg   func(*Config)
	app   *app
	base  string
}

func newPushRig(t *testing.T, lines string, smtp smtptest.Options) *pushRig {
	t.Helper()
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := &pushRig{t: t, site: site, up: newUpstream(t, site), dir: t.TempDir(), hooks: newHookLog(), smtp: smtptest.Start(t, smtp), logs: &syncBuffer{}}
	r.recv = httptest.NewServer(r.hooks)
	t.Cleanup(r.recv.Close)
	t.Cleanup(func() {
		if r.app != nil {
			r.app.Close()
		}
	})
	r.file = filepath.Join(r.dir, "notify.txt")
	if err := os.WriteFile(r.file, []byte(strings.ReplaceAll(lines, "HOOK", r.recv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// start opens the service on the rig's state file (a restart when one
// ran before).
func (r *pushRig) start() *app {
	t := r.t
	t.Helper()
	if r.app != nil {
		r.app.Close()
	}
	b, err := state.OpenBolt(filepath.Join(r.dir, "data"), discardLog(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	a := testAppLogging(t, r.up, nil, func(c *Config) {
		c.NotifyFile, c.WebhookSecret = r.file, "whsec"
		c.SMTP = notify.SMTP{Host: r.smtp.Host(), Port: r.smtp.Port(), From: "paperfeed <pf@example.org>", TLS: "none"}
		if r.cfg != nil {
			r.cfg(c)
		}
	}, b, r.logs)
	subs, err := LoadSubscriptions(a.cfg, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	a.setNotify(subs, b)
	if _, err := a.refresh.Restore(); err != nil {
		t.Fatal(err)
	}
	r.app, r.base = a, newServer(t, a).URL
	return a
}

func (r *pushRig) refresh() {
	r.t.Helper()
	if _, err := r.app.refresh.RefreshSource(context.Background(), feed.SourceHF); err != nil {
		r.t.Fatal(err)
	}
}

// beginThenNewDay starts the service with the newest day not out yet,
// lets the subscriptions begin, then publishes that day and runs them.
func (r *pushRig) beginThenNewDay() *app {
	r.site.HF.HideNewest(1)
	a := r.start()
	r.refresh()
	a.Notify.Run(r.t.Context())
	r.site.HF.HideNewest(0)
	r.refresh()
	a.Notify.Run(r.t.Context())
	return a
}

// A fresh instance's first start, its window filling one day after
// another while the notifier runs, and three restarts: a "from now"
// paper subscription and a digest subscription send nothing of what was
// listed, or closed, before they began. Then the newest day comes out:
// the paper subscription gets that day's papers alone, and the digest
// one the digest of the day that just closed, alone, as a mail whose
// subject names the subscription and whose text part is text.
func TestPushFromNowOnAFreshInstance(t *testing.T) {
	r := newPushRig(t, "hot: webhook HOOK/hot min_upvotes=20\ndaily: email me@example.org digest=day\n", smtptest.Options{})
	r.cfg = func(c *Config) { c.HFInterval = 100 * time.Millisecond } // the first fill takes a while
	r.site.HF.HideNewest(1)
	a := r.start()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.refresh()
	}()
	for filling := true; filling; {
		select {
		case <-done:
			filling = false
		case <-time.After(20 * time.Millisecond):
		}
		a.Notify.Run(t.Context())
	}
	a.Notify.Run(t.Context())
	for i := range 3 {
		a = r.start()
		a.Notify.Run(t.Context())
		r.refresh()
		a.Notify.Run(t.Context())
		if n, m := len(r.hooks.at("/hot")), len(r.smtp.Mails()); n+m > 0 {
			t.Fatalf("after the first start and %d restarts: %d webhook messages (%v), %d mails (%s) of what was listed before the subscriptions began",
				i, n, r.hooks.at("/hot"), m, subjects(r.smtp.Mails()))
		}
	}
	if st := a.Notify.Statuses(); st[0].Baseline.IsZero() || st[1].Baseline.IsZero() {
		t.Fatalf("the subscriptions have not begun: %+v", st)
	}
	closing := r.site.HF.Newest()
	r.site.HF.HideNewest(0)
	r.refresh()
	a.Notify.Run(t.Context())
	newest := r.site.HF.Newest().Format(time.DateOnly)
	_, body := roundTrip(t, "GET", r.base+"/feed.json?min_upvotes=20&date="+newest)
	var want struct{ Items []struct{ ID string } }
	if err := json.Unmarshal(body, &want); err != nil || len(want.Items) == 0 {
		t.Fatalf("the new day's papers with 20 upvotes: %v %.200s", err, body)
	}
	var got []string
	for _, d := range r.hooks.at("/hot") {
		got = append(got, d.papers...)
	}
	var wantIDs []string
	for _, it := range want.Items {
		wantIDs = append(wantIDs, strings.TrimPrefix(it.ID, "https://arxiv.org/abs/"))
	}
	slices.Sort(got)
	slices.Sort(wantIDs)
	if !slices.Equal(got, wantIDs) {
		t.Errorf("the new day: the webhook got %v, want the day's %v", got, wantIDs)
	}
	mails := r.smtp.Wait(1, 5*time.Second)
	if len(mails) != 1 {
		t.Fatalf("%d digest mails after one day closed, want 1: %s\n%s", len(mails), subjects(mails), r.logs.String())
	}
	m := mails[0]
	if !strings.HasPrefix(m.Subject, "paperfeed · daily: ") || !strings.Contains(m.Subject, closing.Format("2 Jan 2006")) {
		t.Errorf("the digest's subject %q: want the subscription's prefix and the day %s", m.Subject, closing.Format(time.DateOnly))
	}
	if strings.Contains(m.Text, "<") || strings.Contains(m.Text, "&amp;") || strings.Count(m.Text, "https://huggingface.co/papers/") < 3 {
		t.Errorf("the digest's text part is not text listing the papers:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, "<a href=\"https://huggingface.co/papers/") {
		t.Errorf("the digest's HTML part:\n%s", m.HTML)
	}
}

// A digest mail: its subject carries the "paperfeed · NAME: " prefix the
// other messages do, and its text part is text (the papers' titles and
// links), not the digest's HTML.
func TestPushDigestMailIsText(t *testing.T) {
	r := newPushRig(t, "daily: email me@example.org digest=day\n", smtptest.Options{})
	r.beginThenNewDay()
	mails := r.smtp.Wait(1, 5*time.Second)
	if len(mails) != 1 {
		t.Fatalf("%d digest mails, want 1: %s", len(mails), subjects(mails))
	}
	m := mails[0]
	if !strings.HasPrefix(m.Subject, "paperfeed · daily: Daily Papers, Thu 20 Aug 2026: top 10 of ") {
		t.Errorf("subject %q", m.Subject)
	}
	if strings.ContainsAny(m.Text, "<>") || !strings.Contains(m.Text, "- Self-Forcing++: Towards Minute-Scale High-Quality Video Generation\n  https://huggingface.co/papers/2510.02283\n") ||
		!strings.Contains(m.Text, "The feed: http://paperfeed.test/feed.rss?digest=day") {
		t.Errorf("the text part:\n%s", m.Text)
	}
	// How to stop it, without the server's paths.
	if !strings.Contains(m.Text, `ask the operator of the paperfeed at http://paperfeed.test to remove the subscription "daily"`) ||
		strings.Contains(m.Text+m.HTML, r.file) {
		t.Errorf("how to stop, in the text part:\n%s", m.Text)
	}
}

func subjects(ms []smtptest.Mail) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return strings.Join(out, "; ")
}

// 150 papers join the feed at one refresh, more than a feed's default
// limit of 100: every one reaches the webhook, once, in its payloads
// (several deliveries of at most notify.MaxPerPayload); the chat message
// counts all 150, lists 10 and links the rest.
func TestPushBurstIsSentWhole(t *testing.T) {
	r := newPushRig(t, "all: webhook HOOK/all\nchat: slack HOOK/chat\ntop: slack HOOK/top sort=upvotes\n", smtptest.Options{})
	monday := time.Date(2026, 8, 24, 0, 0, 0, 0, time.UTC)
	ids := r.site.HF.AddDerivedDay(monday, 150)
	r.site.HF.HideNewest(1)
	a := r.start()
	r.refresh()
	a.Notify.Run(t.Context())
	if n := len(r.hooks.at("/all")) + len(r.hooks.at("/chat")); n != 0 {
		t.Fatalf("%d messages when the subscriptions began", n)
	}
	r.site.HF.HideNewest(0)
	r.refresh()
	a.Notify.Run(t.Context())
	a.Notify.Run(t.Context())
	seen := map[string]int{}
	deliveries := r.hooks.at("/all")
	for _, d := range deliveries {
		if len(d.papers) > notify.MaxPerPayload {
			t.Errorf("a payload of %d papers, over %d", len(d.papers), notify.MaxPerPayload)
		}
		for _, p := range d.papers {
			seen[p]++
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("paper %s reached the webhook %d times, want once", id, seen[id])
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("the webhook got %d papers, want the %d that joined", len(seen), len(ids))
	}
	if len(deliveries) != 3 || deliveries[0].more != 100 || deliveries[1].more != 50 || deliveries[2].more != 0 ||
		deliveries[0].title != "paperfeed · all: 50 new papers (100 more follow)" {
		t.Errorf("deliveries: %d (%+v), want 3 of 50 papers", len(deliveries), deliveries)
	}
	chat := r.hooks.at("/chat")
	if len(chat) != 1 || !strings.Contains(chat[0].text, "150 new papers") || strings.Count(chat[0].text, "\n•") != 10 ||
		!strings.Contains(chat[0].text, "and 140 more") {
		t.Fatalf("the chat message: %+v", chat)
	}
	// Its link shows all 150, beyond the feed's default limit, in date
	// order and in an order where the burst is not on top.
	for _, path := range []string{"/chat", "/top"} {
		msgs := r.hooks.at(path)
		if len(msgs) != 1 {
			t.Fatalf("%s: %d messages", path, len(msgs))
		}
		link := regexp.MustCompile(`and 140 more: <([^|>]+)`).FindStringSubmatch(msgs[0].text)
		if link == nil {
			t.Fatalf("the chat message links no feed: %s", msgs[0].text)
		}
		u, _ := url.Parse(link[1])
		_, body := roundTrip(t, "GET", r.base+strings.Replace(u.RequestURI(), "/feed.rss", "/feed.json", 1))
		for _, id := range ids {
			if !strings.Contains(string(body), `"https://arxiv.org/abs/`+id+`"`) {
				t.Fatalf("%s: the linked feed %s lacks %s of the burst", path, u.RequestURI(), id)
			}
		}
	}
}

// A mail server answering slowly holds up no other subscription: the
// webhook's message arrives while the mail is still being sent.
func TestPushSlowChannelHoldsUpNoOther(t *testing.T) {
	r := newPushRig(t, "mail: email me@example.org\nhook: webhook HOOK/hook\n", smtptest.Options{Delay: time.Second})
	r.site.HF.HideNewest(1)
	a := r.start()
	r.refresh()
	a.Notify.Run(t.Context())
	r.site.HF.HideNewest(0)
	r.refresh()
	start := time.Now()
	done := make(chan struct{})
	go func() { a.Notify.Run(t.Context()); close(done) }()
	waitFor(t, "the webhook's message", func() bool { return len(r.hooks.at("/hook")) == 1 })
	took := r.hooks.at("/hook")[0].at.Sub(start)
	if took > 1500*time.Millisecond {
		t.Errorf("the webhook's message came %s after the run began: it waited for the mail", took.Round(time.Millisecond))
	}
	if len(r.smtp.Mails()) != 0 {
		t.Errorf("the mail (3 s of replies) was done before the webhook's message")
	}
	<-done
	if len(r.smtp.Mails()) != 1 {
		t.Errorf("%d mails", len(r.smtp.Mails()))
	}
}

// A line added while the service was down begins from what the sources
// hold once the refreshes due at its first start have run, not from the
// state restored: a day that came out during the downtime is not sent
// to it (the lines that were there before get it), and a day after that
// is.
func TestPushNewLineAfterDowntimeStartsFromNow(t *testing.T) {
	r := newPushRig(t, "old: webhook HOOK/old min_upvotes=20\n", smtptest.Options{})
	r.cfg = func(c *Config) { c.Refresh = 200 * time.Millisecond }
	r.site.HF.HideNewest(2)
	a := r.start()
	r.refresh()
	a.Notify.Run(t.Context())
	a.Close()
	r.app = nil
	// Down longer than the refresh interval; a day comes out meanwhile,
	// and a line is added.
	time.Sleep(300 * time.Millisecond)
	r.site.HF.HideNewest(1)
	lines := "old: webhook " + r.recv.URL + "/old min_upvotes=20\nnew: webhook " + r.recv.URL + "/new min_upvotes=20\n"
	if err := os.WriteFile(r.file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	a = r.start()
	a.Notify.Run(t.Context()) // restored, not yet refreshed
	r.refresh()
	a.Notify.Run(t.Context())
	if len(r.hooks.at("/old")) == 0 {
		t.Fatalf("the line that was there before got nothing of the day that came out meanwhile")
	}
	if got := r.hooks.at("/new"); len(got) > 0 {
		t.Fatalf("the new line got %d messages of a day that came out before it was first seen: %v", len(got), got)
	}
	r.site.HF.HideNewest(0)
	r.refresh()
	a.Notify.Run(t.Context())
	if len(r.hooks.at("/new")) == 0 {
		t.Fatalf("the new line got nothing of the day after it began:\n%s", r.logs.String())
	}
}

// A notify line whose filter has spaces, as a topics line may: the
// running service takes the rest of the line as the filter and sends
// what the same filter's feed gains, no more (an "OR" read as a word
// would send nothing, the first word alone more).
func TestPushFilterWithSpacesDelivers(t *testing.T) {
	r := newPushRig(t, "models: webhook HOOK/m q=model OR models\n", smtptest.Options{})
	r.beginThenNewDay()
	newest := r.site.HF.Newest().Format(time.DateOnly)
	_, body := roundTrip(t, "GET", r.base+"/feed.json?q=model+OR+models&date="+newest)
	var want struct{ Items []struct{ ID string } }
	if err := json.Unmarshal(body, &want); err != nil || len(want.Items) < 2 {
		t.Fatalf("the new day's papers on models: %v %.200s", err, body)
	}
	var wantIDs, got []string
	for _, it := range want.Items {
		wantIDs = append(wantIDs, strings.TrimPrefix(it.ID, "https://arxiv.org/abs/"))
	}
	for _, d := range r.hooks.at("/m") {
		got = append(got, d.papers...)
	}
	slices.Sort(got)
	slices.Sort(wantIDs)
	if !slices.Equal(got, wantIDs) {
		t.Errorf("the line with spaces sent %v, want the feed's %v\n%s", got, wantIDs, r.logs.String())
	}
}

// Subscriptions to one host (every Slack line is on hooks.slack.com) are
// sent side by side: a receiver slow to answer one line holds up no
// other line to the same host (both wait on it: one after the other, the
// second would come when the first is answered).
func TestPushSlowReceiverHoldsUpNoOtherOnItsHost(t *testing.T) {
	r := newPushRig(t, "one: webhook HOOK/slow/one\ntwo: webhook HOOK/slow/two\n", smtptest.Options{})
	r.hooks.slow, r.hooks.slowFor = "/slow/", 3*time.Second
	r.beginThenNewDay()
	one, two := r.hooks.at("/slow/one"), r.hooks.at("/slow/two")
	if len(one) == 0 || len(two) == 0 {
		t.Fatalf("deliveries: %d and %d", len(one), len(two))
	}
	if d := one[0].at.Sub(two[0].at).Abs(); d > 2*time.Second {
		t.Errorf("one message came %v after the other: the second waited for the receiver to answer the first (%v)", d, r.hooks.slowFor)
	}
}
