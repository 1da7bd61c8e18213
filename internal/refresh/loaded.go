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
