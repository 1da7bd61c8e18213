package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/scrape"
)

// app is the running service: the store, the sources that fill it, the
// render cache and what the operator sees.
type app struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	store *feed.Store
	hf    *scrape.HFClient
	arxiv *scrape.ArxivClient
	// The sources; their refreshes run on pollers started by start.
	hfSource    *hfSource
	arxivSource *arxivSource
	enricher    *enricher
	metrics     *metrics
	cache       *renderCache
	renders     chan struct{} // bounds concurrent cache-miss renders
	flight      singleflight.Group

	hfStatus    *sourceStatus
	arxivStatus *sourceStatus

	hfLoaded    *loaded
	arxivLoaded *loaded

	periods *periodLoader
	topics  []topic
	aliases *aliasMap
	cc      []string // the feeds' Cache-Control header value

	idxMu      sync.Mutex
	idxVersion uint64
	idx        *filter.Index
}

// earliestListing is the first Hugging Face Daily Papers day.
var earliestListing = time.Date(2023, 5, 4, 0, 0, 0, 0, time.UTC)

// loaded is closed once a source has loaded data for the first time.
type loaded struct {
	once sync.Once
	ch   chan struct{}
}

func newLoaded() *loaded { return &loaded{ch: make(chan struct{})} }

func (l *loaded) mark() { l.once.Do(func() { close(l.ch) }) }

func (l *loaded) done() bool {
	select {
	case <-l.ch:
		return true
	default:
		return false
	}
}

func (a *app) markReady()      { a.hfLoaded.mark() }
func (a *app) markArxivReady() { a.arxivLoaded.mark() }

// isReady: the default feed (Hugging Face) can be served.
func (a *app) isReady() bool { return a.hfLoaded.done() }

// sourceLoaded reports whether the papers of a feed's source have loaded
// once: arxiv needs arXiv, hf and all need Hugging Face (an all feed
// shows arXiv's papers as soon as they load too).
func (a *app) sourceLoaded(source string) *loaded {
	if source == filter.SourceArxiv {
		return a.arxivLoaded
	}
	return a.hfLoaded
}

// waitReady waits for the first load of a feed's source, at most
// StartupWait. A feed whose source never loaded is a 503, not an empty
// feed a reader would cache.
func (a *app) waitReady(ctx context.Context, source string) bool {
	l := a.sourceLoaded(source)
	if l.done() {
		return true
	}
	t := time.NewTimer(a.cfg.StartupWait)
	defer t.Stop()
	select {
	case <-l.ch:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

func notLoadedMessage(source string) string {
	if source == filter.SourceArxiv {
		return "no arXiv data loaded yet: the first fetch of the arXiv feed has not succeeded"
	}
	return "no data loaded yet: the first fetch from Hugging Face has not succeeded"
}

// warmIndex builds the filter index of the current view after a
// refresh, so no request waits for it.
func (a *app) warmIndex() { a.index(a.store.View()) }

// index returns the filter index of the current view, built once per
// view version.
func (a *app) index(v *feed.View) *filter.Index {
	a.idxMu.Lock()
	defer a.idxMu.Unlock()
	if a.idx == nil || a.idxVersion != v.Version {
		a.idx, a.idxVersion = filter.NewIndex(v.Papers), v.Version
	}
	return a.idx
}

func (a *app) today() time.Time {
	return a.now().UTC().Truncate(24 * time.Hour)
}

// filterOptions are the facts queries are validated against now.
func (a *app) filterOptions(v *feed.View) filter.Options {
	o := filter.Options{Today: a.today(), Earliest: earliestListing, MaxDays: max(a.cfg.Days, a.cfg.ArxivDays)}
	for _, days := range [][]time.Time{v.HFDays, v.ArxivDays} {
		if n := len(days); n > 0 && (o.Oldest.IsZero() || days[n-1].Before(o.Oldest)) {
			o.Oldest = days[n-1]
		}
	}
	return o
}

// cacheControl is the Cache-Control of feeds: fresh for half the refresh
// interval, then served stale while revalidating for a whole interval.
func (a *app) cacheControl() []string {
	maxAge := int(a.cfg.Refresh.Seconds() / 2)
	return []string{"public, max-age=" + strconv.Itoa(maxAge) + ", stale-while-revalidate=" + strconv.Itoa(int(a.cfg.Refresh.Seconds()))}
}

func (a *app) newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment // HTTPS_PROXY, NO_PROXY
	t.MaxConnsPerHost = 1               // one connection at a time per upstream
	t.ResponseHeaderTimeout = a.cfg.Timeout
	return &http.Client{Transport: t, Timeout: a.cfg.Timeout}
}

func (a *app) userAgent() string {
	contact := a.cfg.Contact
	if contact == "" {
		contact = "self-hosted instance, operator contact not configured"
	}
	return "paperfeed/" + version + " (feed server; " + contact + ")"
}
