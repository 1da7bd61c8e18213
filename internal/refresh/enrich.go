package refresh

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// enricher looks up the arXiv categories of HF papers with the API, in
// batches, once per paper for the life of the process (categories do not
// change). It runs when kicked (after an HF refresh) and retries failed
// look-ups on its next kick.
type enricher struct {
	client *scrape.ArxivClient
	store  *feed.Store
	obs    Observer
	log    *slog.Logger
	kick   chan struct{}
	// onChange runs after categories were stored (rebuilds the index).
	onChange func()
	// onUnknown records an ID the API did not know, and when.
	onUnknown func(id string, t time.Time)

	mu    sync.Mutex
	tried map[string]time.Time // IDs the API answered without, and when
	now   func() time.Time
}

// retryUnknown is how long an ID the API did not know is left alone (a
// new paper can take a day to reach the API; an overloaded API can answer
// empty).
const retryUnknown = 24 * time.Hour

func newEnricher(c *scrape.ArxivClient, s *feed.Store, obs Observer, log *slog.Logger, now func() time.Time) *enricher {
	return &enricher{client: c, store: s, obs: obs, log: log, kick: make(chan struct{}, 1), tried: map[string]time.Time{}, now: now}
}

// poke asks for a run without blocking.
func (e *enricher) poke() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

func (e *enricher) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.kick:
			if err := e.enrich(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("arXiv category look-up failed; will retry", "error", err)
			}
		}
	}
}

// missing lists HF papers without categories, not yet looked up.
func (e *enricher) missing() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for _, p := range e.store.View().Papers {
		if t, tried := e.tried[p.ID]; tried && e.now().Sub(t) < retryUnknown {
			continue
		}
		if p.OnHF && len(p.Categories) == 0 && !e.store.HasCategories(p.ID) {
			ids = append(ids, p.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func (e *enricher) enrich(ctx context.Context) error {
	ids := e.missing()
	var errs []error
	for len(ids) > 0 {
		n := min(len(ids), scrape.MaxLookup)
		batch := ids[:n]
		ids = ids[n:]
		ps, err := e.client.Lookup(ctx, batch)
		e.obs.Fetch("arxiv_api", err)
		if err != nil {
			errs = append(errs, err)
			if scrape.Throttled(err) {
				break // told to slow down: the rest waits for the next run
			}
			continue
		}
		cats := map[string][]string{}
		for _, p := range ps {
			if len(p.Categories) > 0 {
				cats[p.ID] = p.Categories
			}
		}
		e.mu.Lock()
		for _, id := range batch {
			if cats[id] == nil {
				e.tried[id] = e.now() // unknown to the API for now: ask again later
				if e.onUnknown != nil {
					e.onUnknown(id, e.tried[id])
				}
			}
		}
		e.mu.Unlock()
		e.store.PutCategories(cats)
		if e.onChange != nil {
			e.onChange()
		}
	}
	return errors.Join(errs...)
}

// restoreUnknown remembers a saved "unknown to the API" answer.
func (e *enricher) restoreUnknown(id string, t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tried[id] = t
}
