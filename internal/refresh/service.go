package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
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

// Service keeps the store filled from Hugging Face and arXiv: pollers
// for the HF window and the arXiv feed, arXiv category look-ups for HF
// papers, and past listings on demand; and it keeps the state store
// current, so a restart resumes where the last run stopped. It knows
// nothing of HTTP serving.
type Service struct {
	cfg      Config
	store    *feed.Store
	log      *slog.Logger
	now      func() time.Time
	hf       *hfSource
	arxiv    *arxivSource
	arxivAPI *scrape.ArxivClient
	enricher *enricher
	past     *Past
	persist  *persister
	backend  state.Backend
	seeds    *seeds
	cluster  *cluster // set when the state store is shared

	hfStatus, arxivStatus *Status
	hfLoaded, arxivLoaded *Loaded

	mu                  sync.Mutex
	hfSched, arxivSched schedule
	lastDamage          []state.Damage // of the last load

	// onChange runs after a refresh that may have changed the data.
	onChange func()
}

// New wires the sources. hf and arxiv are the upstream clients (each
// with its own limiter); backend keeps state across restarts (nil: in
// memory only); obs receives fetch counts; onChange (may be nil) runs
// after each refresh, e.g. to warm indexes.
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
	s := &Service{
		cfg: cfg, store: store, log: log, now: now, onChange: onChange, backend: backend, arxivAPI: arxiv,
		hfStatus:    newStatus(feed.SourceHF, true),
		arxivStatus: newStatus(feed.SourceArxiv, len(cfg.ArxivCategories) > 0),
		hfLoaded:    newLoaded(),
		arxivLoaded: newLoaded(),
	}
	views := &hfViews{status: s.hfStatus, obs: obs, log: log, now: now, api: hf.API != nil}
	s.hf = &hfSource{
		client: hf, store: store, days: cfg.Days, refreshPast: cfg.RefreshPast,
		status: s.hfStatus, obs: obs, views: views, log: log, now: now, onLoad: s.hfLoaded.mark,
	}
	s.arxiv = &arxivSource{
		client: arxiv, store: store, categories: cfg.ArxivCategories, status: s.arxivStatus,
		obs: obs, log: log, now: now, onLoad: s.arxivLoaded.mark,
	}
	if c, ok := backend.(state.Cluster); ok {
		lease := cfg.Lease
		if lease <= 0 {
			lease = 15 * time.Second
		}
		s.cluster = &cluster{c: c, lease: lease, fallback: cfg.FallbackLocal, st: ClusterState{Role: "follower"}}
	}
	s.seeds = newSeeds(arxiv, obs, now)
	s.seeds.save = s.saveSeeds
	s.persist = newPersister(backend, store, log, obs, now)
	s.persist.schedules = s.schedules
	s.persist.fetched = s.fetched
	s.persist.held = func(key string) bool {
		if id, ok := strings.CutPrefix(key, seedKey); ok {
			return s.seeds.holds(id)
		}
		if period, ok := strings.CutPrefix(key, feed.KeyPeriod); ok {
			return !s.past.fetchedAt(period).IsZero()
		}
		return true
	}
	s.enricher = newEnricher(arxiv, store, obs, log, now)
	s.enricher.onChange = func() { onChange(); s.save() }
	s.enricher.onUnknown = s.persist.unknown
	s.past = &Past{
		client: hf, store: store, obs: obs, log: log, now: now, refresh: cfg.Refresh, timeout: cfg.Timeout,
		wait: cfg.PastWait, budget: rate.NewLimiter(rate.Every(PastRefill), pastBurst),
		fetched: map[string]time.Time{}, attempted: map[string]time.Time{}, failures: map[string]failure{}, onLoad: s.save, views: views,
		onEvict: func(key string) { s.persist.drop(feed.KeyPeriod + key) },
	}
	return s
}

// DefaultRetention is how long the state keeps papers after they left
// the window.
const DefaultRetention = 30 * 24 * time.Hour

// Restore fills the store from the state saved by an earlier run: the
// window's days, past listings still fresh, category look-ups, each
// paper's change time and the sources' schedules. A source whose data
// was restored counts as loaded, so the service is ready at once. It
// returns how many papers the view holds.
func (s *Service) Restore() (int, error) {
	snap, err := s.load()
	if err != nil {
		if s.cluster != nil {
			// Never discard the state other replicas share because this
			// one could not read it: reload later.
			s.log.Error("shared state unreadable for now; will reload", "error", err)
			return 0, nil
		}
		s.log.Error("saved state unreadable; starting without it", "error", err)
		if rerr := s.backend.Reset(); rerr != nil {
			return 0, errors.Join(err, rerr)
		}
		return 0, nil
	}
	n := s.apply(snap, false)
	s.damaged(snap.Damaged, false)
	s.releaseMemory() // what the start read would stay mapped otherwise
	return n, nil
}

// load reads what Restore and a replica's reload keep of the state.
func (s *Service) load() (*state.Snapshot, error) {
	keys, err := s.backend.Keys()
	if err != nil {
		return nil, err
	}
	want := s.wanted(keys)
	return s.backend.Load(func(key string) bool { return want[key] })
}

// damaged deals with the records a load could not decode (it read all
// the others): they are reported in the log and /status; a file of this
// process's own is moved aside and everything read written to a fresh
// one; in a shared store only the leader acts, moving them to a
// quarantine where an operator can look at them.
func (s *Service) damaged(ds []state.Damage, leading bool) {
	s.mu.Lock()
	s.lastDamage = ds[:min(len(ds), maxDamageShown)]
	s.mu.Unlock()
	if len(ds) == 0 {
		return
	}
	shown := make([]string, 0, min(len(ds), 5))
	for _, d := range ds[:min(len(ds), 5)] {
		shown = append(shown, d.String())
	}
	s.log.Error("state: records could not be read and were left out", "records", len(ds), "first", shown)
	if s.cluster != nil {
		q, ok := s.backend.(interface{ Quarantine([]state.Damage) error })
		if !ok {
			return
		}
		if !leading {
			// The leader reads each record again and moves it only if
			// it does not decode there either.
			for _, d := range ds[:min(len(ds), maxDamageShown)] {
				_ = s.ask(context.Background(), request{kind: askQuarantine, damage: d})
			}
			return
		}
		if err := q.Quarantine(ds); err != nil {
			s.log.Warn("state: could not quarantine unreadable records; will try again", "error", err)
			return
		}
		s.log.Info("state: unreadable records moved to the quarantine", "records", len(ds))
		return
	}
	if err := s.backend.Reset(); err != nil {
		s.log.Warn("state: could not move the damaged file aside", "error", err)
		return
	}
	s.persist.resaveAll()
}

// maxDamageShown bounds the damaged records /status lists.
const maxDamageShown = 20

// apply sets the store and the sources' schedules to a snapshot of the
// state: at start (Restore), or, replacing what is held, when a replica
// follows the shared state. It returns how many papers the view holds.
func (s *Service) apply(snap *state.Snapshot, replace bool) int {
	s.persist.restored(snap)
	entries := map[string][]feed.Paper{}
	for k, e := range snap.Entries {
		if s.restoreSeed(k, e) {
			continue
		}
		entries[k] = e.Papers
		if period, ok := strings.CutPrefix(k, feed.KeyPeriod); ok {
			s.past.restore(period, e.Fetched)
		}
	}
	cats := map[string][]string{}
	for id, c := range snap.Categories {
		if len(c.Cats) > 0 {
			cats[id] = c.Cats
		} else if !c.Unknown.IsZero() {
			s.enricher.restoreUnknown(id, c.Unknown)
		}
	}
	if replace {
		s.store.Replace(entries, cats, snap.Changed, s.past.ttl)
	} else {
		s.store.Restore(entries, cats, snap.Changed, s.past.ttl)
	}
	s.mu.Lock()
	s.hfSched, s.arxivSched = decodeSchedule(snap.Fetch[feed.SourceHF]), decodeSchedule(snap.Fetch[feed.SourceArxiv])
	hfSched, arxivSched := s.hfSched, s.arxivSched
	s.mu.Unlock()
	s.hf.restore(hfSched)
	s.arxiv.restore(arxivSched)
	if len(arxivSched.Validators) > 0 {
		s.arxivAPI.SetValidators(arxivSched.Validators)
	}
	v := s.store.View()
	if len(v.HFDays) > 0 {
		s.hfLoaded.mark()
		s.hf.publishStatus()
	}
	if len(v.ArxivDays) > 0 {
		s.arxivLoaded.mark()
		s.arxiv.publishStatus()
	}
	s.onChange()
	return len(v.Papers)
}

// wanted picks what Restore reads: every past listing, and of the HF
// and arXiv days only the newest ones the window holds (older days stay
// in the state for retention, not in memory).
func (s *Service) wanted(keys []string) map[string]bool {
	want := map[string]bool{}
	var hf, ax, seeds, periods []string
	for _, k := range keys { // in byte order
		switch {
		case strings.HasPrefix(k, feed.KeyHF):
			hf = append(hf, k)
		case strings.HasPrefix(k, feed.KeyArxiv):
			ax = append(ax, k)
		case strings.HasPrefix(k, seedKey):
			seeds = append(seeds, k)
		case strings.HasPrefix(k, feed.KeyPeriod):
			periods = append(periods, k)
		default:
			want[k] = true
		}
	}
	// At most as many seeds and past listings as are kept in memory
	// (newer IDs and periods sort last); the rest go at retention.
	for _, ks := range [][]string{seeds[max(0, len(seeds)-MaxSeedsHeld):], periods[max(0, len(periods)-pastMaxHeld):]} {
		for _, k := range ks {
			want[k] = true
		}
	}
	for _, days := range []struct {
		keys []string
		n    int
	}{{hf, s.cfg.Days}, {ax, s.cfg.ArxivDays}} {
		slices.Sort(days.keys) // "hf/YYYY-MM-DD": oldest first
		for _, k := range days.keys[max(0, len(days.keys)-max(days.n, 1)):] {
			want[k] = true
		}
	}
	return want
}

// Start launches the pollers and the state's upkeep, or, with a shared
// state store, the replica's coordination (cluster.go), which runs them
// while this replica leads; they stop when ctx ends. A source whose
// restored schedule says its next refresh is not due yet waits until it
// is.
func (s *Service) Start(ctx context.Context) {
	if s.cluster != nil {
		go s.runCluster(ctx)
		return
	}
	s.startWork(ctx)
}

// startWork launches the pollers, the category look-ups and the state's
// upkeep.
func (s *Service) startWork(ctx context.Context) {
	s.mu.Lock()
	hfDue, arxivDue := s.hfSched.NextDue, s.arxivSched.NextDue
	s.mu.Unlock()
	// A source with nothing restored fetches at once, whatever its
	// schedule said.
	if !s.hfLoaded.Done() {
		hfDue = time.Time{}
	}
	if !s.arxivLoaded.Done() {
		arxivDue = time.Time{}
	}
	if len(s.cfg.ArxivCategories) > 0 {
		go s.enricher.run(ctx)
		ax := &poller{name: feed.SourceArxiv, interval: s.cfg.ArxivRefresh, minBackoff: min(30*time.Second, s.cfg.ArxivRefresh),
			maxWait: s.cfg.RefreshPast, refresh: s.RefreshArxiv, status: s.arxivStatus, log: s.log, now: s.now,
			first: s.until(arxivDue)}
		go ax.run(ctx)
	}
	p := &poller{name: feed.SourceHF, interval: s.cfg.Refresh, minBackoff: min(5*time.Second, s.cfg.Refresh),
		maxWait: s.cfg.RefreshPast, refresh: s.RefreshHF, status: s.hfStatus, log: s.log, now: s.now,
		first: s.until(hfDue)}
	go p.run(ctx)
	go s.upkeep(ctx)
}

func (s *Service) until(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return max(0, t.Sub(s.now()))
}

// upkeep retries a failed state write every minute and applies
// retention ten minutes after start and every six hours.
func (s *Service) upkeep(ctx context.Context) {
	retry := time.NewTicker(time.Minute)
	defer retry.Stop()
	// The first pass a while after start, not during it: it reads every
	// paper's history, which a start does not need.
	prune := time.NewTicker(firstPrune)
	defer prune.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
			s.save()
		case <-prune.C:
			s.Prune()
			if first {
				prune.Reset(6 * time.Hour)
				first = false
			}
		}
	}
}

// Prune runs a retention pass now.
func (s *Service) Prune() {
	s.persist.prune(s.cfg.Retention)
	s.releaseMemory()
}

// firstPrune is when, after start, retention first runs.
const firstPrune = 10 * time.Minute

// releaseMemory lets go of what reading the state file mapped, where the
// store maps its file.
func (s *Service) releaseMemory() {
	if r, ok := s.backend.(interface{ ReleaseMemory() error }); ok {
		if err := r.ReleaseMemory(); err != nil {
			s.log.Warn("state store: could not reopen its file", "error", err)
		}
	}
}

// Close writes what is not saved yet and closes the state store; later
// saves do nothing. Stop the pollers first.
func (s *Service) Close() error {
	err := s.persist.save()
	s.persist.close()
	return errors.Join(err, s.backend.Close())
}

// save writes what changed; a failure is logged and retried. A save that
// wrote many papers' records read their pages of the store's file through
// its memory mapping, so the file is reopened to let go of them: that is
// a few milliseconds after a refresh, against tens of megabytes held.
func (s *Service) save() {
	if s.persist.save() == nil && s.persist.takeWritten() >= releaseAfterWrites {
		s.releaseMemory()
	}
}

// releaseAfterWrites is how many paper records a save writes before the
// store's file is reopened.
const releaseAfterWrites = 200

// RefreshHF runs one refresh of the HF window (the poller's step). later
// asks the poller to wait longer than its interval.
func (s *Service) RefreshHF(ctx context.Context) (later time.Duration, err error) {
	start, before, loaded := s.now(), s.store.View().Version, s.hfLoaded.Done()
	s.hfStatus.attempt(start)
	later, err = s.hf.refresh(ctx)
	s.hfStatus.finish(s.now(), err)
	s.logChange(feed.SourceHF, start, before, loaded, err)
	s.scheduled(&s.hfSched, err, max(later, s.cfg.Refresh))
	s.onChange()
	s.save()
	if len(s.cfg.ArxivCategories) > 0 {
		s.enricher.poke()
	}
	return later, err
}

// RefreshArxiv runs one check of the arXiv feed.
func (s *Service) RefreshArxiv(ctx context.Context) (later time.Duration, err error) {
	start, before, loaded := s.now(), s.store.View().Version, s.arxivLoaded.Done()
	s.arxivStatus.attempt(start)
	later, err = s.arxiv.refresh(ctx)
	s.arxivStatus.finish(s.now(), err)
	s.logChange(feed.SourceArxiv, start, before, loaded, err)
	s.scheduled(&s.arxivSched, err, max(later, s.cfg.ArxivRefresh))
	s.onChange()
	s.save()
	return later, err
}

// logChange writes one info line when a source first loads and on each
// refresh that changed the data ("Hugging Face loaded: 7 days, 312
// papers, from page+api in 4.1s"), so an operator sees success, not only
// failures and access lines.
func (s *Service) logChange(source string, start time.Time, before uint64, wasLoaded bool, err error) {
	v := s.store.View()
	if err != nil || v.Version == before {
		return
	}
	st, name, days := s.hfStatus.Snapshot(), "Hugging Face", v.HFDays
	if source == feed.SourceArxiv {
		st, name, days = s.arxivStatus.Snapshot(), "arXiv", v.ArxivDays
	}
	what := "refreshed"
	if !wasLoaded {
		what = "loaded"
	}
	attrs := []any{"days", len(days), "papers", st.Items, "took", s.now().Sub(start).Round(100 * time.Millisecond)}
	if len(st.Views) > 0 {
		attrs = append(attrs, "from", st.Views[0].Served)
	}
	s.log.Info(name+" "+what, attrs...)
}

// scheduled records a refresh's outcome in a source's schedule: after a
// success the next one is due after next.
func (s *Service) scheduled(sc *schedule, err error, next time.Duration) {
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sc.LastSuccess, sc.NextDue = now, now.Add(next)
}

// schedules are the sources' schedules as the state saves them.
func (s *Service) schedules() map[string][]byte {
	s.mu.Lock()
	hf, ax := s.hfSched, s.arxivSched
	s.mu.Unlock()
	hf.Newest, hf.LastWalk = s.hf.state()
	ax.Newest = s.arxiv.state()
	ax.Validators = s.arxivAPI.Validators()
	return map[string][]byte{feed.SourceHF: hf.encode(), feed.SourceArxiv: ax.encode()}
}

// fetched is when the page behind a state entry was fetched: a past
// listing's own fetch, or for a day the source's last success.
func (s *Service) fetched(key string) time.Time {
	if period, ok := strings.CutPrefix(key, feed.KeyPeriod); ok {
		return s.past.fetchedAt(period)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(key, feed.KeyArxiv) {
		return s.arxivSched.LastSuccess
	}
	return s.now() // an HF day is saved right after it was fetched
}

// EnrichCategories looks up the arXiv categories of HF papers now (the
// background run does this after each HF refresh).
func (s *Service) EnrichCategories(ctx context.Context) error { return s.enricher.enrich(ctx) }

// Loaded is the first-load signal of a source: feed.SourceArxiv, or
// Hugging Face for anything else.
func (s *Service) Loaded(source string) *Loaded {
	if source == feed.SourceArxiv {
		return s.arxivLoaded
	}
	return s.hfLoaded
}

// Past is the loader of listings outside the window.
func (s *Service) Past() *Past { return s.past }

// States are the sources' states, Hugging Face first.
func (s *Service) States() []SourceState {
	return []SourceState{s.hfStatus.Snapshot(), s.arxivStatus.Snapshot()}
}

// StateStats is what the state store shows in /status, with the last
// failed write.
func (s *Service) StateStats() state.Stats {
	st := s.backend.Stats()
	s.mu.Lock()
	st.Damaged = s.lastDamage
	s.mu.Unlock()
	if msg, at, n := s.persist.failure(); msg != "" {
		st.LastError, st.ErrorAt = msg, at
		st.Errors = max(st.Errors, n)
	}
	return st
}

// History returns a paper's recorded counts, oldest first.
func (s *Service) History(id string) ([]state.Point, error) { return s.backend.History(id) }

// FirstSeen is the earliest time the service first held any of the
// papers: for the papers of a listing day, when that day appeared.
func (s *Service) FirstSeen(ids []string) time.Time { return s.persist.firstSeenOf(ids) }

// RefreshDue runs, once, the refreshes a source's schedule says are due
// (or that a source with nothing held needs), then the category
// look-ups: one fetch cycle, for a static export. A source that failed
// and holds nothing is an error; one that failed but holds data from the
// state is logged and served as it was.
func (s *Service) RefreshDue(ctx context.Context) error {
	s.mu.Lock()
	hfDue, axDue := s.hfSched.NextDue, s.arxivSched.NextDue
	s.mu.Unlock()
	now := s.now()
	var errs []error
	if !s.hfLoaded.Done() || !now.Before(hfDue) {
		if _, err := s.RefreshHF(ctx); err != nil {
			if !s.hfLoaded.Done() {
				errs = append(errs, fmt.Errorf("refresh: Hugging Face failed and no saved state covers it: %w", err))
			} else {
				s.log.Warn("Hugging Face refresh failed; exporting the saved state", "error", err)
			}
		}
	}
	if len(s.cfg.ArxivCategories) > 0 {
		if !s.arxivLoaded.Done() || !now.Before(axDue) {
			if _, err := s.RefreshArxiv(ctx); err != nil {
				if !s.arxivLoaded.Done() {
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
