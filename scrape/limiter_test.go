package scrape

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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

// A throttling answer holds every later request through the limiter,
// for its Retry-After (at least a minimum when it names none, at most
// MaxBackoff), without a request being made.
func TestThrottlingHoldsTheLimiter(t *testing.T) {
	for _, c := range []struct {
		status     int
		retryAfter string
		max        time.Duration
		want       time.Duration
	}{
		{429, "3600", 3 * time.Hour, time.Hour},
		{429, "", 3 * time.Hour, minWait429},
		{503, "", 3 * time.Hour, minWait503},
		{503, "5", 3 * time.Hour, 5 * time.Second},
		{429, "86400", 3 * time.Hour, 3 * time.Hour},
		{500, "3600", 3 * time.Hour, 0}, // not a request to slow down
	} {
		hits := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits++
			if c.retryAfter != "" {
				w.Header().Set("Retry-After", c.retryAfter)
			}
			w.WriteHeader(c.status)
		}))
		now := time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)
		l := &Limiter{MaxBackoff: c.max, Now: func() time.Time { return now }}
		f := &Fetcher{Limiter: l}
		if _, err := f.Get(context.Background(), srv.URL, nil); err == nil {
			t.Fatal("no error")
		}
		_, err := f.Get(context.Background(), srv.URL, nil)
		var be *BackoffError
		switch {
		case c.want == 0:
			if errors.As(err, &be) || hits != 2 {
				t.Errorf("%d: held (%v), %d requests", c.status, err, hits)
			}
		case !errors.As(err, &be) || hits != 1:
			t.Errorf("%d %q: second request %v, %d requests made", c.status, c.retryAfter, err, hits)
		case be.Until.Sub(now) != c.want || RetryAfter(err, now) != c.want:
			t.Errorf("%d %q: held for %s, want %s", c.status, c.retryAfter, be.Until.Sub(now), c.want)
		default:
			now = now.Add(c.want)
			if _, err := f.Get(context.Background(), srv.URL, nil); errors.As(err, &be) || hits != 2 {
				t.Errorf("%d %q: still held after the wait: %v", c.status, c.retryAfter, err)
			}
		}
		srv.Close()
	}
}
