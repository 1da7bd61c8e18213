package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// WebSub: feeds advertise the hub in all three formats and in Link
// headers; after a data change, only the feeds readers asked for whose
// content changed are announced, in one ping; no change, no ping.
func TestWebSub(t *testing.T) {
	var mu sync.Mutex
	var pings []url.Values
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(b))
		mu.Lock()
		pings = append(pings, v)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hub.Close()
	f := newFixture(t, func(c *Config) { c.WebSubHub = hub.URL + "/hub" })
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
	handler := f.app.Handler()
	w := f.app.HTTP.websub
	w.publish(t.Context(), handler, time.Now())
	if len(pings) != 0 {
		t.Fatalf("pinged without a change: %v", pings)
	}
	f.hf.HideNewest(0) // a new listing day: the agents feed gains papers
	f.loaded(t)
	w.publish(t.Context(), handler, time.Now())
	w.publish(t.Context(), handler, time.Now())
	mu.Lock()
	defer mu.Unlock()
	if len(pings) != 1 || pings[0].Get("hub.mode") != "publish" || len(pings[0]["hub.url"]) != 3 {
		t.Fatalf("pings %v, want one publish naming the three formats' feeds", pings)
	}
	for _, u := range pings[0]["hub.url"] {
		if !strings.HasPrefix(u, "http://paperfeed.test/feed.") || !strings.HasSuffix(u, "?q=agents") {
			t.Errorf("announced %q", u)
		}
	}
}
