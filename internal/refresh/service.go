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
	"paperfeed/scrape"
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
//   - sources (Source), each polled on its schedule: the Hugging Face
//     window and the arXiv feed;
//   - the enricher: arXiv's records of the papers held (categories,
//     comment, venue, version), looked up in batches;
//   - past listings (Past) and seed papers (seeds), fetched on demand;
//   - the keeper: restoring, saving, retention, damaged records;
//   - the leader: the replicas' coordination, when the state is shared.
//
// It knows nothing of HTTP serving.
type Service struct {
	cfg       Config
	store     *feed.Store
	log       *slog.Logger
	now       func() time.Time
	hf, arxiv *polled
	artifacts *polled // linked models, datasets, Spaces (artifacts.go)
	past      *Past
	seeds     *seeds
	enricher  *enricher
	keep      *keeper
	leader    *leader // set when the state store is shared
}

// New wires the parts. hf and arxiv are the upstream clients (each with
// its own limiter); backend keeps state across restarts (nil: in memory
// only); obs receives fetch counts; onChange (may be nil) runs after each
// refresh, e.g. to warm indexes.
func New(cfg Config, store *feed.Store, backend state.Backend, hf *scrape.HFClient, arxiv *scrape.ArxivClient, obs Observer,
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
	hfStatus := newStatus(feed.SourceHF, true)
	views := &hfViews{status: hfStatus, obs: obs, log: log, now: now, api: hf.API != nil}
	s.hf = &polled{enabled: true, interval: cfg.Refresh, minBackoff: min(5*time.Second, cfg.Refresh), status: hfStatus, loaded: newLoaded(), settled: newLoaded()}
	s.hf.src = &hfSource{client: hf, store: store, days: cfg.Days, refreshPast: cfg.RefreshPast,
		status: hfStatus, obs: obs, views: views, log: log, now: now, onLoad: s.hf.loaded.mark}
	arxivStatus := newStatus(feed.SourceArxiv, len(cfg.ArxivCategories) > 0)
	s.arxiv = &polled{enabled: len(cfg.ArxivCategories) > 0, interval: cfg.ArxivRefresh, minBackoff: min(30*time.Second, cfg.ArxivRefresh),
		status: arxivStatus, loaded: newLoaded(), settled: newLoaded()}
	s.arxiv.src = &arxivSource{client: arxiv, store: store, categories: cfg.ArxivCategories, status: arxivStatus,
		obs: obs, log: log, now: now, onLoad: s.arxiv.loaded.mark}

	artStatus := newStatus(SourceArtifacts, hf.PaperAPI != nil)
	s.artifacts = &polled{enabled: hf.PaperAPI != nil, interval: ArtifactsInterval, minBackoff: time.Minute, status: artStatus, loaded: newLoaded(), settled: newLoaded()}
	s.artifacts.src = &artifactsSource{client: hf, store: store, status: artStatus, obs: obs, log: log, now: now}

	s.seeds = newSeeds(arxiv, store, backend, obs, log, now)
	s.enricher = newEnricher(arxiv, store, obs, log, now)
	s.past = &Past{
		client: hf, store: store, obs: obs, log: log, now: now, refresh: cfg.Refresh, timeout: cfg.Timeout,
		wait: cfg.PastWait, budget: rate.NewLimiter(rate.Every(PastRefill), pastBurst),
		fetched: map[string]time.Time{}, attempted: map[string]time.Time{}, failures: map[string]failure{}, views: views,
	}
	k := &keeper{cfg: cfg, backend: backend, persist: newPersister(backend, store, log, obs, now), store: store,
		sources: []*polled{s.hf, s.arxiv, s.artifacts}, past: s.past, seeds: s.seeds, enricher: s.enricher, log: log, onChange: onChange}
	s.keep = k
	k.persist.hooks.schedules, k.persist.hooks.fetched, k.persist.hooks.held = k.schedules, k.fetched, k.held
	s.enricher.onChange = func() { onChange(); k.save() }
	s.enricher.onUnknown = k.persist.unknown
	k.persist.hooks.unknownOf = s.enricher.unknownSince
	s.enricher.seeds = func() []string { return s.seeds.inUse(7 * 24 * time.Hour) }
	s.enricher.listingsSettled = s.listingsSettled
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
	if s.arxiv.enabled {
		go s.enricher.run(ctx)
	}
	for _, p := range []*polled{s.arxiv, s.hf, s.artifacts} {
		if !p.enabled {
			continue
		}
		refresh := s.RefreshHF
		switch p {
		case s.arxiv:
			refresh = s.RefreshArxiv
		case s.artifacts:
			refresh = s.RefreshArtifacts
		}
		first := time.Duration(0)
		if due := p.nextDue(); !due.IsZero() {
			first = max(0, due.Sub(s.now()))
		}
		pl := &poller{name: p.src.Name(), interval: p.interval, minBackoff: p.minBackoff, maxWait: s.cfg.RefreshPast,
			refresh: refresh, status: p.status, log: s.log, now: s.now, first: first}
		if p == s.artifacts {
			pl.after = s.hf.settled // it counts the window's papers: none before the first walk ends
		}
		go pl.run(ctx)
	}
	go s.keep.upkeep(ctx)
}

// Prune runs a retention pass now (the upkeep runs one ten minutes after
// start and every six hours).
func (s *Service) Prune() { s.keep.prune() }

// Close writes what is not saved yet and closes the state store; later
// saves do nothing. Stop the pollers first.
func (s *Service) Close() error {
	err := s.keep.persist.save()
	s.keep.persist.close()
	return errors.Join(err, s.keep.backend.Close())
}

// RefreshHF runs one refresh of the HF window (the poller's step). later
// asks the poller to wait longer than its interval.
func (s *Service) RefreshHF(ctx context.Context) (later time.Duration, err error) {
	later, err = s.hf.refresh(ctx, s.store, s.log, s.now)
	s.keep.onChange()
	s.keep.save()
	if s.arxiv.enabled {
		s.enricher.poke()
	}
	return later, err
}

// RefreshArxiv runs one check of the arXiv feed.
func (s *Service) RefreshArxiv(ctx context.Context) (later time.Duration, err error) {
	later, err = s.arxiv.refresh(ctx, s.store, s.log, s.now)
	s.keep.onChange()
	s.keep.save()
	s.enricher.poke()
	return later, err
}

// RefreshArtifacts runs one round of linked-artifact counts.
func (s *Service) RefreshArtifacts(ctx context.Context) (later time.Duration, err error) {
	if !s.artifacts.enabled {
		return 0, nil
	}
	later, err = s.artifacts.refresh(ctx, s.store, s.log, s.now)
	s.keep.onChange()
	s.keep.save()
	return later, err
}

// EnrichCategories looks up arXiv's records of the papers due now (the
// background run does this after each refresh; see enricher).
func (s *Service) EnrichCategories(ctx context.Context) error { return s.enricher.enrich(ctx) }

// Loaded is the first-load signal of a source: feed.SourceArxiv, or
// Hugging Face for anything else.
func (s *Service) Loaded(source string) *Loaded {
	if source == feed.SourceArxiv {
		return s.arxiv.loaded
	}
	return s.hf.loaded
}

// Settled reports whether every listing source has completed its first
// load (Hugging Face, and arXiv when it is followed), and arXiv's records
// of what they hold have been looked up once after it: what the store
// holds then is what a start holds, not a part of it still filling.
func (s *Service) Settled() bool {
	return s.listingsSettled() && (!s.arxiv.enabled || s.enricher.settled.Done())
}

// Current reports whether the store holds what the listing sources
// hold now: Settled, and each of them refreshed in this run, or restored
// from a state recent enough that no refresh is due yet. A state
// restored after a downtime is settled (it is served) but not current
// until the refreshes due at the start have succeeded.
func (s *Service) Current() bool {
	now := s.now()
	return s.Settled() && s.hf.current(now) && s.arxiv.current(now)
}

// CountsSettled reports whether the linked-artifact counts ran once
// (or the restored state says they did), or are off.
func (s *Service) CountsSettled() bool {
	return !s.artifacts.enabled || s.artifacts.settled.Done()
}

func (s *Service) listingsSettled() bool {
	return s.hf.settled.Done() && (!s.arxiv.enabled || s.arxiv.settled.Done())
}

// Past is the loader of listings outside the window.
func (s *Service) Past() *Past { return s.past }

// States are the sources' states: Hugging Face, arXiv, the linked
// artifacts.
func (s *Service) States() []SourceState {
	return []SourceState{s.hf.status.Snapshot(), s.arxiv.status.Snapshot(), s.artifacts.status.Snapshot()}
}

// StateStats is what the state store shows in /status, with the last
// failed write.
func (s *Service) StateStats() state.Stats { return s.keep.stats() }

// History returns a paper's recorded counts, oldest first.
func (s *Service) History(id string) ([]state.Point, error) { return s.keep.backend.History(id) }

// FirstSeen is the earliest time the service first held any of the
// papers: for the papers of a listing day, when that day appeared.
func (s *Service) FirstSeen(ids []string) time.Time { return s.keep.persist.firstSeenOf(ids) }

func (s *Service) RefreshDue(ctx context.Context) error {
	hfDue, axDue := s.hf.nextDue(), s.arxiv.nextDue()
	now := s.now()
	var errs []error
	if !now.Before(hfDue) {
		if _, err := s.RefreshHF(ctx); err != nil {
			if !s.hf.loaded.Done() {
				errs = append(errs, fmt.Errorf("refresh: Hugging Face failed and no saved state covers it: %w", err))
			} else {
				s.log.Warn("Hugging Face refresh failed; exporting the saved state", "error", err)
			}
		}
	}
	if len(s.cfg.ArxivCategories) > 0 {
		if !now.Before(axDue) {
			if _, err := s.RefreshArxiv(ctx); err != nil {
				if !s.arxiv.loaded.Done() {
					errs = append(errs, fmt.Errorf("arXiv failed and no saved state covers it: %w", err))
				} else {
					s.log.Warn("arXiv refresh failed; exporting the saved state", "error", err)
				}
			}
		}
		if err := s.EnrichCategories(ctx); err != nil {
			s.log.Warn("arXiv category look-ups failed; papers keep the categories known", "error", err)
		}
	}
	return errors.Join(errs...)
}
