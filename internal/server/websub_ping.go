package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"paperfeed/scrape"
)

// Announcing to the hub (see websub.go): changed feeds wait in a queue,
// go in pings of websubBatch, and stay queued while the hub refuses or
// fails, until it takes them.
const (
	websubBatch        = 20
	websubRefusedWait  = time.Minute      // a 429 or 503 that names no Retry-After
	websubMaxWait      = time.Hour        // the longest a Retry-After is honoured
	websubFirstBackoff = 30 * time.Second // after another failure, doubling
	websubMaxBackoff   = 30 * time.Minute
	websubMaxPending   = websubTracked
)

// announceQueue is what is left to announce and when the hub may be
// asked again. Guarded by websub's mutex.
type announceQueue struct {
	order   []string // the feeds to announce, oldest first
	pending map[string]bool
	hold    time.Time     // no ping before
	backoff time.Duration // the last failure's wait (0: the last ping worked)
}

// announce queues the feeds that changed and pings the hub with what is
// queued, unless it asked to wait.
func (w *websub) announce(ctx context.Context, changed []string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := &w.queue
	if q.pending == nil {
		q.pending = map[string]bool{}
	}
	for _, u := range changed {
		if !q.pending[u] {
			q.pending[u] = true
			q.order = append(q.order, u)
		}
	}
	if over := len(q.order) - websubMaxPending; over > 0 {
		for _, u := range q.order[:over] {
			delete(q.pending, u)
		}
		q.order = slices.Delete(q.order, 0, over)
	}
	for len(q.order) > 0 && !now.Before(q.hold) && ctx.Err() == nil {
		batch := slices.Clone(q.order[:min(len(q.order), websubBatch)])
		w.mu.Unlock()
		wait, err := w.ping(ctx, batch, now)
		w.mu.Lock()
		if err != nil {
			if wait == 0 { // not a refusal: back off
				wait = min(max(2*q.backoff, websubFirstBackoff), websubMaxBackoff)
				q.backoff = wait
			}
			q.hold = now.Add(wait)
			w.log.Warn("WebSub hub ping failed; the feeds stay queued", "feeds", len(batch), "queued", len(q.order), "error", err, "retry_in", wait)
			return
		}
		q.backoff = 0
		for _, u := range batch {
			delete(q.pending, u)
		}
		q.order = slices.DeleteFunc(q.order, func(u string) bool { return !q.pending[u] })
	}
}

// retryAt is when queued feeds wait to be announced (zero: none queued).
func (w *websub) retryAt() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue.order) == 0 {
		return time.Time{}
	}
	return w.queue.hold
}

// ping tells the hub that feeds changed. A refusal (429, 503) returns
// how long the hub asked to wait.
func (w *websub) ping(ctx context.Context, feeds []string, now time.Time) (time.Duration, error) {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": feeds}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hub, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := w.client.Do(req)
	if err != nil {
		w.pings.WithLabelValues("error").Inc()
		return 0, err
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		w.pings.WithLabelValues("ok").Inc()
		w.log.Debug("WebSub hub pinged", "feeds", len(feeds))
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		w.pings.WithLabelValues("refused").Inc()
		wait := scrape.ParseRetryAfter(resp.Header.Get("Retry-After"), now)
		if wait <= 0 {
			wait = websubRefusedWait
		}
		return min(wait, websubMaxWait), fmt.Errorf("hub answered %s", resp.Status)
	}
	w.pings.WithLabelValues("error").Inc()
	return 0, fmt.Errorf("hub answered %s", resp.Status)
}
