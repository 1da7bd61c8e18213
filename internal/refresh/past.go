package refresh

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// ErrBudget means on-demand fetching of past listings is paused because
// the recent request budget toward Hugging Face is used up.
var ErrBudget = errors.New("too many past listings requested recently; try again shortly")

// ErrPending means a past listing is being fetched but has not arrived
// within the wait; the fetch goes on in the background.
var ErrPending = errors.New("fetching that listing from Hugging Face; try again in a few seconds")

const (
	pastBurst    = 20
	PastRefill   = 15 * time.Second // one more past listing allowed per
	pastTTL      = 24 * time.Hour   // a closed period's listing is refetched after
	pastMaxHeld  = 64
	pastStoreTTL = 7 * 24 * time.Hour
	pastRetry    = time.Minute // least spacing of refresh attempts of one listing
	// DefaultPastWait is how long a request waits for a past listing
	// being fetched before it is told to come back.
	DefaultPastWait = 3 * time.Second
)

// Past serves listings outside the rolling window (date=, week=,
// month=) from Hugging Face's own day, week and month pages, into the
// store's periods. A listing is fetched on first demand (one fetch
// however many requests wait for it), kept, refreshed in the background
// when stale, and served stale when a refresh fails. Memory is bounded by
// pastMaxHeld listings, and upstream load by a token bucket.
type Past struct {
	client  *scrape.HFClient
	store   *feed.Store
	obs     Observer
	log     *slog.Logger
	now     func() time.Time
	refresh time.Duration // how often a period still being published is refetched
	timeout time.Duration // of one fetch
	wait    time.Duration
	flight  singleflight.Group
	budget  *rate.Limiter
	onLoad  func()           // after a listing was stored
	onEvict func(key string) // after a listing was let go to bound memory
	views   *ListingViews
	loads   atomic.Int64 // listings stored, for caches of what reads them

	remoteMu sync.Mutex
	// remote, when set (a follower replica), asks the leader for a
	// listing not held instead of fetching it.
	remote func(ctx context.Context, key string, from, to time.Time) error

	mu        sync.Mutex
	fetched   map[string]time.Time // when each held listing was fetched
	attempted map[string]time.Time // when each listing was last asked for
	failures  map[string]failure   // the last failed fetch of listings not held
}

// failure is a fetch that failed, and when.
type failure struct {
	at  time.Time
	err error
}

// failedRecently is the error of a listing's fetch that failed less than
// pastRetry ago, if any.
func (p *Past) failedRecently(key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, ok := p.failures[key]
	if !ok || p.now().Sub(f.at) >= pastRetry {
		return nil
	}
	return f.err
}

// Ensure makes sure the listing for key ("day/…", "week/…", "month/…",
// covering from to to) is held: fetched now when it is not (waiting at
// most the past wait, then ErrPending), refreshed in the background
// when stale. It returns when the held listing was fetched, which
// changes with every refetch.
func (p *Past) Ensure(ctx context.Context, key string, from, to time.Time) (time.Time, error) {
	load := func() (any, error) {
		err := p.load(context.WithoutCancel(ctx), key, from)
		if err == nil {
			p.loads.Add(1)
			if p.onLoad != nil {
				p.onLoad() // outside the lock
			}
		}
		return nil, err
	}
	if fetched, ok := p.held(key); ok {
		if p.stale(key, to) {
			go func() { _, _, _ = p.flight.Do(key, load) }()
		}
		return fetched, nil
	}
	if err := p.failedRecently(key); err != nil {
		return time.Time{}, err // a listing that just failed is not asked for again by every reader
	}
	p.remoteMu.Lock()
	remote := p.remote
	p.remoteMu.Unlock()
	if remote != nil {
		return time.Time{}, remote(ctx, key, from, to)
	}
	t := time.NewTimer(p.wait)
	defer t.Stop()
	select {
	case res := <-p.flight.DoChan(key, load):
		if res.Err != nil {
			return time.Time{}, res.Err
		}
		fetched, _ := p.held(key)
		return fetched, nil
	case <-t.C:
		return time.Time{}, ErrPending
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

func (p *Past) held(key string) (time.Time, bool) {
	p.mu.Lock()
	fetched, ok := p.fetched[key]
	p.mu.Unlock()
	return fetched, ok && p.store.HasPeriod(key)
}

func (p *Past) stale(key string, to time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	ttl := pastTTL
	if !to.Before(feed.DayOf(p.now()).AddDate(0, 0, -1)) {
		ttl = p.refresh // a period still being published
	}
	now := p.now()
	// A failed refresh is not retried by every request that follows.
	return now.Sub(p.fetched[key]) > ttl && now.Sub(p.attempted[key]) > pastRetry
}

func (p *Past) load(ctx context.Context, key string, from time.Time) error {
	p.mu.Lock()
	p.attempted[key] = p.now()
	p.mu.Unlock()
	if !p.budget.AllowN(p.now(), 1) {
		return ErrBudget
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout+5*time.Second)
	defer cancel()
	li, err := p.client.Period(ctx, key)
	p.views.Note(key, li, err)
	if err != nil {
		p.log.Warn("past listing fetch failed", "period", key, "error", err)
		p.mu.Lock()
		if len(p.failures) >= 4*pastMaxHeld {
			clear(p.failures)
		}
		p.failures[key] = failure{at: p.now(), err: err}
		p.mu.Unlock()
		return err
	}
	feed.FillListedOn(li.Papers, from)
	p.store.PutPeriod(key, li.Papers, pastStoreTTL)
	p.mu.Lock()
	p.fetched[key] = p.now()
	delete(p.failures, key)
	evicted := ""
	if len(p.fetched) > pastMaxHeld {
		for k, t := range p.fetched {
			if evicted == "" || t.Before(p.fetched[evicted]) {
				evicted = k
			}
		}
		delete(p.fetched, evicted)
		delete(p.attempted, evicted)
	}
	p.mu.Unlock()
	if evicted != "" {
		p.store.DeletePeriod(evicted)
		if p.onEvict != nil {
			p.onEvict(evicted) // nor kept in the state (outside p.mu: the persister reads it)
		}
	}
	return nil
}

func (p *Past) setRemote(f func(ctx context.Context, key string, from, to time.Time) error) {
	p.remoteMu.Lock()
	p.remote = f
	p.remoteMu.Unlock()
}

// Loads counts the listings stored since start: a cache of something
// built from held listings is stale when it changed.
func (p *Past) Loads() int64 { return p.loads.Load() }

// restore remembers a listing restored from the state.
func (p *Past) restore(key string, fetched time.Time) {
	if p.ttl(key) <= 0 && !fetched.IsZero() && p.now().Sub(fetched) >= pastStoreTTL {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fetched[key] = fetched
}

// ttl is how much longer a restored listing fetched at its saved time
// may be kept in memory; 0 drops it.
func (p *Past) ttl(key string) time.Duration {
	p.mu.Lock()
	f, ok := p.fetched[key]
	p.mu.Unlock()
	if !ok {
		return 0
	}
	return max(0, pastStoreTTL-p.now().Sub(f))
}

// fetchedAt is when a held listing was fetched (zero if not held).
func (p *Past) fetchedAt(key string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fetched[key]
}
