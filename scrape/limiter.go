package scrape

import (
	"context"
	"sync"
	"time"
)

// Limiter spaces requests to one upstream: one at a time, and each start
// at least Interval after the previous one ended. arXiv asks for exactly
// this ("one request every 3 seconds, one connection at a time").
type Limiter struct {
	Interval time.Duration
	// Now and Sleep can be replaced in tests by a fake clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	sem     chan struct{}
	once    sync.Once
	mu      sync.Mutex
	lastEnd time.Time
}

// NewLimiter returns a limiter with the real clock.
func NewLimiter(interval time.Duration) *Limiter { return &Limiter{Interval: interval} }

func (l *Limiter) init() {
	l.once.Do(func() {
		l.sem = make(chan struct{}, 1)
		if l.Now == nil {
			l.Now = time.Now
		}
		if l.Sleep == nil {
			l.Sleep = sleepCtx
		}
	})
}

// Acquire waits for the upstream's turn. The caller must call release
// when its request has finished.
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	l.init()
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	l.mu.Lock()
	var wait time.Duration
	if !l.lastEnd.IsZero() {
		wait = l.lastEnd.Add(l.Interval).Sub(l.Now())
	}
	l.mu.Unlock()
	if wait > 0 {
		if err := l.Sleep(ctx, wait); err != nil {
			<-l.sem
			return nil, err
		}
	}
	return func() {
		l.mu.Lock()
		l.lastEnd = l.Now()
		l.mu.Unlock()
		<-l.sem
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
