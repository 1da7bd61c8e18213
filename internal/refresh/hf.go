package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// hfSource keeps the rolling window of Hugging Face listing days in the
// store. Each refresh fetches the newest day; the whole window is walked
// (newest to oldest, following each page's previous-day link) at start,
// when a new day appears, and every refreshPast, because upvotes and
// comments keep changing for days.
type hfSource struct {
	client      *scrape.HFClient
	store       *feed.Store
	days        int
	refreshPast time.Duration
	status      *Status
	obs         Observer
	views       *hfViews
	log         *slog.Logger
	now         func() time.Time
	onLoad      func()

	mu       sync.Mutex
	newest   time.Time // newest listing day seen
	lastWalk time.Time // when the window was last walked completely
}

// Name is feed.SourceHF.
func (s *hfSource) Name() string { return feed.SourceHF }

// Refresh fetches the newest listing day, and the whole window when it
// is due.
func (s *hfSource) Refresh(ctx context.Context) (time.Duration, error) {
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
func (s *hfSource) walk(ctx context.Context, latest scrape.Listing) error {
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
func (s *hfSource) fetch(kind string, get func() (scrape.Listing, error)) (scrape.Listing, error) {
	l, err := get()
	period := kind
	if !l.Date.IsZero() {
		period = "day/" + l.Date.Format(time.DateOnly)
	}
	s.views.note(period, l, err)
	if err == nil && l.FromCards {
		s.log.Warn("listing page had no readable JSON props; read the cards instead (less data)", "kind", kind, "date", l.Date.Format(time.DateOnly))
	}
	return l, err
}

func (s *hfSource) put(l scrape.Listing) {
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
func (s *hfSource) Publish() {
	v := s.store.View()
	publishHeld(s.status, s.obs, feed.SourceHF, v, v.HFDays)
}

// Keep saves the newest day and the last walk of the window.
func (s *hfSource) Keep(sc *Schedule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc.Newest, sc.LastWalk = s.newest, s.lastWalk
}

// Resume resumes from a saved schedule.
func (s *hfSource) Resume(sc Schedule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.newest, s.lastWalk = sc.Newest, sc.LastWalk
}
