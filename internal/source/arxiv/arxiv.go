// Package arxiv is the source of the followed arXiv categories' last
// announcement days: one combined feed fetched conditionally, honouring
// its Cache-Control max-age. A weekend or holiday answer (an empty
// channel) changes nothing, so the arXiv part of feeds never empties.
// When the feed's announcement day stops advancing on a weekday, the
// status says so. arXiv's records of papers (categories, versions,
// seeds) are refresh's look-ups, not this source's.
package arxiv

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
	"paperfeed/scrape"
)

// Plugin registers the feed of cfg.ArxivCategories, checked every
// cfg.ArxivRefresh; off when no category is followed.
func Plugin(cfg refresh.Config, up refresh.Upstreams) refresh.Plugin {
	return refresh.Plugin{
		Spec: refresh.Spec{Name: feed.SourceArxiv, Label: "arXiv", Enabled: len(cfg.ArxivCategories) > 0, Lists: true,
			Interval: cfg.ArxivRefresh, MinBackoff: min(30*time.Second, cfg.ArxivRefresh), Keys: feed.KeyArxiv},
		New: func(env refresh.Env) refresh.Source {
			return &source{client: up.Arxiv, store: env.Store, categories: cfg.ArxivCategories, status: env.Status,
				obs: env.Obs, log: env.Log, now: env.Now, onLoad: env.Loaded}
		},
	}
}

// source keeps the last announcement days of the followed categories.
type source struct {
	client     *scrape.ArxivClient
	store      *feed.Store
	categories []string
	status     *refresh.Status
	obs        refresh.Observer
	log        *slog.Logger
	now        func() time.Time
	onLoad     func()

	mu     sync.Mutex
	newest time.Time // newest announcement day seen
}

// maxArxivWait bounds how long a Cache-Control max-age may postpone the
// next check.
const maxArxivWait = 12 * time.Hour

// Refresh checks the combined feed of the followed categories.
func (s *source) Refresh(ctx context.Context) (time.Duration, error) {
	res, err := s.client.Feed(ctx, s.categories)
	switch {
	case err != nil:
		s.obs.Fetch(feed.SourceArxiv, err)
		return 0, err
	case res.NotModified:
		s.obs.NotModified(feed.SourceArxiv)
	default:
		s.obs.Fetch(feed.SourceArxiv, nil)
		if len(res.Feed.Papers) > 0 && !res.Feed.Day.IsZero() {
			s.store.PutArxivDay(res.Feed.Day, res.Feed.Papers)
			s.mu.Lock()
			if res.Feed.Day.After(s.newest) {
				s.newest = res.Feed.Day
			}
			s.mu.Unlock()
			if s.onLoad != nil {
				s.onLoad()
			}
		}
	}
	s.checkStale()
	s.Publish()
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

func (s *source) checkStale() {
	var stale []string
	s.mu.Lock()
	newest := s.newest
	s.mu.Unlock()
	if !newest.IsZero() {
		if want := expectedDay(s.now()); newest.Before(want) {
			msg := fmt.Sprintf("feed %s still shows %s, expected %s (an arXiv holiday, or the feed stopped advancing)",
				strings.Join(s.categories, "+"), newest.Format(time.DateOnly), want.Format(time.DateOnly))
			stale = append(stale, msg)
			if wd := s.now().UTC().Weekday(); wd != time.Saturday && wd != time.Sunday {
				s.log.Warn("arXiv announcement day is not advancing", "categories", s.categories,
					"newest", newest.Format(time.DateOnly), "expected", want.Format(time.DateOnly))
			}
		}
	}
	s.status.Update(func(st *refresh.SourceState) { st.Stale = stale })
}

// Publish shows the days and papers held in the status.
func (s *source) Publish() {
	v := s.store.View()
	refresh.PublishHeld(s.status, s.obs, feed.SourceArxiv, v, v.ArxivDays, func(p *feed.Paper) bool { return p.OnArxiv })
}

// Holds reports whether the view holds announcement days.
func (s *source) Holds(v *feed.View) bool { return len(v.ArxivDays) > 0 }

// Keep saves the newest announcement day and the feed's validators
// (ETag, Last-Modified), so a restart asks conditionally.
func (s *source) Keep(sc *refresh.Schedule) {
	s.mu.Lock()
	sc.Newest = s.newest
	s.mu.Unlock()
	sc.Validators = s.client.Validators()
}

// Resume resumes from a saved schedule.
func (s *source) Resume(sc refresh.Schedule) {
	s.mu.Lock()
	s.newest = sc.Newest
	s.mu.Unlock()
	if len(sc.Validators) > 0 {
		s.client.SetValidators(sc.Validators)
	}
}
