package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/singleflight"

	"paperfeed/feed"
	"paperfeed/internal/engine"
)

// renderer makes feed responses on a cache miss: one render per key
// however many requests miss at once, each in one of a bounded number
// of slots (so renders cannot eat all CPU), kept in the render cache.
type renderer struct {
	engine  *engine.Engine
	metrics *metrics
	cache   *renderCache
	slots   chan struct{}
	flight  singleflight.Group
	// cacheControl is the feeds' Cache-Control header value.
	cacheControl []string
}

func newRenderer(cfg Config, e *engine.Engine, m *metrics) *renderer {
	return &renderer{engine: e, metrics: m, cache: newRenderCache(cfg.CacheEntries, cfg.CacheMB<<20),
		slots: make(chan struct{}, cfg.MaxRenders), cacheControl: feedCacheControl(cfg.Refresh)}
}

// renderJob is one feed to render.
type renderJob struct {
	key        string // render cache key
	format     feed.Format
	plan       *engine.Plan
	base, self string  // public base URL and the feed's self link
	title      string  // the feed's title
	home       string  // the feed's page, when not the builder's
	hub        *websub // advertised when set
	decorate   func([]feed.Item)
}

var errBusy = errors.New("server busy rendering feeds; try again in a moment")

// aliased is the response a request URL written as before stands for,
// while the data has not changed.
func (rd *renderer) aliased(raw string, version uint64) (*rendered, bool) {
	key, ok := rd.cache.alias(raw, version)
	if !ok {
		return nil, false
	}
	rr, ok := rd.cache.get(key)
	if ok {
		rd.metrics.cacheHit.Inc()
	}
	return rr, ok
}

// withSlot runs fn holding one of the slots that bound the CPU spent
// filtering and rendering at once; it waits for a slot at most 2
// seconds (errBusy).
func (rd *renderer) withSlot(ctx context.Context, fn func() error) error {
	wait, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	select {
	case rd.slots <- struct{}{}:
	case <-wait.Done():
		if err := ctx.Err(); err != nil {
			return err // the client left while waiting: not a busy server
		}
		return errBusy
	}
	defer func() { <-rd.slots }()
	return fn()
}

// render returns the job's response, from the cache or made now.
func (rd *renderer) render(ctx context.Context, job renderJob) (*rendered, error) {
	if rr, ok := rd.cache.get(job.key); ok {
		rd.metrics.cacheHit.Inc()
		return rr, nil
	}
	rd.metrics.cacheMiss.Inc()
	res, err, _ := rd.flight.Do(job.key, func() (any, error) {
		var items []feed.Item
		var modified time.Time
		err := rd.withSlot(ctx, func() error {
			var err error
			items, modified, err = rd.engine.Items(ctx, job.plan, func(q string) string { return pageURL(job.base, q) })
			return err
		})
		if err != nil {
			return nil, err
		}
		if job.decorate != nil {
			job.decorate(items)
		}
		q := job.plan.Query
		meta := feed.Meta{
			Title:       job.title,
			Description: q.Description(),
			HomeURL:     pageURL(job.base, q.Canonical()),
			SelfURL:     job.self,
			BaseURL:     job.base,
			Updated:     modified,
		}
		if job.home != "" {
			meta.HomeURL = job.home
		}
		if job.hub != nil {
			meta.Hub = job.hub.hub
		}
		body, err := feed.RenderBytes(job.format, meta, items)
		if err != nil {
			return nil, fmt.Errorf("render feed: %w", err)
		}
		rr := newRendered(body, job.format, modified)
		if job.hub != nil {
			rr.self, rr.hdrLink = job.self, job.hub.links(job.self)
		}
		rd.cache.put(job.key, rr)
		entries, size := rd.cache.stats()
		rd.metrics.cacheSize.WithLabelValues("entries").Set(float64(entries))
		rd.metrics.cacheSize.WithLabelValues("bytes").Set(float64(size))
		return rr, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*rendered), nil
}
