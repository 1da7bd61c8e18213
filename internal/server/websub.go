package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WebSub (-websub-hub): every public feed advertises the hub (rel="hub"
// and rel="self" in the document and in Link headers), and after a data
// change the feeds readers asked for in the last week are rendered again
// through the handler; those whose ETag changed are announced to the hub
// in one publish ping per batch. Personal feeds are not announced (their
// address is their key).
//
//   - At most websubTracked feed URLs are tracked (the first asked
//     win), and at most websubPerRun checked per data change.
//   - Each replica announces the feeds its own readers asked for; a hub
//     takes a repeated ping as one.

const (
	websubTracked = 2000
	websubPerRun  = 500
	websubBatch   = 20
	websubWindow  = 7 * 24 * time.Hour
)

type websub struct {
	hub    string
	client *http.Client
	log    *slog.Logger
	pings  *prometheus.CounterVec

	mu    sync.Mutex
	feeds map[string]*watched // self URL -> what was served
}

type watched struct {
	etag  string
	asked time.Time
}

func newWebSub(hub string, log *slog.Logger, m *metrics) *websub {
	w := &websub{hub: hub, client: &http.Client{Timeout: 15 * time.Second}, log: log, feeds: map[string]*watched{},
		pings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperfeed_websub_pings_total", Help: "Publish pings to the WebSub hub by outcome (ok, error), each naming up to 20 feeds.",
		}, []string{"outcome"})}
	m.reg.MustRegister(w.pings)
	return w
}

// links are the Link header values of a feed.
func (w *websub) links(self string) []string {
	return []string{"<" + w.hub + `>; rel="hub"`, "<" + self + `>; rel="self"`}
}

// note records that a reader asked for the feed self, served as etag.
func (w *websub) note(self, etag string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.feeds[self]
	if f == nil {
		if len(w.feeds) >= websubTracked {
			return
		}
		f = &watched{etag: etag}
		w.feeds[self] = f
	}
	f.asked = now
}

// publish renders the feeds asked for lately through h and pings the hub
// with those that changed.
func (w *websub) publish(ctx context.Context, h http.Handler, now time.Time) {
	type check struct{ self, etag string }
	var todo []check
	w.mu.Lock()
	for self, f := range w.feeds {
		if now.Sub(f.asked) > websubWindow {
			delete(w.feeds, self)
			continue
		}
		if len(todo) < websubPerRun {
			todo = append(todo, check{self, f.etag})
		}
	}
	w.mu.Unlock()
	var changed []string
	for _, c := range todo {
		if ctx.Err() != nil {
			return
		}
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, c.self, nil)
		req.Header.Set("User-Agent", "paperfeed-websub-check")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		etag := rec.Header().Get("Etag")
		if rec.Code != http.StatusOK || etag == "" || etag == c.etag {
			continue
		}
		changed = append(changed, c.self)
		w.mu.Lock()
		if f := w.feeds[c.self]; f != nil {
			f.etag = etag
		}
		w.mu.Unlock()
	}
	for len(changed) > 0 {
		n := min(len(changed), websubBatch)
		w.ping(ctx, changed[:n])
		changed = changed[n:]
	}
}

// ping tells the hub that feeds changed.
func (w *websub) ping(ctx context.Context, feeds []string) {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": feeds}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hub, strings.NewReader(form.Encode()))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := w.client.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			err = &url.Error{Op: "POST", URL: w.hub, Err: httpStatusError(resp.Status)}
		}
	}
	if err != nil {
		w.pings.WithLabelValues("error").Inc()
		w.log.Warn("WebSub hub ping failed", "feeds", len(feeds), "error", err)
		return
	}
	w.pings.WithLabelValues("ok").Inc()
	w.log.Debug("WebSub hub pinged", "feeds", len(feeds))
}

type httpStatusError string

func (e httpStatusError) Error() string { return "hub answered " + string(e) }

// loop publishes after every data change until ctx ends.
func (w *websub) loop(ctx context.Context, changed <-chan struct{}, h http.Handler, now func() time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
			w.publish(ctx, h, now())
		}
	}
}
