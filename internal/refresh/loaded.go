package refresh

import (
	"context"
	"sync"
	"time"
)

// Loaded is closed once a source has loaded data for the first time.
type Loaded struct {
	once sync.Once
	ch   chan struct{}
}

func newLoaded() *Loaded { return &Loaded{ch: make(chan struct{})} }

func (l *Loaded) mark() { l.once.Do(func() { close(l.ch) }) }

// Done reports whether the source has loaded.
func (l *Loaded) Done() bool {
	select {
	case <-l.ch:
		return true
	default:
		return false
	}
}

// Wait waits for the first load at most d, or until ctx ends, and
// reports whether it happened.
func (l *Loaded) Wait(ctx context.Context, d time.Duration) bool {
	if l.Done() {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-l.ch:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// WaitLoaded waits, at most max, for a source's first load (Hugging Face
// for anything but feed.SourceArxiv), but only while a fetch that may
// bring it is running or about to run: once a fetch failed and none
// runs, it returns at once, so a reader is told the cause without
// waiting for nothing. A follower replica, whose data comes from the
// leader, waits the whole time. It reports whether the source is loaded,
// and the source's state (its last error, its next fetch).
func (s *Service) WaitLoaded(ctx context.Context, source string, max time.Duration) (bool, SourceState) {
	p := s.sources.lister(source)
	l, st := p.loaded, p.status
	timer := time.NewTimer(max)
	defer timer.Stop()
	for {
		state, changed := st.watch()
		if l.Done() {
			return true, state
		}
		following := s.leader != nil && s.leader.following()
		if following && s.leader.state().LastError != "" {
			return false, state // the shared store is unreachable: nothing will come soon
		}
		if !state.Fetching && !state.LastAttempt.IsZero() && !following {
			return false, state // failed, and nothing runs now
		}
		select {
		case <-l.ch:
		case <-changed:
		case <-timer.C:
			state, _ = st.watch()
			return l.Done(), state
		case <-ctx.Done():
			state, _ = st.watch()
			return false, state
		}
	}
}
