package scrape

import (
	"context"
	"sync"
	"testing"
	"time"
)

// The limiter spaces requests 3 seconds apart, one at a time, on a fake
// clock: no test sleeps.
func TestLimiterSpacing(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
	var waits []time.Duration
	l := &Limiter{
		Interval: 3 * time.Second,
		Now:      func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
			now = now.Add(d)
			return nil
		},
	}
	var starts []time.Time
	for i := range 4 {
		release, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		starts = append(starts, l.Now())
		mu.Lock()
		now = now.Add(time.Duration(i) * 500 * time.Millisecond) // the request takes a while
		mu.Unlock()
		release()
	}
	for i := 1; i < len(starts); i++ {
		prevEnd := starts[i-1].Add(time.Duration(i-1) * 500 * time.Millisecond)
		if gap := starts[i].Sub(prevEnd); gap < 3*time.Second {
			t.Errorf("request %d started %s after the previous ended", i, gap)
		}
	}
	if len(waits) != 3 || waits[0] != 3*time.Second {
		t.Errorf("waits %v", waits)
	}
	// One at a time: a second Acquire blocks until release.
	release, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.Acquire(ctx); err == nil {
		t.Error("two requests were let through at once")
	}
	release()
}
