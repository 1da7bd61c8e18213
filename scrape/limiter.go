package scrape

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Limiter spaces requests to one upstream: one at a time, and each start
// at least Interval after the previous one ended. arXiv asks for exactly
// this ("one request every 3 seconds, one connection at a time").
//
// It is also where an upstream's request to slow down is honoured, for
// every caller at once: after a 429 or 503 (Throttled), no request
// through the limiter starts until its Retry-After has passed (a minute,
// or 30 s for a 503, when it names none; at most MaxBackoff); callers
// get a *BackoffError naming when, without a request being made. A
// poller, a reader's past listing and a like= look-up all wait the same.
type Limiter struct {
	Interval time.Duration
	// MaxBackoff caps how long a Retry-After closes the limiter (0:
	// DefaultMaxBackoff): one bad header must not stop a source for days.
	MaxBackoff time.Duration
	// Now and Sleep can be replaced in tests by a fake clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	sem     chan struct{}
	once    sync.Once
	mu      sync.Mutex
	lastEnd time.Time
	until   time.Time // closed until then (an upstream asked to slow down)
	cause   error     // the answer that closed it
}

// DefaultMaxBackoff caps a Retry-After when MaxBackoff is not set.
const DefaultMaxBackoff = 3 * time.Hour

// Least waits after a throttling answer that names no Retry-After.
const (
	minWait429 = time.Minute
	minWait503 = 30 * time.Second
)

// BackoffError is the answer to a request the limiter did not let start
// because the upstream asked to slow down.
type BackoffError struct {
	Until time.Time
	Cause error // the upstream's answer that asked for it
}

func (e *BackoffError) Error() string {
	return fmt.Sprintf("holding requests until %s, as the upstream asked (%v)", e.Until.UTC().Format(time.RFC3339), e.Cause)
}

func (e *BackoffError) Unwrap() error { return e.Cause }

// RetryAfter is how long after now an error says to wait before asking
// again: an upstream's Retry-After, or what is left of a backoff; 0 when
// it says nothing.
func RetryAfter(err error, now time.Time) time.Duration {
	var be *BackoffError
	if errors.As(err, &be) {
		return max(0, be.Until.Sub(now))
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.RetryAfter
	}
	return 0
}

// closed returns the backoff in force, if any.
func (l *Limiter) closed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := l.Now(); now.Before(l.until) {
		return &BackoffError{Until: l.until, Cause: l.cause}
	}
	return nil
}

// throttled closes the limiter after a throttling answer (an
// *HTTPError with status 429 or 503).
func (l *Limiter) throttled(err *HTTPError) {
	l.init()
	wait := err.RetryAfter
	switch {
	case wait > 0:
	case err.StatusCode == 429:
		wait = minWait429
	default:
		wait = minWait503
	}
	limit := l.MaxBackoff
	if limit <= 0 {
		limit = DefaultMaxBackoff
	}
	wait = min(wait, limit)
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.Now().Add(wait); until.After(l.until) {
		l.until, l.cause = until, err
	}
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
	if err := l.closed(); err != nil {
		return nil, err
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := l.closed(); err != nil { // closed while this request waited its turn
		<-l.sem
		return nil, err
	}
	l.mu.Lock()
	var wait time.Duration
	if !l.lastEnd.IsZero() {
		// Never more than the interval, even when the clock went back.
		wait = min(l.lastEnd.Add(l.Interval).Sub(l.Now()), l.Interval)
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
