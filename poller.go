package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"paperfeed/scrape"
)

// poller runs one source's refresh on its schedule. After a failure it
// backs off (doubling from minBackoff up to the interval), and never
// comes back sooner than an upstream's Retry-After. A refresh may ask for
// a later next run (arXiv's Cache-Control max-age).
type poller struct {
	name       string
	interval   time.Duration
	minBackoff time.Duration
	refresh    func(ctx context.Context) (later time.Duration, err error)
	status     *sourceStatus
	log        *slog.Logger
	metrics    *metrics
	now        func() time.Time
}

func (p *poller) run(ctx context.Context) {
	backoff := p.minBackoff
	for {
		start := p.now()
		p.status.attempt(start)
		later, err := p.refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		delay := p.interval
		if err != nil {
			p.status.failure(p.now(), err)
			p.log.Warn("refresh failed; serving the last good data", "source", p.name, "error", err, "retry_in", backoff)
			delay = backoff
			backoff = min(backoff*2, p.interval)
			var he *scrape.HTTPError
			if errors.As(err, &he) && he.RetryAfter > delay {
				delay = he.RetryAfter
			}
		} else {
			backoff = p.minBackoff
			p.status.success(p.now())
			p.log.Debug("refreshed", "source", p.name, "took", p.now().Sub(start))
		}
		if later > delay {
			delay = later
		}
		next := p.now().Add(delay)
		p.status.update(func(s *statusJSON) { s.NextFetch = next })
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
