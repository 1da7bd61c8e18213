package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// errBudget means on-demand fetching of past listings is paused because
// the recent request budget toward Hugging Face is used up.
var errBudget = errors.New("too many past listings requested recently; try again shortly")

// periodLoader serves listings outside the rolling window (date=, week=,
// month=) from Hugging Face's own day, week and month pages. A listing is
// fetched on first demand (one fetch however many requests wait for it),
// kept, refreshed in the background when stale, and served stale when a
// refresh fails. Memory is bounded by maxHeld listings, and upstream
// load by a token bucket.
type periodLoader struct {
	a       *app
	maxHeld int

	mu      sync.Mutex
	fetched map[string]time.Time // when each held listing was fetched
	tokens  float64
	lastTok time.Time
}

const (
	periodBurst    = 20
	periodRefill   = 15 * time.Second // one token per
	periodPastTTL  = 24 * time.Hour
	periodMaxHeld  = 64
	periodStoreTTL = 7 * 24 * time.Hour
)

func newPeriodLoader(a *app) *periodLoader {
	return &periodLoader{a: a, maxHeld: periodMaxHeld, fetched: map[string]time.Time{}, tokens: periodBurst}
}

// papers returns the listing for key ("day/…", "week/…", "month/…").
func (l *periodLoader) papers(ctx context.Context, key string, from, to time.Time) ([]*feed.Paper, error) {
	held, ok := l.a.store.Period(key)
	if ok {
		if l.stale(key, to) {
			go func() { _, _ = l.load(context.WithoutCancel(ctx), key, from) }()
		}
		return held, nil
	}
	ch := l.a.flight.DoChan("period/"+key, func() (any, error) { return l.load(context.WithoutCancel(ctx), key, from) })
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		held, _ = l.a.store.Period(key)
		return held, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *periodLoader) stale(key string, to time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ttl := periodPastTTL
	if !to.Before(l.a.today().AddDate(0, 0, -1)) {
		ttl = l.a.cfg.Refresh // a period still being published
	}
	return l.a.now().Sub(l.fetched[key]) > ttl
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
		l.a.store.DeletePeriod(oldest)
	}
	l.mu.Unlock()
	return nil, nil
}

// retryAfterFor is the Retry-After of a 503 caused by err: the
// upstream's own, else the budget's refill time, else 30 seconds.
func retryAfterFor(err error) time.Duration {
	var he *scrape.HTTPError
	if errors.As(err, &he) && he.RetryAfter > 0 {
		return he.RetryAfter
	}
	if errors.Is(err, errBudget) {
		return periodRefill
	}
	return 30 * time.Second
}
