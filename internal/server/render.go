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
	door    *doorkeeper
	bodies  *bufferList // buffers of responses made once
	// cacheControl is the feeds' Cache-Control header value.
	cacheControl []string
	thumbs       bool // items show the papers' thumbnails (-thumbnails)
}

func newRenderer(cfg Config, e *engine.Engine, m *metrics) *renderer {
	return &renderer{engine: e, metrics: m, cache: newRenderCache(cfg.CacheEntries, cfg.CacheMB<<20),
		slots: make(chan struct{}, cfg.MaxRenders), door: newDoorkeeper(doorSlots),
		bodies: newBufferList(2 * cfg.MaxRenders), cacheControl: feedCacheControl(cfg.Refresh), thumbs: cfg.Thumbnails}
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
	// guidScope, when set, gives the items GUIDs of the feed's own
	// (guid=feed); static marks a file of the static export, whose items
	// link nothing a static host cannot serve.
	guidScope string
	static    bool
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

// render returns the job's response: from the cache, or made now. A
// response is kept the second time its key is asked for in a data
// version (see doorkeeper), not the first: most distinct URLs are asked
// for once per data version (a reader polling between refreshes), and
// keeping each would cost an allocation of its size, the collector's
// time to reclaim it when it is evicted unread, and the entries of feeds
// that are read again. The first time, the response is made into a
// reused buffer; release, then non-nil, gives the buffer back once the
// response is written, and rr must not be used after it.
func (rd *renderer) render(ctx context.Context, job renderJob) (rr *rendered, release func(), err error) {
	if rr, ok := rd.cache.get(job.key); ok {
		rd.metrics.cacheHit.Inc()
		return rr, nil, nil
	}
	// A WebSub check's render is kept at once: the hub's fetch and the
	// readers' next polls are its second request.
	if !rd.door.admit(job.key) && !isCheck(ctx) {
		rd.metrics.cacheFirst.Inc()
		return rd.renderOnce(ctx, job)
	}
	rd.metrics.cacheMiss.Inc()
	res, err, _ := rd.flight.Do(job.key, func() (any, error) {
		rr, err := rd.make(ctx, job, nil)
		if err != nil {
			return nil, err
		}
		rd.cache.put(job.key, rr)
		entries, size := rd.cache.stats()
		rd.metrics.cacheSize.WithLabelValues("entries").Set(float64(entries))
		rd.metrics.cacheSize.WithLabelValues("bytes").Set(float64(size))
		return rr, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return res.(*rendered), nil, nil
}

// renderOnce makes a response that is not kept, into a reused buffer.
func (rd *renderer) renderOnce(ctx context.Context, job renderJob) (*rendered, func(), error) {
	buf := rd.bodies.get()
	rr, err := rd.make(ctx, job, buf)
	if err != nil {
		rd.bodies.put(buf)
		return nil, nil, err
	}
	return rr, func() { rd.bodies.put(rr.body) }, nil
}

// bufferList holds the buffers of responses made once, between uses.
// Unlike a sync.Pool, which the collector empties every cycle (and under
// a memory limit cycles come often), it keeps them; it holds at most its
// length, buffers of at most maxPooledBody each, and makes do without
// when all are in use (a slow reader holds one while it is written).
type bufferList struct{ free chan []byte }

const maxPooledBody = 1 << 20

func newBufferList(n int) *bufferList { return &bufferList{free: make(chan []byte, n)} }

// get returns a free buffer, emptied, or nil when none is free.
func (l *bufferList) get() []byte {
	select {
	case b := <-l.free:
		return b[:0]
	default:
		return nil
	}
}

// put gives a buffer back; its contents must no longer be in use.
func (l *bufferList) put(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledBody {
		return
	}
	select {
	case l.free <- b[:0]:
	default:
	}
}

// make filters and renders the job's feed, appending its bytes to dst.
func (rd *renderer) make(ctx context.Context, job renderJob, dst []byte) (*rendered, error) {
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
		Title:        job.title,
		Description:  q.Description(),
		HomeURL:      pageURL(job.base, q.Canonical()),
		SelfURL:      job.self,
		BaseURL:      job.base,
		Updated:      modified,
		GUIDScope:    job.guidScope,
		MoreLike:     !job.static,
		NoThumbnails: !rd.thumbs,
		Brief:        q.Brief,
		TGIV:         q.TGIV,
	}
	if job.home != "" {
		meta.HomeURL = job.home
	}
	if job.hub != nil {
		meta.Hub = job.hub.hub
	}
	body, err := feed.AppendRender(dst, job.format, meta, items)
	if err != nil {
		return nil, fmt.Errorf("render feed: %w", err)
	}
	rr := newRendered(body, job.format, modified)
	if job.hub != nil {
		rr.self, rr.hdrLink = job.self, job.hub.links(job.self)
		rr.facts = &feedFacts{version: job.plan.Version(), query: job.plan.Query, aliasable: job.plan.Aliasable, ids: make([]string, 0, len(items))}
		for _, it := range items {
			if it.Paper != nil {
				rr.facts.ids = append(rr.facts.ids, it.Paper.ID)
			}
		}
	}
	return rr, nil
}
