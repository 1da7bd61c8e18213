// Package artifacts is the source of the models, datasets and Spaces
// Hugging Face links to the window's papers, counted on a slow schedule
// of per-paper look-ups.
package artifacts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
	"paperfeed/scrape"
)

// Plugin registers the counts, every Interval, after the window's first
// load; off when the per-paper API is not asked (-hf-artifacts=false).
func Plugin(_ refresh.Config, up refresh.Upstreams) refresh.Plugin {
	return refresh.Plugin{
		Spec: refresh.Spec{Name: Name, Label: "linked artifacts", Enabled: up.HF.PaperAPI != nil,
			Interval: Interval, MinBackoff: time.Minute, After: feed.SourceHF},
		New: func(env refresh.Env) refresh.Source {
			return &source{client: up.HF, store: env.Store, status: env.Status, obs: env.Obs, log: env.Log, now: env.Now}
		},
	}
}

// source counts the models, datasets and Spaces Hugging Face
// links to the window's papers, one /api/papers/{id} request per paper,
// on a slow schedule (the per-paper API shares the JSON API's rate
// bucket, 500 requests per 5 minutes anonymous, with the listings):
//
//   - every Interval (10 minutes) a run checks at most MaxChecks
//     papers (30: at most 180 an hour);
//   - papers never checked come first, newest listing first; then papers
//     listed in the last two days whose count is older than
//     recheckRecent (6 h); then older window papers whose count is older
//     than recheckOld (24 h);
//   - a paper HF has no page for (404) counts as none, checked, and the
//     run says how many in the log; a run whose every look-up (at least
//     minAll404) answered 404 is a failure that counts nothing (a mirror
//     without the per-paper API, a moved endpoint), retried with backoff;
//   - a 429 or 503 stops the run, and the shared limiter holds every HF
//     API request until its Retry-After.
//
// Counts go to the store as look-ups (feed.Extra), and from there into
// each paper's history, so "first model released" is dated.
type source struct {
	client *scrape.HFClient
	store  *feed.Store
	status *refresh.Status
	obs    refresh.Observer
	log    *slog.Logger
	now    func() time.Time
}

// Name names the linked-artifact counts in logs, /status, metrics and
// the saved state.
const Name = "hf_artifacts"

const (
	// Interval is how often the counts run.
	Interval = 10 * time.Minute
	// MaxChecks bounds one run's requests.
	MaxChecks     = 30
	recheckRecent = 6 * time.Hour
	recheckOld    = 24 * time.Hour
	recentListing = 48 * time.Hour
)

// due lists the papers whose counts are due, most needed first.
func (s *source) due(now time.Time) []string {
	type cand struct {
		id     string
		rank   int // 0 never checked, 1 recent, 2 older
		listed time.Time
		last   time.Time
	}
	var cs []cand
	for _, p := range s.store.View().Papers {
		if !p.OnHF {
			continue
		}
		// The look-up's time, not the view's: a view keeps a paper whose
		// counts did not change as it was.
		c := cand{id: p.ID, listed: p.ListedOn}
		if x, ok := s.store.Extra(p.ID); ok && x.Artifacts != nil {
			c.last = x.Artifacts.Checked
		}
		recent := now.Sub(p.ListedOn) < recentListing
		switch {
		case c.last.IsZero():
			c.rank = 0
		case recent && now.Sub(c.last) >= recheckRecent:
			c.rank = 1
		case !recent && now.Sub(c.last) >= recheckOld:
			c.rank = 2
		default:
			continue
		}
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.rank == 0 && !a.listed.Equal(b.listed) {
			return a.listed.After(b.listed)
		}
		if !a.last.Equal(b.last) {
			return a.last.Before(b.last)
		}
		return a.id < b.id
	})
	ids := make([]string, 0, min(len(cs), MaxChecks))
	for _, c := range cs[:min(len(cs), MaxChecks)] {
		ids = append(ids, c.id)
	}
	return ids
}

// minAll404 is how many look-ups of one run must all answer 404 for the
// run to count as failed rather than as papers without a page.
const minAll404 = 5

// Refresh checks the papers due. It fails when no check succeeded (or HF
// asked to slow down, or every look-up answered 404); single failures
// are retried next run.
func (s *source) Refresh(ctx context.Context) (time.Duration, error) {
	var errs []error
	var run refresh.RunCounts
	found := map[string]feed.Extra{}
	var first404 error
	for _, id := range s.due(s.now()) {
		run.Checked++
		info, err := s.client.PaperInfo(ctx, id)
		s.obs.Fetch(Name, err)
		switch {
		case scrape.NotFound(err):
			run.NotFound++
			if first404 == nil {
				first404 = err
			}
			info = scrape.HFPaperInfo{ID: id} // no page on HF: nothing linked
		case err != nil:
			run.Failed++
			errs = append(errs, err)
			if scrape.Throttled(err) || ctx.Err() != nil || isBackoff(err) {
				return 0, s.put(found, run, errors.Join(errs...), true)
			}
			continue
		}
		a := info.Artifacts()
		a.Checked = s.now()
		found[id] = feed.Extra{Artifacts: &a}
	}
	if run.NotFound > 0 && run.NotFound == run.Checked && run.NotFound >= minAll404 {
		// Not papers without a page: the API is not where it is asked.
		err := fmt.Errorf("all %d linked-artifact look-ups answered 404 Not Found (is the per-paper API /api/papers/ID served at -hf-url?); nothing counted: %w",
			run.NotFound, first404)
		return 0, s.put(nil, run, err, true)
	}
	run.Found = run.Checked - run.NotFound - run.Failed
	if run.NotFound > 0 {
		s.log.Info("linked artifacts: papers without a page on Hugging Face (404) counted as none",
			"not_found", run.NotFound, "checked", run.Checked)
	}
	return 0, s.put(found, run, errors.Join(errs...), false)
}

// put stores what a run found and shows the run; the run failed when
// nothing was found and something failed, or when it was told to stop.
func (s *source) put(found map[string]feed.Extra, run refresh.RunCounts, err error, stopped bool) error {
	s.store.PutExtras(found)
	s.Publish()
	s.status.Update(func(st *refresh.SourceState) { st.LastRun = &run })
	if err != nil && len(found) > 0 && !stopped {
		s.log.Warn("some linked-artifact counts failed; retrying next run", "checked", len(found), "error", err)
		return nil
	}
	return err
}

func isBackoff(err error) bool {
	var be *scrape.BackoffError
	return errors.As(err, &be)
}

// Keep and Resume: the schedule the service saves is all this source
// needs (the counts are saved as look-ups).
func (s *source) Keep(*refresh.Schedule)  {}
func (s *source) Resume(refresh.Schedule) {}

// Holds reports whether the view holds window papers to count: their
// restored counts are then loaded.
func (s *source) Holds(v *feed.View) bool { return len(v.HFDays) > 0 }

// Publish shows how many window papers have counts.
func (s *source) Publish() {
	n := 0
	for _, p := range s.store.View().Papers {
		if p.Artifacts.Known() {
			n++
		}
	}
	s.status.Update(func(st *refresh.SourceState) { st.Items = n })
}
