package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/engine"
)

// WebSub (-websub-hub): every public feed advertises the hub (rel="hub"
// and rel="self" in the document and in Link headers); after a data
// change the feeds readers poll are checked and those whose ETag changed
// are announced to the hub. Personal feeds are not announced (their
// address is their key). The rules:
//
//   - Tracked are the feeds readers poll (websub_track.go): a URL counts
//     once it is asked for in two polls at least a minute apart, and
//     feeds are ranked by their polls, each weighing half as much a day
//     later. At most websubTracked are tracked (a newcomer takes the
//     place of the weakest only when it weighs more), at most
//     websubPerRun checked per data change, the most polled first; a
//     feed not polled for a week is dropped. The checks themselves are
//     not polls.
//   - A check is cheap when it can be (engine.Unchanged): a window feed
//     none of whose papers changed, and which no changed paper can join,
//     keeps its ETag without a render. The others are rendered through
//     the handler, and kept in the render cache for the hub's fetch and
//     the readers' next polls. Every tracked feed is rendered at least
//     every websubFullEvery.
//   - Announcements (websub_ping.go) go in publish pings of up to
//     websubBatch feeds. A hub that refuses (429 or 503) is left alone
//     for its Retry-After (a minute when it names none, at most an hour);
//     any other failure backs off, doubling from 30 s to 30 minutes. What
//     was refused is kept and announced when the hub takes it again.
//   - The checks wait for the data to settle: websubSettle after the last
//     change, at most websubSettleMax after the first.
//   - Each replica announces the feeds its own readers poll; a hub takes
//     a repeated ping as one.
const (
	websubPerRun     = 500
	websubFullEvery  = time.Hour
	websubSettle     = 5 * time.Second
	websubSettleMax  = time.Minute
	websubCheckAgent = "paperfeed-websub-check"
)

type websub struct {
	hub    string
	client *http.Client
	log    *slog.Logger
	engine *engine.Engine
	pings  *prometheus.CounterVec
	checks *prometheus.CounterVec

	mu    sync.Mutex
	track tracker
	queue announceQueue
	view  *feed.View // the data the last check read
}

// feedFacts are what a render of a public feed read, kept with it, so
// that a later check can tell whether the feed can have changed without
// rendering it (engine.Unchanged).
type feedFacts struct {
	version   uint64       // the data version it was made from
	query     filter.Query // the plan's query, seeds resolved
	aliasable bool         // its data is the view alone (no clock, past listing or digest)
	ids       []string     // its items' papers
}

func newWebSub(hub string, log *slog.Logger, m *metrics, e *engine.Engine) *websub {
	w := &websub{hub: hub, client: &http.Client{Timeout: 15 * time.Second}, log: log, engine: e, track: newTracker(),
		pings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperfeed_websub_pings_total", Help: "Publish pings to the WebSub hub by outcome (ok, refused: 429 or 503, error), each naming up to 20 feeds.",
		}, []string{"outcome"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperfeed_websub_checks_total", Help: "Tracked feeds checked after a data change: unchanged (known without a render) or rendered.",
		}, []string{"result"}),
	}
	m.reg.MustRegister(w.pings, w.checks,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_websub_tracked", Help: "Feeds tracked for WebSub (polled by readers)."},
			func() float64 { w.mu.Lock(); defer w.mu.Unlock(); return float64(len(w.track.feeds)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_websub_pending", Help: "Changed feeds not yet announced (the hub refused or failed)."},
			func() float64 { w.mu.Lock(); defer w.mu.Unlock(); return float64(len(w.queue.order)) }))
	return w
}

// links are the Link header values of a feed.
func (w *websub) links(self string) []string {
	return []string{"<" + w.hub + `>; rel="hub"`, "<" + self + `>; rel="self"`}
}

// checkKey marks a check's request; its value receives what was served.
type checkKey struct{}

type checkResult struct {
	etag  string
	facts *feedFacts
}

// isCheck reports whether ctx is a WebSub check's request.
func isCheck(ctx context.Context) bool { _, ok := ctx.Value(checkKey{}).(*checkResult); return ok }

// note records a feed served: for a reader, a poll; for a check, its
// result.
func (w *websub) note(ctx context.Context, rr *rendered, now time.Time) {
	if res, ok := ctx.Value(checkKey{}).(*checkResult); ok {
		res.etag, res.facts = rr.etag, rr.facts
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.track.poll(rr.self, rr.etag, rr.facts, now)
}

// publish checks the feeds polled most and announces those that changed
// (and those refused before).
func (w *websub) publish(ctx context.Context, h http.Handler, now time.Time) {
	view := w.engine.View()
	w.mu.Lock()
	todo := w.track.due(now, websubPerRun)
	last := w.view
	w.mu.Unlock()
	var changes *engine.Changes
	if last != nil && last.Version != view.Version {
		changes = w.engine.Changes(last, view)
	}
	var changed []string
	for _, c := range todo {
		if ctx.Err() != nil {
			return
		}
		if f := c.facts; f != nil && last != nil && f.version == last.Version && f.aliasable && now.Sub(c.full) < websubFullEvery &&
			(changes == nil || w.engine.Unchanged(ctx, changes, f.query, f.ids)) {
			kept := *f
			kept.version = view.Version
			w.update(c.self, func(t *watched) { t.facts = &kept })
			w.checks.WithLabelValues("unchanged").Inc()
			continue
		}
		w.checks.WithLabelValues("rendered").Inc()
		res, ok := w.check(ctx, h, c.self)
		if !ok {
			continue
		}
		if res.etag != c.etag {
			changed = append(changed, c.self)
		}
		w.update(c.self, func(t *watched) { t.etag, t.facts, t.full = res.etag, res.facts, now })
	}
	w.mu.Lock()
	w.view = view
	w.mu.Unlock()
	w.announce(ctx, changed, now)
}

// update changes a tracked feed's entry, if it is still tracked.
func (w *websub) update(self string, f func(t *watched)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if t := w.track.feeds[self]; t != nil {
		f(t)
	}
}

// check renders a feed through the handler, as a reader would get it.
func (w *websub) check(ctx context.Context, h http.Handler, self string) (checkResult, bool) {
	res := &checkResult{}
	req := httptest.NewRequestWithContext(context.WithValue(ctx, checkKey{}, res), http.MethodGet, self, nil)
	req.Header.Set("User-Agent", websubCheckAgent)
	rw := &headersOnly{h: http.Header{}}
	h.ServeHTTP(rw, req)
	if rw.code != http.StatusOK || res.etag == "" {
		return *res, false
	}
	return *res, true
}

// headersOnly is a ResponseWriter that keeps the status and drops the
// body: a check needs the ETag, not the bytes.
type headersOnly struct {
	h    http.Header
	code int
}

func (d *headersOnly) Header() http.Header { return d.h }
func (d *headersOnly) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	return len(p), nil
}
func (d *headersOnly) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}

// loop checks after the data changed and settled, and retries refused
// announcements when the hub allows, until ctx ends.
func (w *websub) loop(ctx context.Context, changed <-chan struct{}, h http.Handler, now func() time.Time) {
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	var first time.Time // the first change not checked yet
	for {
		select {
		case <-ctx.Done():
			settle.Stop()
			retry.Stop()
			return
		case <-changed:
			if first.IsZero() {
				first = time.Now()
			}
			settle.Reset(min(websubSettle, max(0, websubSettleMax-time.Since(first))))
			continue
		case <-settle.C:
			first = time.Time{}
			w.publish(ctx, h, now())
		case <-retry.C:
			w.announce(ctx, nil, now())
		}
		if at := w.retryAt(); !at.IsZero() {
			retry.Reset(max(0, at.Sub(now())))
		}
	}
}
