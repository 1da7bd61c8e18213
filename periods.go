package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/scrape"
)

// errBudget means on-demand fetching of past listings is paused because
// the recent request budget toward Hugging Face is used up.
var errBudget = errors.New("too many past listings requested recently; try again shortly")

// errPending means a past listing is being fetched but has not arrived
// within pastWait; the fetch goes on in the background.
var errPending = errors.New("fetching that listing from Hugging Face; try again in a few seconds")

// pastWait is how long a request waits for a past listing being fetched
// before it is answered 503 (the fetch goes on).
const pastWait = 3 * time.Second

// periodLoader serves listings outside the rolling window (date=, week=,
// month=) from Hugging Face's own day, week and month pages. A listing is
// fetched on first demand (one fetch however many requests wait for it),
// kept, refreshed in the background when stale, and served stale when a
// refresh fails. Memory is bounded by maxHeld listings, and upstream
// load by a token bucket.
type periodLoader struct {
	a       *app
	maxHeld int
	wait    time.Duration // how long a request waits for a fetch (pastWait)

	mu        sync.Mutex
	fetched   map[string]time.Time // when each held listing was fetched
	attempted map[string]time.Time // when each listing was last asked for
	tokens    float64
	lastTok   time.Time
	// indexes keeps the filter index of each held listing (per source),
	// so requests for it do not rebuild one.
	indexes map[string]periodIndex
}

type periodIndex struct {
	version uint64    // the store view it merged
	fetched time.Time // the fetch it was built from
	ix      *filter.Index
	stamp   string
}

const (
	periodBurst    = 20
	periodRefill   = 15 * time.Second // one token per
	periodPastTTL  = 24 * time.Hour
	periodMaxHeld  = 64
	periodStoreTTL = 7 * 24 * time.Hour
	periodRetry    = time.Minute // least spacing of refresh attempts of one listing
)

func newPeriodLoader(a *app) *periodLoader {
	return &periodLoader{a: a, maxHeld: periodMaxHeld, wait: pastWait, fetched: map[string]time.Time{}, attempted: map[string]time.Time{}, tokens: periodBurst, indexes: map[string]periodIndex{}}
}

// index returns the filter index of a past listing for a source (hf, or
// all: the listing plus the arXiv papers of those days), and a stamp of
// its data for the render cache. It is rebuilt only when the listing was
// refetched or the store's view changed.
func (l *periodLoader) index(ctx context.Context, key string, from, to time.Time, source string, v *feed.View) (*filter.Index, string, error) {
	if err := l.ensure(ctx, key, from, to); err != nil {
		return nil, "", err
	}
	l.mu.Lock()
	fetched := l.fetched[key]
	pi, ok := l.indexes[key+"|"+source]
	l.mu.Unlock()
	if ok && pi.version == v.Version && pi.fetched.Equal(fetched) {
		return pi.ix, pi.stamp, nil
	}
	hf, _ := l.a.store.Period(key)
	papers := hf
	if source == filter.SourceAll {
		seen := make(map[string]bool, len(hf))
		for _, p := range hf {
			seen[p.ID] = true
		}
		for _, p := range v.Papers {
			if !seen[p.ID] && p.OnArxiv && !p.Day().Before(from) && !p.Day().After(to) {
				papers = append(papers, p)
			}
		}
		feed.SortPapers(papers)
	}
	pi = periodIndex{version: v.Version, fetched: fetched, ix: filter.NewIndex(papers),
		stamp: strconv.FormatUint(v.Version, 10) + "/" + strconv.FormatInt(fetched.UnixNano(), 36)}
	l.mu.Lock()
	if _, held := l.fetched[key]; held {
		l.indexes[key+"|"+source] = pi
	}
	l.mu.Unlock()
	return pi.ix, pi.stamp, nil
}

// ensure makes sure the listing for key ("day/…", "week/…", "month/…")
// is held: fetched now when it is not (one fetch for all who wait),
// refreshed in the background (one refresh) when it is stale.
func (l *periodLoader) ensure(ctx context.Context, key string, from, to time.Time) error {
	load := func() (any, error) { return l.load(context.WithoutCancel(ctx), key, from) }
	if l.held(key) {
		if l.stale(key, to) {
			go func() { _, _, _ = l.a.flight.Do("period/"+key, load) }()
		}
		return nil
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case res := <-l.a.flight.DoChan("period/"+key, load):
		return res.Err
	case <-t.C:
		return errPending
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *periodLoader) held(key string) bool {
	l.mu.Lock()
	_, fetched := l.fetched[key]
	l.mu.Unlock()
	if !fetched {
		return false
	}
	return l.a.store.HasPeriod(key)
}

func (l *periodLoader) stale(key string, to time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ttl := periodPastTTL
	if !to.Before(l.a.today().AddDate(0, 0, -1)) {
		ttl = l.a.cfg.Refresh // a period still being published
	}
	now := l.a.now()
	// A failed refresh is not retried by every request that follows.
	return now.Sub(l.fetched[key]) > ttl && now.Sub(l.attempted[key]) > periodRetry
}

func (l *periodLoader) take() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.a.now()
	if !l.lastTok.IsZero() {
		l.tokens = min(periodBurst, l.tokens+now.Sub(l.lastTok).Seconds()/periodRefill.Seconds())
	}
	l.lastTok = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

func (l *periodLoader) load(ctx context.Context, key string, from time.Time) (any, error) {
	l.mu.Lock()
	l.attempted[key] = l.a.now()
	l.mu.Unlock()
	if !l.take() {
		return nil, errBudget
	}
	ctx, cancel := context.WithTimeout(ctx, l.a.cfg.Timeout+5*time.Second)
	defer cancel()
	li, err := l.a.hf.Period(ctx, key)
	l.a.metrics.upstreamFetch("hf", err)
	if err != nil {
		l.a.log.Warn("past listing fetch failed", "period", key, "error", err)
		return nil, err
	}
	for i := range li.Papers {
		if li.Papers[i].ListedOn.IsZero() {
			li.Papers[i].ListedOn = from
		}
	}
	l.a.store.PutPeriod(key, li.Papers, periodStoreTTL)
	l.mu.Lock()
	l.fetched[key] = l.a.now()
	if len(l.fetched) > l.maxHeld {
		oldest := ""
		for k, t := range l.fetched {
			if oldest == "" || t.Before(l.fetched[oldest]) {
				oldest = k
			}
		}
		delete(l.fetched, oldest)
		delete(l.attempted, oldest)
		for k := range l.indexes {
			if strings.HasPrefix(k, oldest+"|") {
				delete(l.indexes, k)
			}
		}
		l.a.store.DeletePeriod(oldest)
	}
	l.mu.Unlock()
	return nil, nil
}

// maxClientRetryAfter caps the Retry-After passed on to clients.
const maxClientRetryAfter = 15 * time.Minute

// retryAfterFor is the Retry-After of a 503 caused by err: the
// upstream's own (capped), else the budget's refill time, else a few
// seconds while a fetch is under way, else 30 seconds.
func retryAfterFor(err error) time.Duration {
	var he *scrape.HTTPError
	switch {
	case errors.As(err, &he) && he.RetryAfter > 0:
		return min(he.RetryAfter, maxClientRetryAfter)
	case errors.Is(err, errBudget):
		return periodRefill
	case errors.Is(err, errPending):
		return 10 * time.Second
	}
	return 30 * time.Second
}
