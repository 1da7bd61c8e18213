package main

import (
	"sync"
	"time"

	"paperfeed/feed"
)

// sourceStatus is what the operator sees of one upstream source in
// /status and /readyz: last success, last error, items held, staleness.
type sourceStatus struct {
	mu sync.Mutex
	s  statusJSON
}

type statusJSON struct {
	Source      string    `json:"source"`
	Enabled     bool      `json:"enabled"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Failures    int       `json:"consecutive_failures"`
	NextFetch   time.Time `json:"next_fetch,omitzero"`
	Items       int       `json:"items"`
	Days        []string  `json:"days,omitempty"`
	Stale       []string  `json:"stale,omitempty"`
}

func newSourceStatus(name string, enabled bool) *sourceStatus {
	return &sourceStatus{s: statusJSON{Source: name, Enabled: enabled}}
}

func (st *sourceStatus) attempt(now time.Time) {
	st.mu.Lock()
	st.s.LastAttempt = now
	st.mu.Unlock()
}

func (st *sourceStatus) success(now time.Time) {
	st.mu.Lock()
	st.s.LastSuccess = now
	st.s.Failures = 0
	st.mu.Unlock()
}

func (st *sourceStatus) failure(now time.Time, err error) {
	st.mu.Lock()
	st.s.LastError = err.Error()
	st.s.LastErrorAt = now
	st.s.Failures++
	st.mu.Unlock()
}

func (st *sourceStatus) update(f func(s *statusJSON)) {
	st.mu.Lock()
	f(&st.s)
	st.mu.Unlock()
}

func (st *sourceStatus) snapshot() statusJSON {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.Days = append([]string(nil), s.Days...)
	s.Stale = append([]string(nil), s.Stale...)
	return s
}

// publishHeld shows what the view holds of one source ("hf" or "arxiv")
// in its status and metrics: the papers it knows and its days.
func publishHeld(st *sourceStatus, m *metrics, source string, v *feed.View, days []time.Time) {
	n := 0
	for _, p := range v.Papers {
		if (source == feed.SourceHF && p.OnHF) || (source == feed.SourceArxiv && p.OnArxiv) {
			n++
		}
	}
	held := make([]string, len(days))
	for i, d := range days {
		held[i] = d.Format(time.DateOnly)
	}
	st.update(func(s *statusJSON) { s.Items, s.Days = n, held })
	m.items.WithLabelValues(source).Set(float64(n))
}
