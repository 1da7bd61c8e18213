package refresh

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// A Source is one upstream the refresh side keeps the store filled
// from, on a schedule of its own: the Hugging Face window, the arXiv
// category feed, the linked-artifact counts. Each lives in a package of
// its own under internal/source and is registered there in one list
// (source.Registered); the service holds that list and knows no source
// by name. It polls each one, with backoff and Retry-After, says how it
// goes in its Status, and saves its Schedule with the state, so a
// restart resumes it.
type Source interface {
	// Refresh fetches what is due and puts it in the store; later asks
	// for more time than the interval before the next refresh (arXiv's
	// Cache-Control max-age).
	Refresh(ctx context.Context) (later time.Duration, err error)
	// Keep adds what the source remembers of its fetches to the schedule
	// the state saves; Resume takes it back at start.
	Keep(sc *Schedule)
	Resume(sc Schedule)
	// Holds reports whether a view restored from the state holds data of
	// the source: it then counts as loaded at start.
	Holds(v *feed.View) bool
	// Publish shows what the store holds of the source in its status.
	Publish()
}

// Spec is what the service needs to know of a source to run it.
type Spec struct {
	// Name names the source in logs, /status, metrics and the saved
	// state (feed.SourceHF, feed.SourceArxiv, "hf_artifacts").
	Name string
	// Label names it for people, in log lines ("Hugging Face").
	Label   string
	Enabled bool
	// Interval is the time between refreshes; MinBackoff the first wait
	// after a failure (doubling up to Interval).
	Interval, MinBackoff time.Duration
	// Lists is set for a source of listing days: readers wait for its
	// first load, a start has settled once it completed, the arXiv
	// look-ups run after each of its refreshes, and the one-shot export
	// (RefreshDue) needs it. A source that only adds to papers held
	// (counts, look-ups) is loaded by its first success.
	Lists bool
	// After names a source whose first load this one's first refresh
	// waits for (the counts of the window's papers wait for the window).
	After string
	// Keys is the prefix of the state entries the source's data is
	// saved under, when their fetch time is the source's last success
	// (feed.KeyArxiv); empty: saved as soon as fetched.
	Keys string
}

// Env is what the service gives a source it makes: the store, the
// source's status, the observer, the log and the clock, and Loaded, to
// call once the source put data in the store.
type Env struct {
	Store  *feed.Store
	Status *Status
	Obs    Observer
	Log    *slog.Logger
	Now    func() time.Time
	Loaded func()
}

// A Plugin is a source as it is registered: its Spec, and how to make it
// once the service has made its status.
type Plugin struct {
	Spec Spec
	New  func(Env) Source
}

// Upstreams are the clients of the loaders the service runs on demand,
// beside the sources: past Hugging Face listings (Past) and arXiv's
// records of papers (seeds, categories, versions).
type Upstreams struct {
	HF    *scrape.HFClient
	Arxiv *scrape.ArxivClient
}

// Schedule is what the state remembers of a source's fetches, so that a
// restart resumes the schedule instead of fetching everything again.
type Schedule struct {
	Newest      time.Time `json:"newest,omitzero"`       // newest listing or announcement day seen
	LastWalk    time.Time `json:"last_walk,omitzero"`    // HF: window last walked completely
	LastSuccess time.Time `json:"last_success,omitzero"` // last refresh that succeeded
	NextDue     time.Time `json:"next_due,omitzero"`     // when the next refresh is due
	// Wait is how long after LastSuccess the source itself asked to be
	// left alone (arXiv's max-age), beyond the interval: the next refresh
	// is due at LastSuccess plus the longer of Wait and the interval of
	// the running process, so a changed interval applies at once.
	Wait       time.Duration        `json:"wait,omitempty"`
	Validators map[string][2]string `json:"validators,omitempty"` // arXiv: ETag, Last-Modified per URL
	// The outcomes /status and /metrics show, kept so that a restart
	// does not forget them (see Status.history).
	LastAttempt   time.Time `json:"last_attempt,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorAt   time.Time `json:"last_error_at,omitzero"`
	Failures      int       `json:"failures,omitempty"`       // in a row, since the last success
	FailuresTotal int64     `json:"failures_total,omitempty"` // ever
}

func (s Schedule) encode() []byte {
	b, _ := json.Marshal(s)
	return b
}

func decodeSchedule(b []byte) Schedule {
	var s Schedule
	_ = json.Unmarshal(b, &s) // an unreadable schedule is a fresh start
	return s
}

// polled is a source with what the service keeps of it: how often it
// runs, its status, its first-load signal and its schedule.
type polled struct {
	spec       Spec
	src        Source
	enabled    bool
	interval   time.Duration
	minBackoff time.Duration
	status     *Status
	loaded     *Loaded
	// settled is closed once the source's first load is complete: its
	// first refresh ended (whatever came of it), or the state restored
	// says one succeeded.
	settled *Loaded
	// fetched is set once a refresh of this run succeeded.
	fetched atomic.Bool

	mu    sync.Mutex
	sched Schedule
}

// current reports whether what the source holds is as new as it can
// be: a refresh of this run succeeded, or the state restored is recent
// (its next refresh is not due yet).
func (p *polled) current(now time.Time) bool {
	if !p.enabled || p.fetched.Load() {
		return true
	}
	due := p.nextDue()
	return p.settled.Done() && !due.IsZero() && now.Before(due)
}

// scheduled records a refresh's outcome: after a success the next one
// is due after the interval, or later when the source asked to wait
// longer.
func (p *polled) scheduled(now time.Time, err error, later time.Duration) {
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sched.LastSuccess, p.sched.Wait = now, later
	p.sched.NextDue = now.Add(max(later, p.interval))
}

// schedule is the schedule to save: the service's part and the
// source's.
func (p *polled) schedule() Schedule {
	p.mu.Lock()
	sc := p.sched
	p.mu.Unlock()
	p.status.history(&sc)
	p.src.Keep(&sc)
	return sc
}

// resume takes a saved schedule back.
func (p *polled) resume(sc Schedule) {
	p.mu.Lock()
	p.sched = sc
	p.mu.Unlock()
	p.status.restore(sc)
	p.src.Resume(sc)
}

// nextDue is when the schedule says the next refresh is due (zero: at
// once, and always at once for a source that holds nothing yet).
func (p *polled) nextDue() time.Time {
	if !p.loaded.Done() {
		return time.Time{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sched.LastSuccess.IsZero() {
		return p.sched.NextDue
	}
	// The interval of this run, not of the run that saved the schedule:
	// a lowered -refresh applies at once after a restart.
	return p.sched.LastSuccess.Add(max(p.sched.Wait, p.interval))
}

// lastSuccess is when the source last refreshed without error.
func (p *polled) lastSuccess() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sched.LastSuccess
}

// refresh runs one refresh of the source, keeping its status and
// schedule, and saying in the log when it loaded or changed the data.
func (p *polled) refresh(ctx context.Context, store *feed.Store, log *slog.Logger, now func() time.Time) (time.Duration, error) {
	start, before, wasLoaded := now(), store.View().Version, p.loaded.Done()
	p.status.attempt(start)
	later, err := p.src.Refresh(ctx)
	p.settled.mark()
	if err == nil {
		p.fetched.Store(true)
	}
	end := now()
	p.status.finish(end, err)
	p.scheduled(end, err, later)
	changed := store.View().Version != before
	if err != nil {
		return later, err
	}
	st := p.status.Snapshot()
	if !p.spec.Lists {
		p.loaded.mark()
		if changed {
			log.Debug(p.spec.Label+" refreshed", "papers_counted", st.Items)
		}
		return later, err
	}
	if !changed {
		return later, err
	}
	// One line when the source first loads and on each refresh that
	// changed the data ("Hugging Face loaded: 7 days, 312 papers, from
	// page+api in 4.1s"): an operator sees success, not only failures
	// and access lines.
	what := "refreshed"
	if !wasLoaded {
		what = "loaded"
	}
	attrs := []any{"days", len(st.Days), "papers", st.Items, "took", now().Sub(start).Round(100 * time.Millisecond)}
	if len(st.Views) > 0 {
		attrs = append(attrs, "from", st.Views[0].Served)
	}
	log.Info(p.spec.Label+" "+what, attrs...)
	return later, err
}
