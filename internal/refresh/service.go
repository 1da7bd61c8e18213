package refresh

import (
	"context"
	"log/slog"
	"time"

	"golang.org/x/time/rate"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// Config is what the refresh side needs of the service's settings.
type Config struct {
	Refresh         time.Duration // newest HF listing day
	RefreshPast     time.Duration // whole HF window; also caps Retry-After
	Days            int           // HF listing days in the window
	ArxivCategories []string      // empty: arXiv off
	ArxivRefresh    time.Duration
	Timeout         time.Duration // one upstream request
	PastWait        time.Duration // how long a request waits for a past listing (0: DefaultPastWait)
}

// Service keeps the store filled from Hugging Face and arXiv: pollers
// for the HF window and the arXiv feed, arXiv category look-ups for HF
// papers, and past listings on demand. It knows nothing of HTTP serving.
type Service struct {
	cfg      Config
	store    *feed.Store
	log      *slog.Logger
	now      func() time.Time
	hf       *hfSource
	arxiv    *arxivSource
	enricher *enricher
	past     *Past

	hfStatus, arxivStatus *Status
	hfLoaded, arxivLoaded *Loaded

	// onChange runs after a refresh that may have changed the data.
	onChange func()
}

// New wires the sources. hf and arxiv are the upstream clients (each
// with its own limiter); obs receives fetch counts; onChange (may be
// nil) runs after each refresh, e.g. to warm indexes.
func New(cfg Config, store *feed.Store, hf *scrape.HFClient, arxiv *scrape.ArxivClient, obs Observer, log *slog.Logger, now func() time.Time, onChange func()) *Service {
	if obs == nil {
		obs = Nop{}
	}
	if onChange == nil {
		onChange = func() {}
	}
	if cfg.PastWait == 0 {
		cfg.PastWait = DefaultPastWait
	}
	s := &Service{
		cfg: cfg, store: store, log: log, now: now, onChange: onChange,
		hfStatus:    newStatus(feed.SourceHF, true),
		arxivStatus: newStatus(feed.SourceArxiv, len(cfg.ArxivCategories) > 0),
		hfLoaded:    newLoaded(),
		arxivLoaded: newLoaded(),
	}
	s.hf = &hfSource{
		client: hf, store: store, days: cfg.Days, refreshPast: cfg.RefreshPast,
		status: s.hfStatus, obs: obs, log: log, now: now, onLoad: s.hfLoaded.mark,
	}
	s.arxiv = &arxivSource{
		client: arxiv, store: store, categories: cfg.ArxivCategories, status: s.arxivStatus,
		obs: obs, log: log, now: now, onLoad: s.arxivLoaded.mark,
	}
	s.enricher = newEnricher(arxiv, store, obs, log, now)
	s.enricher.onChange = onChange
	s.past = &Past{
		client: hf, store: store, obs: obs, log: log, now: now, refresh: cfg.Refresh, timeout: cfg.Timeout,
		wait: cfg.PastWait, budget: rate.NewLimiter(rate.Every(PastRefill), pastBurst),
		fetched: map[string]time.Time{}, attempted: map[string]time.Time{},
	}
	return s
}

// Start launches the pollers; they stop when ctx ends.
func (s *Service) Start(ctx context.Context) {
	arxiv := len(s.cfg.ArxivCategories) > 0
	if arxiv {
		go s.enricher.run(ctx)
		ax := &poller{name: feed.SourceArxiv, interval: s.cfg.ArxivRefresh, minBackoff: min(30*time.Second, s.cfg.ArxivRefresh),
			maxWait: s.cfg.RefreshPast, refresh: s.RefreshArxiv, status: s.arxivStatus, log: s.log, now: s.now}
		go ax.run(ctx)
	}
	p := &poller{name: feed.SourceHF, interval: s.cfg.Refresh, minBackoff: min(5*time.Second, s.cfg.Refresh),
		maxWait: s.cfg.RefreshPast, refresh: s.RefreshHF, status: s.hfStatus, log: s.log, now: s.now}
	go p.run(ctx)
}

// RefreshHF runs one refresh of the HF window (the poller's step). later
// asks the poller to wait longer than its interval.
func (s *Service) RefreshHF(ctx context.Context) (later time.Duration, err error) {
	s.hfStatus.attempt(s.now())
	later, err = s.hf.refresh(ctx)
	s.hfStatus.finish(s.now(), err)
	s.onChange()
	if len(s.cfg.ArxivCategories) > 0 {
		s.enricher.poke()
	}
	return later, err
}

// RefreshArxiv runs one check of the arXiv feed.
func (s *Service) RefreshArxiv(ctx context.Context) (later time.Duration, err error) {
	s.arxivStatus.attempt(s.now())
	later, err = s.arxiv.refresh(ctx)
	s.arxivStatus.finish(s.now(), err)
	s.onChange()
	return later, err
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
