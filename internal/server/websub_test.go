package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// hubRecorder is a WebSub hub that records the publish pings and
// answers with answer (nil: 204).
type hubRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	pings  []url.Values
	answer func(n int, w http.ResponseWriter) // n: the ping's number, from 0
}

func newHub(t *testing.T) *hubRecorder {
	h := &hubRecorder{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(b))
		h.mu.Lock()
		n := len(h.pings)
		h.pings = append(h.pings, v)
		answer := h.answer
		h.mu.Unlock()
		if answer != nil {
			answer(n, w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

// announced are the feeds the pings answered with 2xx named, in order,
// and how many pings there were.
func (h *hubRecorder) got() ([]url.Values, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.pings...), len(h.pings)
}

// clockFixture is a fixture on a clock the test moves.
type clockFixture struct {
	*fixture
	mu  sync.Mutex
	now time.Time
}

func newClockFixture(t *testing.T, mutate func(*Config)) *clockFixture {
	t.Helper()
	c := &clockFixture{now: time.Now()}
	hf := replayHF(t)
	a := testApp(t, newUpstream(t, hf), c.clock, mutate)
	c.fixture = &fixture{app: a, hf: hf, srv: newServer(t, a)}
	return c
}

func (c *clockFixture) clock() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clockFixture) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// poll asks for paths as a feed reader would: twice, a minute apart.
func (c *clockFixture) poll(t *testing.T, paths ...string) {
	t.Helper()
	for range 2 {
		for _, p := range paths {
			if resp, body := c.get(t, p); resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
			}
		}
		c.advance(time.Minute)
	}
}

func (c *clockFixture) publish() {
	c.app.HTTP.websub.publish(context.Background(), c.app.Handler(), c.clock())
}

// WebSub: feeds advertise the hub in all three formats and in Link
// headers; after a data change, only the feeds readers poll whose
// content changed are announced, in one ping; no change, no ping.
func TestWebSub(t *testing.T) {
	hub := newHub(t)
	f := newClockFixture(t, func(c *Config) { c.WebSubHub = hub.URL + "/hub" })
	f.hf.HideNewest(1)
	f.loaded(t)
	self := "http://paperfeed.test/feed.rss?q=agents"
	resp, body := f.get(t, "/feed.rss?q=agents")
	if links := resp.Header.Values("Link"); len(links) != 2 || links[0] != "<"+hub.URL+`/hub>; rel="hub"` || links[1] != "<"+self+`>; rel="self"` {
		t.Errorf("Link headers %q", links)
	}
	if !strings.Contains(string(body), `<atom:link href="`+hub.URL+`/hub" rel="hub"></atom:link>`) {
		t.Errorf("RSS lacks the hub link: %.600s", body)
	}
	_, atom := f.get(t, "/feed.atom?q=agents")
	_, jsonf := f.get(t, "/feed.json?q=agents")
	if !strings.Contains(string(atom), `<link href="`+hub.URL+`/hub" rel="hub"></link>`) || !strings.Contains(string(jsonf), `"hubs": [`) {
		t.Errorf("Atom or JSON Feed lacks the hub:\n%.800s\n%.600s", atom, jsonf)
	}
	if fd := parseFeed(t, string(body)); fd.FeedLink != self && fd.FeedLink != "" {
		t.Errorf("gofeed reads the self link as %q", fd.FeedLink)
	}
	f.poll(t, "/feed.rss?q=agents", "/feed.atom?q=agents", "/feed.json?q=agents", "/feed.rss?q=zzqqxx")
	f.publish()
	if _, n := hub.got(); n != 0 {
		t.Fatalf("pinged without a change: %d pings", n)
	}
	f.hf.HideNewest(0) // a new listing day: the agents feed gains papers; the empty feed stays empty
	f.loaded(t)
	f.publish()
	f.publish()
	pings, _ := hub.got()
	if len(pings) != 1 || pings[0].Get("hub.mode") != "publish" || len(pings[0]["hub.url"]) != 3 {
		t.Fatalf("pings %v, want one publish naming the three formats' agents feeds", pings)
	}
	for _, u := range pings[0]["hub.url"] {
		if !strings.HasPrefix(u, "http://paperfeed.test/feed.") || !strings.HasSuffix(u, "?q=agents") {
			t.Errorf("announced %q", u)
		}
	}
}

// Tracking is by polls, not first come, first served: 2,000 junk URLs
// asked for once (the whole tracking table, on the old code) do not keep
// a feed readers poll from being announced, and are not tracked.
func TestWebSubTracksWhatReadersPoll(t *testing.T) {
	hub := newHub(t)
	f := newClockFixture(t, func(c *Config) { c.WebSubHub = hub.URL })
	f.hf.HideNewest(1)
	f.loaded(t)
	for i := range websubTracked {
		if resp, _ := f.get(t, fmt.Sprintf("/feed.rss?q=-zz%d&limit=1", i)); resp.StatusCode != 200 {
			t.Fatalf("junk %d: %d", i, resp.StatusCode)
		}
	}
	f.poll(t, "/feed.rss?q=agents")
	w := f.app.HTTP.websub
	w.mu.Lock()
	tracked := len(w.track.feeds)
	w.mu.Unlock()
	if tracked != 1 {
		t.Errorf("%d feeds tracked, want 1 (the one polled twice)", tracked)
	}
	f.publish()
	f.hf.HideNewest(0)
	f.loaded(t)
	f.publish()
	pings, _ := hub.got()
	if len(pings) != 1 || len(pings[0]["hub.url"]) != 1 || pings[0].Get("hub.url") != "http://paperfeed.test/feed.rss?q=agents" {
		t.Fatalf("pings %v, want one announcing the polled feed", pings)
	}
}

// A full table of feeds polled a little does not keep out a feed polled
// a lot: the per-change checks go to the feeds polled most; and the
// checks themselves do not keep a feed tracked: a week without a poll
// drops it, however many data changes it was checked at.
func TestWebSubRanksByPollsAndForgetsUnpolled(t *testing.T) {
	hub := newHub(t)
	f := newClockFixture(t, func(c *Config) { c.WebSubHub = hub.URL })
	f.loaded(t)
	w := f.app.HTTP.websub
	for range 20 { // a reader polling hourly for most of a day
		f.get(t, "/feed.rss?q=agents")
		f.advance(time.Hour)
	}
	w.mu.Lock()
	for i := range websubTracked { // twice-polled others fill the table
		w.track.poll(fmt.Sprintf("http://paperfeed.test/feed.rss?q=-zz%d", i), `"x"`, nil, f.clock())
		w.track.poll(fmt.Sprintf("http://paperfeed.test/feed.rss?q=-zz%d", i), `"x"`, nil, f.clock().Add(time.Minute))
	}
	_, kept := w.track.feeds["http://paperfeed.test/feed.rss?q=agents"]
	due := w.track.due(f.clock(), 1)
	w.mu.Unlock()
	if !kept || len(due) != 1 || due[0].self != "http://paperfeed.test/feed.rss?q=agents" {
		t.Fatalf("the feed polled 20 times: kept %v, first to check %v", kept, due)
	}
	for range 8 { // a check a day, no reader
		f.advance(24 * time.Hour)
		f.publish()
	}
	w.mu.Lock()
	_, kept = w.track.feeds["http://paperfeed.test/feed.rss?q=agents"]
	n := len(w.track.feeds)
	w.mu.Unlock()
	if kept || n != 0 {
		t.Errorf("after 8 days without a poll: the feed kept %v, %d tracked", kept, n)
	}
}

// A hub that refuses (429 with Retry-After) is left alone until then:
// one refused ping, not one per batch; what it refused is announced once
// it accepts, with no data change needed.
func TestWebSubBacksOffWhenTheHubRefuses(t *testing.T) {
	hub := newHub(t)
	hub.answer = func(n int, w http.ResponseWriter) {
		if n == 0 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	f := newClockFixture(t, func(c *Config) { c.WebSubHub = hub.URL })
	f.hf.HideNewest(1)
	f.loaded(t)
	var paths []string
	for _, ext := range []string{"rss", "atom", "json"} {
		for _, q := range []string{"", "q=agents", "q=model", "min_upvotes=1", "sort=upvotes", "q=learning", "limit=50", "q=language", "q=data"} {
			paths = append(paths, "/feed."+ext+"?"+q)
		}
	}
	f.poll(t, paths...) // 27 feeds: two batches
	f.publish()
	f.hf.HideNewest(0)
	f.loaded(t)
	f.publish()
	if _, n := hub.got(); n != 1 {
		t.Fatalf("%d pings after a refusal, want 1", n)
	}
	w := f.app.HTTP.websub
	if at := w.retryAt(); at.Sub(f.clock()) < 119*time.Second {
		t.Errorf("retry at %v, %v from now: want Retry-After's 120 s", at, at.Sub(f.clock()))
	}
	f.advance(time.Minute)
	w.announce(context.Background(), nil, f.clock())
	if _, n := hub.got(); n != 1 {
		t.Fatalf("pinged again before Retry-After: %d pings", n)
	}
	f.advance(61 * time.Second)
	w.announce(context.Background(), nil, f.clock())
	pings, _ := hub.got()
	announced := map[string]int{}
	for _, p := range pings[1:] {
		for _, u := range p["hub.url"] {
			announced[u]++
		}
	}
	if len(pings) != 3 || !w.retryAt().IsZero() {
		t.Errorf("%d pings, queue waiting until %v; want the refused batch and the rest in two", len(pings), w.retryAt())
	}
	changed := 0
	for _, u := range pings[0]["hub.url"] {
		if announced[u] != 1 {
			t.Errorf("%s refused, then announced %d times", u, announced[u])
		}
		changed++
	}
	if changed != websubBatch {
		t.Errorf("the refused ping named %d feeds", changed)
	}
}
