package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// arxivSource keeps the last N arXiv announcement days of the followed
// categories: one combined feed fetched conditionally, honouring its
// Cache-Control max-age. A weekend or holiday answer (an empty channel)
// changes nothing, so the arXiv part of feeds never empties. When the
// feed's announcement day stops advancing on a weekday, the status says
// so.
type arxivSource struct {
	client     *scrape.ArxivClient
	store      *feed.Store
	categories []string
	status     *sourceStatus
	metrics    *metrics
	log        *slog.Logger
	now        func() time.Time
	onLoad     func()

	newest time.Time // newest announcement day seen
}

// maxArxivWait bounds how long a Cache-Control max-age may postpone the
// next check.
const maxArxivWait = 12 * time.Hour

func (s *arxivSource) refresh(ctx context.Context) (time.Duration, error) {
	res, err := s.client.Feed(ctx, s.categories)
	switch {
	case err != nil:
		s.metrics.upstreamFetch("arxiv", err)
		return 0, err
	case res.NotModified:
		s.metrics.upstream.WithLabelValues("arxiv", "not_modified").Inc()
	default:
		s.metrics.upstreamFetch("arxiv", nil)
		if len(res.Feed.Papers) > 0 && !res.Feed.Day.IsZero() {
			s.store.PutArxivDay(res.Feed.Day, res.Feed.Papers)
			if res.Feed.Day.After(s.newest) {
				s.newest = res.Feed.Day
			}
			if s.onLoad != nil {
				s.onLoad()
			}
		}
	}
	s.checkStale()
	s.publishStatus()
	return min(res.MaxAge, maxArxivWait), nil
}

// expectedDay is the newest announcement day the feed should show at t:
// arXiv announces Sunday to Thursday at 20:00 US Eastern, and the feed
// carries the next weekday's date. Holidays make this an upper bound.
func expectedDay(t time.Time) time.Time {
	et := t.UTC().Add(-4 * time.Hour) // US Eastern (daylight time); an hour off in winter is harmless here
	d := time.Date(et.Year(), et.Month(), et.Day(), 0, 0, 0, 0, time.UTC)
	if et.Hour() >= 21 { // the evening mailing carries tomorrow's date
		d = d.AddDate(0, 0, 1)
	}
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

func (s *arxivSource) checkStale() {
	var stale []string
	if !s.newest.IsZero() {
		if want := expectedDay(s.now()); s.newest.Before(want) {
			msg := fmt.Sprintf("feed %s still shows %s, expected %s (an arXiv holiday, or the feed stopped advancing)",
				strings.Join(s.categories, "+"), s.newest.Format(time.DateOnly), want.Format(time.DateOnly))
			stale = append(stale, msg)
			if wd := s.now().UTC().Weekday(); wd != time.Saturday && wd != time.Sunday {
				s.log.Warn("arXiv announcement day is not advancing", "categories", s.categories,
					"newest", s.newest.Format(time.DateOnly), "expected", want.Format(time.DateOnly))
			}
		}
	}
	s.status.update(func(st *statusJSON) { st.Stale = stale })
}

func (s *arxivSource) publishStatus() {
	v := s.store.View()
	publishHeld(s.status, s.metrics, "arxiv", v, v.ArxivDays)
}

// enricher looks up the arXiv categories of HF papers with the API, in
// batches, once per paper for the life of the process (categories do not
// change). It runs when kicked (after an HF refresh) and retries failed
// look-ups on its next kick.
type enricher struct {
	client  *scrape.ArxivClient
	store   *feed.Store
	metrics *metrics
	log     *slog.Logger
	kick    chan struct{}
	// onChange runs after categories were stored (rebuilds the index).
	onChange func()

	mu    sync.Mutex
	tried map[string]time.Time // IDs the API answered without, and when
	now   func() time.Time
}

// retryUnknown is how long an ID the API did not know is left alone (a
// new paper can take a day to reach the API; an overloaded API can answer
// empty).
const retryUnknown = 24 * time.Hour

func newEnricher(c *scrape.ArxivClient, s *feed.Store, m *metrics, log *slog.Logger) *enricher {
	return &enricher{client: c, store: s, metrics: m, log: log, kick: make(chan struct{}, 1), tried: map[string]time.Time{}, now: time.Now}
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
		e.metrics.upstreamFetch("arxiv_api", err)
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
