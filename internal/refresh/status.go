package refresh

import (
	"sync"
	"time"

	"paperfeed/feed"
)

// Status is what the operator sees of one upstream source: last
// success, last error, items held, staleness. It is safe for concurrent
// use.
type Status struct {
	mu sync.Mutex
	s  SourceState
	// changed is closed, and replaced, when a fetch starts or ends.
	changed chan struct{}
	// retryAt, set by the poller before each fetch, is when it will try
	// again if the fetch fails: a failure is recorded with its next
	// attempt at once, never as an error without a retry time.
	retryAt func(err error) time.Time
}

// SourceState is a snapshot of a source's Status, as /status shows it.
type SourceState struct {
	Source      string    `json:"source"`
	Enabled     bool      `json:"enabled"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Failures    int       `json:"consecutive_failures"`
	// FailuresTotal counts every failed refresh, across restarts (it is
	// kept with the schedule in the state).
	FailuresTotal int64     `json:"failures_total"`
	Fetching      bool      `json:"fetching,omitempty"` // a fetch is running now
	NextFetch     time.Time `json:"next_fetch,omitzero"`
	Items         int       `json:"items"`
	Days          []string  `json:"days,omitempty"`
	Stale         []string  `json:"stale,omitempty"`
	// Views: for Hugging Face, which view served each recent period.
	Views []ViewState `json:"views,omitempty"`
	// LastRun: for a source of look-ups (the linked-artifact counts),
	// what its last run did.
	LastRun *RunCounts `json:"last_run,omitempty"`
}

func newStatus(name string, enabled bool) *Status {
	return &Status{s: SourceState{Source: name, Enabled: enabled}, changed: make(chan struct{})}
}

// signal wakes whoever waits for a fetch to start or end. Call with
// st.mu held.
func (st *Status) signal() {
	close(st.changed)
	st.changed = make(chan struct{})
}

func (st *Status) attempt(now time.Time) {
	st.mu.Lock()
	st.s.LastAttempt, st.s.Fetching = now, true
	st.signal()
	st.mu.Unlock()
}

// finish records the end of a refresh, a success or err, in one step:
// a reader never sees a fetch ended without its outcome.
func (st *Status) finish(now time.Time, err error) {
	st.mu.Lock()
	if err != nil {
		st.s.LastError = err.Error()
		st.s.LastErrorAt = now
		st.s.Failures++
		st.s.FailuresTotal++
		if st.retryAt != nil {
			st.s.NextFetch = st.retryAt(err)
		}
	} else {
		st.s.LastSuccess = now
		st.s.Failures = 0
	}
	st.s.Fetching = false
	st.signal()
	st.mu.Unlock()
}

// history is what the state keeps of the source's outcomes, so a
// restart (or another replica) shows them: the last success, the last
// error and when, the failure counts.
func (st *Status) history(sc *Schedule) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sc.LastAttempt, sc.LastError, sc.LastErrorAt = st.s.LastAttempt, st.s.LastError, st.s.LastErrorAt
	sc.Failures, sc.FailuresTotal = st.s.Failures, st.s.FailuresTotal
}

// restore takes the outcomes a saved schedule keeps back (see history);
// a schedule that holds none leaves the status as it is.
func (st *Status) restore(sc Schedule) {
	if sc.LastSuccess.IsZero() && sc.LastAttempt.IsZero() {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.LastSuccess, st.s.LastAttempt = sc.LastSuccess, sc.LastAttempt
	st.s.LastError, st.s.LastErrorAt = sc.LastError, sc.LastErrorAt
	st.s.Failures, st.s.FailuresTotal = sc.Failures, sc.FailuresTotal
}

// watch returns the source's state and a channel closed at its next
// fetch start or end.
func (st *Status) watch() (SourceState, <-chan struct{}) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.s, st.changed
}

// onFailure sets how a failure's next attempt is known (see retryAt).
func (st *Status) onFailure(retryAt func(err error) time.Time) {
	st.mu.Lock()
	st.retryAt = retryAt
	st.mu.Unlock()
}

// Update changes the state in one step.
func (st *Status) Update(f func(s *SourceState)) {
	st.mu.Lock()
	f(&st.s)
	st.mu.Unlock()
}

// Snapshot returns a copy of the state.
func (st *Status) Snapshot() SourceState {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.Days = append([]string(nil), s.Days...)
	s.Stale = append([]string(nil), s.Stale...)
	s.Views = append([]ViewState(nil), s.Views...)
	if s.LastRun != nil {
		r := *s.LastRun
		s.LastRun = &r
	}
	return s
}

// PublishHeld shows what the view holds of one source in its status
// and to the observer: the papers held says are its, and its days.
func PublishHeld(st *Status, obs Observer, source string, v *feed.View, days []time.Time, held func(*feed.Paper) bool) {
	n := 0
	for _, p := range v.Papers {
		if held(p) {
			n++
		}
	}
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = d.Format(time.DateOnly)
	}
	st.Update(func(s *SourceState) { s.Items, s.Days = n, out })
	obs.Held(source, n)
}

// RunCounts are what the last run of a source of look-ups did, as
// /status shows it: look-ups made, answered with data, answered that the
// paper is unknown (404, counted as none), failed.
type RunCounts struct {
	Checked  int `json:"checked"`
	Found    int `json:"found"`
	NotFound int `json:"not_found"`
	Failed   int `json:"failed"`
}
