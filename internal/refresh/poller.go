package refresh

import (
	"context"
	"log/slog"
	"time"

	"paperfeed/scrape"
)

// poller runs one source's refresh on its schedule. After a failure it
// backs off (doubling from minBackoff up to the interval), and never
// comes back sooner than an upstream's Retry-After, capped at maxWait so
// one bad header cannot stop refreshes for days. A refresh may ask for a
// later next run (arXiv's Cache-Control max-age).
type poller struct {
	name       string
	interval   time.Duration
	minBackoff time.Duration
	maxWait    time.Duration
	first      time.Duration // wait before the first refresh (a restored schedule)
	after      *Loaded       // when set, the first refresh waits for this first load too
	refresh    func(ctx context.Context) (later time.Duration, err error)
	status     *Status
	log        *slog.Logger
	now        func() time.Time

	backoff time.Duration
}

func (p *poller) run(ctx context.Context) {
	if p.after != nil {
		for !p.after.Wait(ctx, time.Hour) {
			if ctx.Err() != nil {
				return
			}
		}
	}
	if p.first > 0 {
		p.status.Update(func(s *SourceState) { s.NextFetch = p.now().Add(p.first) })
		t := time.NewTimer(p.first)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	for {
		start := p.now()
		backoff := p.backoff
		p.status.onFailure(func(err error) time.Time {
			d, _ := p.delay(err, 0, backoff, false)
			return p.now().Add(d)
		})
		later, err := p.refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			p.log.Debug("refreshed", "source", p.name, "took", p.now().Sub(start))
		}
		delay := p.next(err, later)
		if err != nil {
			msg := "refresh failed; serving the last good data"
			if p.status.Snapshot().Items == 0 {
				msg = "refresh failed; no data from this source yet"
			}
			p.log.Warn(msg, "source", p.name, "error", err, "retry_in", delay)
		}
		next := p.now().Add(delay)
		p.status.Update(func(s *SourceState) { s.NextFetch = next })
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// next is the delay before the following refresh.
func (p *poller) next(err error, later time.Duration) time.Duration {
	delay, backoff := p.delay(err, later, p.backoff, true)
	p.backoff = backoff
	return delay
}

// delay is the wait after a refresh that ended with err (nil: success),
// given the current backoff, and the backoff after it; warn logs an
// upstream's too long Retry-After.
func (p *poller) delay(err error, later, backoff time.Duration, warn bool) (time.Duration, time.Duration) {
	delay := p.interval
	if err != nil {
		if backoff == 0 {
			backoff = p.minBackoff
		}
		delay = backoff
		backoff = min(backoff*2, p.interval)
		if ra := scrape.RetryAfter(err, p.now()); ra > delay {
			delay = ra
			if p.maxWait > 0 && delay > p.maxWait {
				if warn {
					p.log.Warn("upstream asked to wait longer than allowed; waiting the longest allowed instead",
						"source", p.name, "retry_after", ra, "waiting", p.maxWait)
				}
				delay = p.maxWait
			}
		}
	} else {
		backoff = 0
	}
	return max(delay, later), backoff
}
