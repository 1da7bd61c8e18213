package refresh

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"paperfeed/scrape"
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRetryAfterAndBackoff(t *testing.T) {
	p := &poller{interval: 15 * time.Minute, minBackoff: 5 * time.Second, log: discardLog(), now: time.Now}
	e500 := &scrape.HTTPError{StatusCode: 500}
	for i, want := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second} {
		if got := p.next(e500, 0); got != want {
			t.Errorf("failure %d: delay %s, want %s", i+1, got, want)
		}
	}
	if got := p.next(&scrape.HTTPError{StatusCode: 429, RetryAfter: 10 * time.Minute}, 0); got != 10*time.Minute {
		t.Errorf("429 Retry-After 10m: delay %s", got)
	}
	if got := p.next(nil, 0); got != 15*time.Minute {
		t.Errorf("after success: delay %s, want the interval", got)
	}
	if got := p.next(e500, 0); got != 5*time.Second {
		t.Errorf("backoff not reset after success: %s", got)
	}
	for range 20 {
		p.next(e500, 0)
	}
	if got := p.next(e500, 0); got != 15*time.Minute {
		t.Errorf("backoff not capped at the interval: %s", got)
	}
	if got := p.next(nil, 2*time.Hour); got != 2*time.Hour {
		t.Errorf("max-age asked for 2h, got %s", got)
	}
}

// A huge Retry-After does not stop refreshes for days: it is capped at
// maxWait (the service sets -refresh-past).
func TestRetryAfterIsCapped(t *testing.T) {
	p := &poller{name: "hf", interval: 15 * time.Minute, minBackoff: 5 * time.Second, maxWait: 3 * time.Hour, log: discardLog(), now: time.Now}
	err := fmt.Errorf("day: %w", &scrape.HTTPError{StatusCode: 429, RetryAfter: 8640000 * time.Second})
	if got := p.next(err, 0); got != 3*time.Hour {
		t.Errorf("Retry-After of 100 days: next refresh in %s, want 3h", got)
	}
	var he *scrape.HTTPError
	if !errors.As(err, &he) {
		t.Fatal("test error is not an HTTPError")
	}
}
