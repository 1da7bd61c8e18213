// Package hf is the source of the rolling window of Hugging Face
// listing days: each refresh fetches the newest day; the whole window is
// walked (newest to oldest, following each page's previous-day link) at
// start, when a new day appears, and every -refresh-past, because
// upvotes and comments keep changing for days. Past days, weeks and
// months outside the window are refresh.Past's, on demand.
package hf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
	"paperfeed/scrape"
)

// Plugin registers the window: its newest day every cfg.Refresh, the
// whole window every cfg.RefreshPast.
func Plugin(cfg refresh.Config, up refresh.Upstreams) refresh.Plugin {
	return refresh.Plugin{
		Spec: refresh.Spec{Name: feed.SourceHF, Label: "Hugging Face", Enabled: true, Lists: true,
			Interval: cfg.Refresh, MinBackoff: min(5*time.Second, cfg.Refresh)},
		New: func(env refresh.Env) refresh.Source {
			return &window{client: up.HF, store: env.Store, days: cfg.Days, refreshPast: cfg.RefreshPast, status: env.Status,
				obs: env.Obs, views: refresh.NewListingViews(env, up.HF.API != nil), log: env.Log, now: env.Now, onLoad: env.Loaded}
		},
	}
}

// window keeps the rolling window of Hugging Face listing days in the
// store.
type window struct {
	client      *scrape.HFClient
	store       *feed.Store
	days        int
	refreshPast time.Duration
	status      *refresh.Status
	obs         refresh.Observer
	views       *refresh.ListingViews
	log         *slog.Logger
	now         func() time.Time
	onLoad      func()

	mu       sync.Mutex
	newest   time.Time // newest listing day seen
	lastWalk time.Time // when the window was last walked completely
}

// Refresh fetches the newest listing day, and the whole window when it
// is due.
func (s *window) Refresh(ctx context.Context) (time.Duration, error) {
	latest, err := s.fetch("latest", func() (scrape.Listing, error) { return s.client.Latest(ctx, feed.DayOf(s.now())) })
	if err != nil {
		return 0, err
	}
	if latest.Date.IsZero() {
		// /papers showed a week, month or undated view: ask for today's
		// day page instead (HF answers with the newest papers-day).
		today := feed.DayOf(s.now())
		latest, err = s.fetch("day", func() (scrape.Listing, error) { return s.client.Day(ctx, today) })
		if err != nil {
			return 0, err
		}
		if latest.Date.IsZero() {
			return 0, fmt.Errorf("newest listing page: %w", errNoDate)
		}
	}
	s.put(latest)
	s.mu.Lock()
	newDay := latest.Date.After(s.newest)
	if newDay {
		s.newest = latest.Date
	}
	walked := !s.lastWalk.IsZero() && s.now().Sub(s.lastWalk) < s.refreshPast
	s.mu.Unlock()
	if !newDay && walked {
		s.Publish()
		return 0, nil
	}
	err = s.walk(ctx, latest)
	if err == nil {
		s.mu.Lock()
		s.lastWalk = s.now()
		s.mu.Unlock()
	}
	s.Publish()
	return 0, err
}

var errNoDate = errors.New("the page states no listing date")

// walk fetches the older days of the window, following previous-day
// links, so weekends and holidays (HF serves the previous papers-day for
// them) are skipped and no day is fetched twice.
func (s *window) walk(ctx context.Context, latest scrape.Listing) error {
	seen := map[time.Time]bool{latest.Date: true}
	prev := latest.PrevDate
	if prev.IsZero() {
		prev = latest.Date.AddDate(0, 0, -1)
	}
	var errs []error
	for tries := 0; len(seen) < s.days && tries < s.days*3; tries++ {
		day := prev
		l, err := s.fetch("day", func() (scrape.Listing, error) { return s.client.Day(ctx, day) })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, scrape.ErrEmptyListing) {
			// The page failed and the API lists nothing that day (a weekend
			// or holiday): the page's fault is recorded, the walk goes on.
			prev = day.AddDate(0, 0, -1)
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("day %s: %w", day.Format(time.DateOnly), err))
			if scrape.Throttled(err) {
				break // told to slow down: the poller waits, honouring Retry-After
			}
			prev = day.AddDate(0, 0, -1)
			continue
		}
		if !seen[l.Date] && !l.Date.IsZero() {
			seen[l.Date] = true
			s.put(l)
		}
		switch {
		case !l.PrevDate.IsZero() && l.PrevDate.Before(day):
			prev = l.PrevDate
		case !l.Date.IsZero() && l.Date.Before(day):
			prev = l.Date.AddDate(0, 0, -1)
		default:
			prev = day.AddDate(0, 0, -1)
		}
	}
	return errors.Join(errs...)
}

// fetch runs one listing request, counting it and warning when the page
// had to be read from its cards.
func (s *window) fetch(kind string, get func() (scrape.Listing, error)) (scrape.Listing, error) {
	l, err := get()
	period := kind
	if !l.Date.IsZero() {
		period = "day/" + l.Date.Format(time.DateOnly)
	}
	s.views.Note(period, l, err)
	if err == nil && l.FromCards {
		s.log.Warn("listing page had no readable JSON props; read the cards instead (less data)", "kind", kind, "date", l.Date.Format(time.DateOnly))
	}
	return l, err
}

func (s *window) put(l scrape.Listing) {
	if len(l.Papers) == 0 || l.Date.IsZero() {
		return
	}
	if s.store.PutHFDay(l.Date, l.Papers) {
		s.log.Debug("hf day changed", "date", l.Date.Format(time.DateOnly), "papers", len(l.Papers))
	}
	if s.onLoad != nil {
		s.onLoad()
	}
}

// Publish shows the days and papers held in the status.
func (s *window) Publish() {
	v := s.store.View()
	refresh.PublishHeld(s.status, s.obs, feed.SourceHF, v, v.HFDays, func(p *feed.Paper) bool { return p.OnHF })
}

// Holds reports whether the view holds window days.
func (s *window) Holds(v *feed.View) bool { return len(v.HFDays) > 0 }

// Keep saves the newest day and the last walk of the window.
func (s *window) Keep(sc *refresh.Schedule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc.Newest, sc.LastWalk = s.newest, s.lastWalk
}

// Resume resumes from a saved schedule.
func (s *window) Resume(sc refresh.Schedule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.newest, s.lastWalk = sc.Newest, sc.LastWalk
}
