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

// enricher reads arXiv's own record of the papers held (categories,
// comment, journal reference, DOI, latest version and its date) with the
// API, in batches of scrape.MaxLookup through the shared arXiv limiter.
// It runs when kicked (after each refresh) and looks up:
//
//  1. papers never looked up;
//  2. papers a feed announced in a newer version than the record held
//     (an arXiv "replace": the comment often changes with it, "camera
//     ready, accepted at ..."), every recheckRevised until the API has
//     it;
//  3. Hugging Face papers of the window, and the seed papers of like=
//     asked for in the last week, whose record is older than
//     recheckArxiv, so an acceptance noted without a new version, or a
//     seed's new version, shows within a day.
//
// In that order, at most maxLookupsPerRun batches a run; the rest waits
// for the next kick. A paper the API does not know is left alone for
// retryUnknown.
type enricher struct {
	client *scrape.ArxivClient
	store  *feed.Store
	obs    Observer
	log    *slog.Logger
	kick   chan struct{}
	// onChange runs after records were stored (rebuilds the index, saves).
	onChange func()
	// onUnknown records an ID the API did not know, and when.
	onUnknown func(id string, t time.Time)
	// seeds lists the seed papers of like= in use: rechecked like the
	// window's Hugging Face papers, so revised=1 sees their new versions.
	seeds func() []string
	// listingsSettled reports whether the listing sources completed their
	// first load; settled is closed when a run that began after that
	// ended (or the restored state held look-ups).
	listingsSettled func() bool
	settled         *Loaded

	mu    sync.Mutex
	tried map[string]time.Time // IDs the API answered without, and when
	now   func() time.Time
}

const (
	// retryUnknown is how long an ID the API did not know is left alone
	// (a new paper can take a day to reach the API; an overloaded API
	// can answer empty).
	retryUnknown = 24 * time.Hour
	// recheckArxiv is how old a window HF paper's record may grow.
	recheckArxiv = 24 * time.Hour
	// recheckRevised spaces the look-ups of a paper announced in a newer
	// version than its record: the API can lag the feeds by hours.
	recheckRevised = 3 * time.Hour
	// maxLookupsPerRun bounds one run's API requests (3 s apart each).
	maxLookupsPerRun = 20
)

func newEnricher(c *scrape.ArxivClient, s *feed.Store, obs Observer, log *slog.Logger, now func() time.Time) *enricher {
	return &enricher{client: c, store: s, obs: obs, log: log, kick: make(chan struct{}, 1), tried: map[string]time.Time{}, now: now,
		settled: newLoaded()}
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
				e.log.Warn("arXiv look-up failed; will retry", "error", err)
			}
		}
	}
}

// due lists the papers to look up, most needed first (see enricher).
func (e *enricher) due() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	var never, revised, stale []string
	for _, p := range e.store.View().Papers {
		if t, tried := e.tried[p.ID]; tried && now.Sub(t) < retryUnknown {
			continue
		}
		x, ok := e.store.Extra(p.ID)
		switch {
		case !ok || x.Checked.IsZero():
			never = append(never, p.ID)
		case p.Version > x.Version && now.Sub(x.Checked) >= recheckRevised:
			revised = append(revised, p.ID)
		case p.OnHF && now.Sub(x.Checked) >= recheckArxiv:
			stale = append(stale, p.ID)
		}
	}
	if e.seeds != nil {
		for _, id := range e.seeds() {
			if t, tried := e.tried[id]; tried && now.Sub(t) < retryUnknown {
				continue
			}
			if x, ok := e.store.Extra(id); ok && now.Sub(x.Checked) >= recheckArxiv && e.store.View().ByID[id] == nil {
				stale = append(stale, id)
			}
		}
	}
	sort.Strings(never)
	sort.Strings(revised)
	sort.Strings(stale)
	return append(append(never, revised...), stale...)
}

func (e *enricher) enrich(ctx context.Context) error {
	if e.listingsSettled != nil && e.listingsSettled() && !e.settled.Done() {
		defer func() {
			if ctx.Err() == nil {
				e.settled.mark()
				if e.onChange != nil {
					e.onChange() // who waits for the start to settle is told
				}
			}
		}()
	}
	ids := e.due()
	var errs []error
	for n := 0; len(ids) > 0 && n < maxLookupsPerRun; n++ {
		k := min(len(ids), scrape.MaxLookup)
		batch := ids[:k]
		ids = ids[k:]
		ps, err := e.client.Lookup(ctx, batch)
		e.obs.Fetch("arxiv_api", err)
		if err != nil {
			errs = append(errs, err)
			if scrape.Throttled(err) || ctx.Err() != nil {
				break // told to slow down: the rest waits for the next run
			}
			continue
		}
		now := e.now()
		found := map[string]feed.Extra{}
		for i := range ps {
			found[ps[i].ID] = feed.ArxivExtra(&ps[i], now)
		}
		e.mu.Lock()
		for _, id := range batch {
			if _, ok := found[id]; !ok {
				e.tried[id] = now // unknown to the API for now: ask again later
				if e.onUnknown != nil {
					e.onUnknown(id, now)
				}
			}
		}
		e.mu.Unlock()
		e.store.PutExtras(found)
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

// unknownSince is when the API last did not know the paper (zero: it
// did, or was not asked).
func (e *enricher) unknownSince(id string) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tried[id]
}
