package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/engine"
	"paperfeed/internal/notify"
	"paperfeed/internal/refresh"
	"paperfeed/internal/server/mailweb"
	"paperfeed/internal/source"
	"paperfeed/internal/state"
	"paperfeed/scrape"
)

// Service is paperfeed assembled: the store, the refresh side that
// fills it from the upstreams, the engine that answers queries over it,
// and the HTTP side.
type Service struct {
	Config  Config
	Log     *slog.Logger
	Store   *feed.Store
	Refresh *refresh.Service
	Engine  *engine.Engine
	HTTP    *Server
	// Notify sends the notify file's subscriptions (nil without one).
	Notify *notify.Notifier
	wake   chan struct{} // a data change, for the notifier
	pub    chan struct{} // a data change, for WebSub
}

// New wires the service: logs go to logs in the configured format; now
// is the clock; backend keeps the state across restarts (nil: memory
// only); topics are the saved filters served under /topics/.
func New(cfg Config, logs io.Writer, now func() time.Time, backend state.Backend, topics []Topic) *Service {
	log := NewLogger(cfg, logs)
	if backend == nil {
		backend = state.NewMemory()
	}
	store := feed.NewStore(cfg.Days, cfg.ArxivDays, now)
	client := scrape.NewHTTPClient(cfg.Timeout)
	ua := scrape.UserAgent(Version, cfg.Contact)
	limiter := func(interval time.Duration) *scrape.Limiter {
		// Holds every request while the upstream asks to slow down, at
		// most -refresh-past at a time, on the service's clock.
		return &scrape.Limiter{Interval: interval, MaxBackoff: cfg.RefreshPast, Now: now}
	}
	hf := &scrape.HFClient{Base: cfg.HFURL, Token: cfg.HFToken, Fetcher: &scrape.Fetcher{
		Client: client, UserAgent: ua, Timeout: cfg.Timeout, Limiter: limiter(cfg.HFInterval),
	}}
	// The API has a rate bucket of its own (5x the pages'): its own
	// limiter, the same spacing, shared by the listings and the
	// per-paper look-ups.
	apiLimiter := limiter(cfg.HFInterval)
	if cfg.HFAPI {
		hf.API = &scrape.Fetcher{Client: client, UserAgent: ua, Timeout: cfg.Timeout, Limiter: apiLimiter}
	}
	if cfg.HFArtifacts {
		hf.PaperAPI = &scrape.Fetcher{Client: client, UserAgent: ua, Timeout: cfg.Timeout, Limiter: apiLimiter, MaxBytes: 4 << 20}
	}
	arxiv := &scrape.ArxivClient{RSSBase: cfg.ArxivRSSURL, APIURL: cfg.ArxivAPIURL, Fetcher: &scrape.Fetcher{
		Client: client, UserAgent: ua, Timeout: cfg.Timeout,
		Limiter: limiter(cfg.ArxivInterval), // one limiter for all arXiv hosts
	}}
	svc := &Service{Config: cfg, Log: log, Store: store, wake: make(chan struct{}, 1), pub: make(chan struct{}, 1)}
	m := newMetrics()
	rc := refresh.Config{
		Refresh: cfg.Refresh, RefreshPast: cfg.RefreshPast, Days: cfg.Days, ArxivDays: cfg.ArxivDays,
		ArxivCategories: cfg.ArxivCategories, ArxivRefresh: cfg.ArxivRefresh, Timeout: cfg.Timeout,
		PastWait: cfg.PastWait, Retention: cfg.Retention, Lease: cfg.RedisLease, FallbackLocal: cfg.RedisFallback == "local",
	}
	up := refresh.Upstreams{HF: hf, Arxiv: arxiv}
	svc.Refresh = refresh.New(rc, store, backend, up, source.Registered(rc, up), m, log, now, func() {
		svc.Engine.WarmIndex()
		for _, c := range []chan struct{}{svc.wake, svc.pub} {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	})
	svc.Engine = engine.New(store, svc.Refresh, now, max(cfg.Days, cfg.ArxivDays))
	m.watchCluster(svc.Refresh)
	m.watchSources(svc.Refresh)
	svc.HTTP = newHTTPSide(cfg, log, newAccessLog(cfg, logs), m, svc.Engine, svc.Refresh, topics, backend)
	svc.HTTP.mail = mailweb.NewSide(cfg.SMTP, messageBase(cfg), backend, now, svc.Engine.Options)
	return svc
}

// Handler is the HTTP side: every route.
func (s *Service) Handler() http.Handler { return s.HTTP.routes() }

// Start launches the refresh side; it stops when ctx ends.
func (s *Service) Start(ctx context.Context) {
	s.Refresh.Start(ctx)
	if s.Notify != nil {
		go s.Notify.Loop(ctx, s.wake, 15*time.Second)
	}
	if w := s.HTTP.websub; w != nil {
		go w.loop(ctx, s.pub, s.Handler(), s.Engine.Now)
	}
}

// Close writes what the state lacks and closes it, and flushes the
// access log. Stop serving first.
func (s *Service) Close() error {
	s.HTTP.access.Close()
	return s.Refresh.Close()
}

// NewLogger is the service's logger, in the configured level and format.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Version is the service's version, stamped at build time with
// -ldflags "-X paperfeed/internal/server.Version=...".
var Version = "dev"

// notLoaded is the answer to a feed whose source has not loaded yet:
// what is happening or what failed, when the next attempt is, and where
// to look; and how long the reader should wait (until that attempt).
// shared is the replicas' coordination, when the state is shared.
func notLoaded(source string, st refresh.SourceState, shared *refresh.ClusterState, now time.Time) (string, time.Duration) {
	name := "Hugging Face"
	if source == feed.SourceArxiv {
		name = "arXiv"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no data loaded yet from %s: ", name)
	switch {
	case shared != nil && shared.Role == "follower" && shared.LastError != "":
		fmt.Fprintf(&b, "the shared state store is unreachable since %s UTC (%s); this replica serves what the leading one writes once it can read it",
			shared.ErrorAt.UTC().Format(time.TimeOnly), shared.LastError)
	case shared != nil && shared.Role == "follower":
		b.WriteString("waiting for the shared state the leading replica writes")
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

// feedCacheControl: fresh for half the refresh interval, then served
// stale while revalidating for a whole interval.
func feedCacheControl(refresh time.Duration) []string {
	maxAge := int(refresh.Seconds() / 2)
	return []string{"public, max-age=" + strconv.Itoa(maxAge) + ", stale-while-revalidate=" + strconv.Itoa(int(refresh.Seconds()))}
}
