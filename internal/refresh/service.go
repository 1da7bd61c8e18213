package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/time/rate"

	"paperfeed/feed"
	"paperfeed/internal/state"
)

// Config is what the refresh side needs of the service's settings.
type Config struct {
	Refresh         time.Duration // newest HF listing day
	RefreshPast     time.Duration // whole HF window; also caps Retry-After
	Days            int           // HF listing days in the window
	ArxivDays       int           // arXiv announcement days kept
	ArxivCategories []string      // empty: arXiv off
	ArxivRefresh    time.Duration
	Timeout         time.Duration // one upstream request
	PastWait        time.Duration // how long a request waits for a past listing (0: DefaultPastWait)
	Retention       time.Duration // how long the state keeps what left the window (0: 30 days)
	// With a shared state store (state.Cluster): the leader lease, and
	// whether to refresh locally while the store is unreachable.
	Lease         time.Duration
	FallbackLocal bool
}

// Service keeps the store filled from the upstreams and the state
// store current, so a restart resumes where the last run stopped. It is
// composed of one part per concern:
//
//   - the sources (Source, registered in internal/source), each polled
//     on its schedule: the Hugging Face window, the arXiv feed, the
//     linked-artifact counts;
//   - the enricher: arXiv's records of the papers held (categories,
//     comment, venue, version), looked up in batches;
//   - past listings (Past) and seed papers (seeds), fetched on demand;
//   - the keeper: restoring, saving, retention, damaged records;
//   - the leader: the replicas' coordination, when the state is shared.
//
// It knows nothing of HTTP serving, and no source by name.
type Service struct {
	cfg      Config
	store    *feed.Store
	log      *slog.Logger
	now      func() time.Time
	sources  registry // in the order registered
	past     *Past
	seeds    *seeds
	enricher *enricher
	keep     *keeper
	leader   *leader // set when the state store is shared
}

// New wires the parts. plugins are the sources (source.Registered); up
// the clients of the loaders run on demand (each with its own limiter);
// backend keeps state across restarts (nil: in memory only); obs
// receives fetch counts; onChange (may be nil) runs after each refresh,
// e.g. to warm indexes.
func New(cfg Config, store *feed.Store, backend state.Backend, up Upstreams, plugins []Plugin, obs Observer,
	log *slog.Logger, now func() time.Time, onChange func()) *Service {
	if obs == nil {
		obs = Nop{}
	}
	if onChange == nil {
		onChange = func() {}
	}
	if backend == nil {
		backend = state.NewMemory()
	}
	if cfg.PastWait == 0 {
		cfg.PastWait = DefaultPastWait
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	s := &Service{cfg: cfg, store: store, log: log, now: now}
	for _, pl := range plugins {
		p := &polled{spec: pl.Spec, enabled: pl.Spec.Enabled, interval: pl.Spec.Interval, minBackoff: pl.Spec.MinBackoff,
			status: newStatus(pl.Spec.Name, pl.Spec.Enabled), loaded: newLoaded(), settled: newLoaded()}
		p.src = pl.New(Env{Store: store, Status: p.status, Obs: obs, Log: log, Now: now, Loaded: p.loaded.mark})
		s.sources = append(s.sources, p)
	}
	hfStatus := newStatus(feed.SourceHF, true)
	if p := s.sources.named(feed.SourceHF); p != nil {
		hfStatus = p.status // past listings show beside the window's
	}
	views := NewListingViews(Env{Status: hfStatus, Obs: obs, Log: log, Now: now}, up.HF != nil && up.HF.API != nil)

	s.seeds = newSeeds(up.Arxiv, store, backend, obs, log, now)
	s.enricher = newEnricher(up.Arxiv, store, obs, log, now)
	s.past = &Past{
		client: up.HF, store: store, obs: obs, log: log, now: now, refresh: cfg.Refresh, timeout: cfg.Timeout,
		wait: cfg.PastWait, budget: rate.NewLimiter(rate.Every(PastRefill), pastBurst),
		fetched: map[string]time.Time{}, attempted: map[string]time.Time{}, failures: map[string]failure{}, views: views,
	}
	k := &keeper{cfg: cfg, backend: backend, persist: newPersister(backend, store, log, obs, now), store: store,
		sources: s.sources, past: s.past, seeds: s.seeds, enricher: s.enricher, log: log, onChange: onChange}
	s.keep = k
	k.persist.hooks.schedules, k.persist.hooks.fetched, k.persist.hooks.held = k.schedules, k.fetched, k.held
	s.enricher.onChange = func() { onChange(); k.save() }
	s.enricher.onUnknown = k.persist.unknown
	k.persist.hooks.unknownOf = s.enricher.unknownSince
	s.enricher.seeds = func() []string { return s.seeds.inUse(7 * 24 * time.Hour) }
	s.enricher.listingsSettled = func() bool { return s.sources.settled(true) }
	s.past.onLoad = k.save
	s.past.onEvict = func(key string) { k.persist.drop(feed.KeyPeriod + key) }

	if c, ok := backend.(state.Cluster); ok {
		lease := cfg.Lease
		if lease <= 0 {
			lease = 15 * time.Second
		}
		s.leader = &leader{c: c, lease: lease, fallback: cfg.FallbackLocal, log: log, now: now, keep: k, work: s.startWork,
			st: ClusterState{Role: "follower"}}
	}
	return s
}

// DefaultRetention is how long the state keeps papers after they left
// the window.
const DefaultRetention = 30 * 24 * time.Hour

// Restore fills the store from the state saved by an earlier run: the
// window's days, past listings still fresh, seeds, category look-ups,
// each paper's change time and the sources' schedules. A source whose
// data was restored counts as loaded, so the service is ready at once.
// It returns how many papers the view holds.
func (s *Service) Restore() (int, error) {
	snap, err := s.keep.load()
	if err != nil {
		if s.leader != nil {
			// Never discard the state other replicas share because this
			// one could not read it: reload later.
			s.log.Error("shared state unreadable for now; will reload", "error", err)
			// Said at once in /status and /readyz, not only after the
			// first campaign fails.
			now := s.now()
			s.leader.set(func(st *ClusterState) { st.LastError, st.ErrorAt = err.Error(), now })
			return 0, nil
		}
		s.log.Error("saved state unreadable; starting without it", "error", err)
		if rerr := s.keep.backend.Reset(); rerr != nil {
			return 0, errors.Join(err, rerr)
		}
		return 0, nil
	}
	n := s.keep.apply(snap, false)
	s.keep.damaged(snap.Damaged, s.leader)
	s.keep.releaseMemory() // what the start read would stay mapped otherwise
	return n, nil
}

// Start launches the pollers and the state's upkeep, or, with a shared
// state store, the replica's coordination (leader.go), which runs them
// while this replica leads; they stop when ctx ends. A source whose
// restored schedule says its next refresh is not due yet waits until it
// is.
func (s *Service) Start(ctx context.Context) {
	if s.leader != nil {
		go s.leader.run(ctx)
		return
	}
	s.startWork(ctx)
}

// startWork launches the pollers, the category look-ups and the state's
// upkeep.
func (s *Service) startWork(ctx context.Context) {
	if s.cfg.followsArxiv() {
		go s.enricher.run(ctx)
	}
	for _, p := range s.sources {
		if !p.enabled {
			continue
		}
		first := time.Duration(0)
		if due := p.nextDue(); !due.IsZero() {
			first = max(0, due.Sub(s.now()))
		}
		pl := &poller{name: p.spec.Name, interval: p.interval, minBackoff: p.minBackoff, maxWait: s.cfg.RefreshPast,
			refresh: func(ctx context.Context) (time.Duration, error) { return s.refresh(ctx, p) },
			status:  p.status, log: s.log, now: s.now, first: first}
		if a := s.sources.named(p.spec.After); a != nil {
			pl.after = a.settled // e.g. counts of the window's papers: none before its first walk ends
		}
		go pl.run(ctx)
	}
	go s.keep.upkeep(ctx)
}

// followsArxiv reports whether arXiv categories are followed: arXiv's
// records of the papers held are then looked up.
func (c Config) followsArxiv() bool { return len(c.ArxivCategories) > 0 }

// Close writes what is not saved yet and closes the state store; later
// saves do nothing. Stop the pollers first.
func (s *Service) Close() error {
	err := s.keep.persist.save()
	s.keep.persist.close()
	return errors.Join(err, s.keep.backend.Close())
}

// RefreshSource runs one refresh of the named source now (the poller's
// step). later asks the poller to wait longer than its interval. A
// source that is off or not registered does nothing.
func (s *Service) RefreshSource(ctx context.Context, name string) (later time.Duration, err error) {
	p := s.sources.named(name)
	if p == nil || !p.enabled {
		return 0, nil
	}
	return s.refresh(ctx, p)
}

func (s *Service) refresh(ctx context.Context, p *polled) (later time.Duration, err error) {
	later, err = p.refresh(ctx, s.store, s.log, s.now)
	s.keep.onChange()
	s.keep.save()
	if p.spec.Lists && s.cfg.followsArxiv() {
		s.enricher.poke()
	}
	return later, err
}

// EnrichCategories looks up arXiv's records of the papers due now (the
// background run does this after each refresh; see enricher).
func (s *Service) EnrichCategories(ctx context.Context) error { return s.enricher.enrich(ctx) }

// Loaded is the first-load signal of the listing source a feed of the
// given source= reads (Hugging Face for anything but feed.SourceArxiv).
func (s *Service) Loaded(source string) *Loaded { return s.sources.lister(source).loaded }

// Settled reports whether every listing source has completed its first
// load (Hugging Face, and arXiv when it is followed), and arXiv's records
// of what they hold have been looked up once after it: what the store
// holds then is what a start holds, not a part of it still filling.
func (s *Service) Settled() bool {
	return s.sources.settled(true) && (!s.cfg.followsArxiv() || s.enricher.settled.Done())
}

// Current reports whether the store holds what the listing sources
// hold now: Settled, and each of them refreshed in this run, or restored
// from a state recent enough that no refresh is due yet. A state
// restored after a downtime is settled (it is served) but not current
// until the refreshes due at the start have succeeded.
func (s *Service) Current() bool { return s.Settled() && s.sources.current(s.now()) }

// CountsSettled reports whether every source that adds to papers held
// (not a listing source) ran once, or the restored state says it did,
// or is off.
func (s *Service) CountsSettled() bool { return s.sources.settled(false) }

// Past is the loader of listings outside the window.
func (s *Service) Past() *Past { return s.past }

// States are the sources' states, in the order registered.
func (s *Service) States() []SourceState { return s.sources.states() }

// Kept is what the state store keeps for the service.
func (s *Service) Kept() Kept { return Kept{s.keep} }

// Kept reads what the state store keeps: papers' histories, when papers
// were first seen, the store's figures; and runs its retention.
type Kept struct{ k *keeper }

// Stats is what the state store shows in /status, with the last failed
// write.
func (k Kept) Stats() state.Stats { return k.k.stats() }

// History returns a paper's recorded counts, oldest first.
func (k Kept) History(id string) ([]state.Point, error) { return k.k.backend.History(id) }

// FirstSeen is the earliest time the service first held any of the
// papers: for the papers of a listing day, when that day appeared.
func (k Kept) FirstSeen(ids []string) time.Time { return k.k.persist.firstSeenOf(ids) }

// Prune runs a retention pass now (the upkeep runs one ten minutes after
// start and every six hours).
func (k Kept) Prune() { k.k.prune() }

// RefreshDue runs, once, the refreshes of the listing sources that are
// due, and arXiv's look-ups after them (the export's fetch cycle). It
// fails when a listing source failed and no saved state covers it.
func (s *Service) RefreshDue(ctx context.Context) error {
	now := s.now()
	var errs []error
	for _, p := range s.sources {
		if !p.spec.Lists || !p.enabled || now.Before(p.nextDue()) {
			continue
		}
		if _, err := s.refresh(ctx, p); err != nil {
			if !p.loaded.Done() {
				errs = append(errs, fmt.Errorf("refresh: %s failed and no saved state covers it: %w", p.spec.Label, err))
			} else {
				s.log.Warn(p.spec.Label+" refresh failed; exporting the saved state", "error", err)
			}
		}
	}
	if s.cfg.followsArxiv() {
		if err := s.EnrichCategories(ctx); err != nil {
			s.log.Warn("arXiv category look-ups failed; papers keep the categories known", "error", err)
		}
	}
	return errors.Join(errs...)
}
