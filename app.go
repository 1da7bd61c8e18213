package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/refresh"
	"paperfeed/internal/state"
	"paperfeed/scrape"
)

// app is the serving side of the service: the store the refresh side
// fills, the filter indexes over it, the render cache and what the
// operator sees.
type app struct {
	cfg          Config
	log          *slog.Logger
	access       *accessLog
	now          func() time.Time
	store        *feed.Store
	refresh      *refresh.Service
	metrics      *metrics
	cache        *renderCache
	renders      chan struct{} // bounds concurrent filtering and rendering
	renderFlight singleflight.Group
	topics       []topic
	// feedCacheControl is the feeds' Cache-Control header value.
	feedCacheControl []string

	idxMu      sync.Mutex
	idxVersion uint64
	idx        *filter.Index
	pastIdx    map[string]pastIndex // per past listing and source

	daysMu      sync.Mutex
	daysVersion uint64
	daysSeen    map[time.Time]time.Time // listing day -> when it appeared (digest.go)
}

// newApp wires the store, the refresh side and the caches; logs go to
// logs in the configured format; backend keeps the state across restarts
// (nil: memory only).
func newApp(cfg Config, logs io.Writer, now func() time.Time, backend state.Backend) *app {
	log := newLogger(cfg, logs)
	a := &app{
		cfg:              cfg,
		log:              log,
		access:           newAccessLog(cfg, logs),
		now:              now,
		store:            feed.NewStore(cfg.Days, cfg.ArxivDays, now),
		metrics:          newMetrics(),
		cache:            newRenderCache(cfg.CacheEntries, cfg.CacheMB<<20),
		renders:          make(chan struct{}, cfg.MaxRenders),
		feedCacheControl: feedCacheControl(cfg.Refresh),
		pastIdx:          map[string]pastIndex{},
	}
	client := newUpstreamClient(cfg.Timeout)
	ua := userAgent(cfg.Contact)
	hf := &scrape.HFClient{Base: cfg.HFURL, Token: cfg.HFToken, Fetcher: &scrape.Fetcher{
		Client: client, UserAgent: ua, Timeout: cfg.Timeout, Limiter: newLimiter(cfg.HFInterval, cfg.RefreshPast, now),
	}}
	if cfg.HFAPI {
		// The API has a rate bucket of its own (5x the pages'): its own
		// limiter, the same spacing.
		hf.API = &scrape.Fetcher{Client: client, UserAgent: ua, Timeout: cfg.Timeout, Limiter: newLimiter(cfg.HFInterval, cfg.RefreshPast, now)}
	}
	arxiv := &scrape.ArxivClient{RSSBase: cfg.ArxivRSSURL, APIURL: cfg.ArxivAPIURL, Fetcher: &scrape.Fetcher{
		Client: client, UserAgent: ua, Timeout: cfg.Timeout,
		Limiter: newLimiter(cfg.ArxivInterval, cfg.RefreshPast, now), // one limiter for all arXiv hosts
	}}
	a.refresh = refresh.New(refresh.Config{
		Refresh: cfg.Refresh, RefreshPast: cfg.RefreshPast, Days: cfg.Days, ArxivDays: cfg.ArxivDays,
		ArxivCategories: cfg.ArxivCategories, ArxivRefresh: cfg.ArxivRefresh, Timeout: cfg.Timeout,
		PastWait: cfg.pastWait, Retention: cfg.Retention, Lease: cfg.RedisLease, FallbackLocal: cfg.RedisFallback == "local",
	}, a.store, backend, hf, arxiv, a.metrics, log, now, a.warmIndex)
	a.metrics.watchCluster(a.refresh)
	return a
}

// isReady: the default feed (Hugging Face) can be served.
func (a *app) isReady() bool { return a.refresh.Loaded(feed.SourceHF).Done() }

// notLoaded is the answer to a feed whose source has not loaded yet:
// what is happening or what failed, when the next attempt is, and where
// to look; and how long the reader should wait (until that attempt).
func notLoaded(source string, st refresh.SourceState, now time.Time) (string, time.Duration) {
	name := "Hugging Face"
	if source == feed.SourceArxiv {
		name = "arXiv"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no data loaded yet from %s: ", name)
	switch {
	case st.Fetching || st.LastAttempt.IsZero():
		fmt.Fprintf(&b, "the first fetch from %s is still running", name)
	case st.LastError != "":
		fmt.Fprintf(&b, "the fetch from %s failed at %s UTC: %s", name, st.LastErrorAt.UTC().Format(time.TimeOnly), st.LastError)
	default:
		fmt.Fprintf(&b, "the fetch from %s brought no data", name)
	}
	retry := 10 * time.Second
	if next := st.NextFetch; next.After(now) {
		retry = next.Sub(now).Round(time.Second) + time.Second
		fmt.Fprintf(&b, "; the next attempt is at %s UTC (in %s)", next.UTC().Format(time.TimeOnly), next.Sub(now).Round(time.Second))
	}
	b.WriteString("; see /status for every source")
	return b.String(), min(retry, maxClientRetryAfter)
}

// warmIndex builds the filter index of the current view after a
// refresh, so no request waits for it. (Its similarity vectors are built
// on the first like= query: about 0.2 s and 10 MB for 5,000 papers,
// which an instance nobody asks for similar papers should not pay.)
func (a *app) warmIndex() { a.index(a.store.View()) }

// index returns the filter index of the current view, built once per
// view version.
func (a *app) index(v *feed.View) *filter.Index {
	a.idxMu.Lock()
	defer a.idxMu.Unlock()
	if a.idx == nil || a.idxVersion != v.Version {
		a.idx, a.idxVersion = a.newIndex(v.Papers), v.Version
	}
	return a.idx
}

// newIndex indexes papers with the recorded history of their counts.
func (a *app) newIndex(papers []*feed.Paper) *filter.Index {
	ix := filter.NewIndex(papers)
	h := filter.History{}
	for _, p := range papers {
		if !p.OnHF {
			continue // counts are HF's
		}
		if pts, err := a.refresh.History(p.ID); err == nil && len(pts) > 0 {
			h[p.ID] = pts
		}
	}
	ix.SetHistory(h)
	return ix
}

// pastIndex is what a past listing is filtered over, for one source:
// its own index, or (source=all, a listing the view holds whole) the
// view's index with a mask of the listing's papers and the arXiv papers
// of its days, which costs no second index of thousands of papers.
type pastIndex struct {
	version uint64    // the store view it merged
	fetched time.Time // the fetch it was built from
	ix      *filter.Index
	mask    *filter.Mask // nil: all of ix
	stamp   string
}

// maxPastIndexes bounds the past-listing indexes kept; all are dropped
// when it is reached (each is rebuilt on its next request).
const maxPastIndexes = 256

// papersFor picks the papers a query filters: the rolling window, or a
// past listing (date, week, month) fetched from Hugging Face on demand.
// stamp identifies the data version for the render cache; q is kept to
// the listing's part of the index when the index holds more.
func (a *app) papersFor(ctx context.Context, q *filter.Query, v *feed.View) (ix *filter.Index, stamp string, err error) {
	stamp = strconv.FormatUint(v.Version, 10)
	period := q.Period()
	if period == "" || q.Source == feed.SourceArxiv {
		return a.index(v), stamp, nil
	}
	from, to := q.PeriodRange()
	if from.Equal(to) && slices.ContainsFunc(v.HFDays, from.Equal) {
		return a.index(v), stamp, nil
	}
	fetched, err := a.refresh.Past().Ensure(ctx, period, from, to)
	if err != nil {
		return nil, "", err
	}
	k := period + "|" + q.Source
	a.idxMu.Lock()
	pi, ok := a.pastIdx[k]
	a.idxMu.Unlock()
	if !ok || pi.version != v.Version || !pi.fetched.Equal(fetched) {
		pi = a.newPastIndex(q.Source, period, from, to, v, fetched)
		a.idxMu.Lock()
		if len(a.pastIdx) >= maxPastIndexes {
			clear(a.pastIdx)
		}
		a.pastIdx[k] = pi
		a.idxMu.Unlock()
	}
	if pi.mask != nil {
		*q = q.Within(pi.mask)
	}
	return pi.ix, pi.stamp, nil
}

// newPastIndex builds what a past listing is filtered over.
func (a *app) newPastIndex(source, period string, from, to time.Time, v *feed.View, fetched time.Time) pastIndex {
	pi := pastIndex{version: v.Version, fetched: fetched,
		stamp: strconv.FormatUint(v.Version, 10) + "/" + strconv.FormatInt(fetched.UnixNano(), 36)}
	hf, _ := a.store.Period(period)
	if source != filter.SourceAll {
		pi.ix = a.newIndex(hf)
		return pi
	}
	// The listing plus the arXiv papers of its days.
	inDays := func(p *feed.Paper) bool { return p.OnArxiv && !p.Day().Before(from) && !p.Day().After(to) }
	listed := make(map[string]bool, len(hf))
	whole := true
	for _, p := range hf {
		listed[p.ID] = true
		whole = whole && v.ByID[p.ID] != nil
	}
	if whole { // the view holds the listing: its index, masked
		pi.ix = a.index(v)
		pi.mask = pi.ix.Mask(func(p *feed.Paper) bool { return listed[p.ID] || inDays(p) })
		return pi
	}
	papers := slices.Clone(hf) // neither append nor sort touches the store's slice
	for _, p := range v.Papers {
		if !listed[p.ID] && inDays(p) {
			papers = append(papers, p)
		}
	}
	feed.SortPapers(papers)
	pi.ix = a.newIndex(papers)
	return pi
}

func (a *app) today() time.Time { return feed.DayOf(a.now()) }

// filterOptions are the facts queries are validated against now.
func (a *app) filterOptions(v *feed.View) filter.Options {
	o := filter.Options{Today: a.today(), Earliest: feed.FirstListing, MaxDays: max(a.cfg.Days, a.cfg.ArxivDays)}
	for _, days := range [][]time.Time{v.HFDays, v.ArxivDays} {
		if n := len(days); n > 0 && (o.Oldest.IsZero() || days[n-1].Before(o.Oldest)) {
			o.Oldest = days[n-1]
		}
	}
	return o
}

// feedCacheControl: fresh for half the refresh interval, then served
// stale while revalidating for a whole interval.
func feedCacheControl(refresh time.Duration) []string {
	maxAge := int(refresh.Seconds() / 2)
	return []string{"public, max-age=" + strconv.Itoa(maxAge) + ", stale-while-revalidate=" + strconv.Itoa(int(refresh.Seconds()))}
}

// newLimiter spaces one upstream's requests and holds them all while it
// asks to slow down, at most maxWait (-refresh-past) at a time, on the
// service's clock.
func newLimiter(interval, maxWait time.Duration, now func() time.Time) *scrape.Limiter {
	l := scrape.NewLimiter(interval)
	l.MaxBackoff, l.Now = maxWait, now
	return l
}

// newUpstreamClient is the HTTP client of every upstream request.
func newUpstreamClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment // HTTPS_PROXY, NO_PROXY
	t.MaxConnsPerHost = 1               // one connection at a time per upstream
	t.ResponseHeaderTimeout = timeout
	return &http.Client{Transport: t, Timeout: timeout, CheckRedirect: keepCredentialsHome}
}

// keepCredentialsHome follows at most 5 redirects and drops the
// Authorization header (the Hugging Face token) when one leads to
// another host or port: Go's client keeps it for the same host name on
// another port.
func keepCredentialsHome(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return fmt.Errorf("stopped after %d redirects", len(via))
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		req.Header.Del("Authorization")
	}
	return nil
}

func userAgent(contact string) string {
	if contact == "" {
		contact = "self-hosted instance, operator contact not configured"
	}
	return "paperfeed/" + version + " (feed server; " + contact + ")"
}
