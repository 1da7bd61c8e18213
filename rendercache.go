package main

import (
	"container/list"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"paperfeed/feed"
)

// rendered is one feed response ready to serve: the body in identity and
// gzip encodings, its validators and content type.
type rendered struct {
	body     []byte
	gzOnce   sync.Once
	gz       []byte // set once by gzipped
	etag     string // quoted strong ETag of the identity body
	gzETag   string // quoted strong ETag of the gzip body
	modified time.Time
	ctype    string
	format   feed.Format

	hdrETag, hdrGzETag, hdrType, hdrLength, hdrModified []string
	hdrGzLength                                         []string // set by gzipped
}

// size is what the entry costs the cache. A gzip body made after the
// entry was added is counted by reserving its likely size up front.
func (r *rendered) size() int { return len(r.body) + len(r.body)/3 + 256 }

// renderCache holds rendered responses with hard bounds on both entries
// and bytes, so clients inventing URLs cannot grow memory. Eviction is
// CLOCK (second chance): a hit only marks its entry, under a read lock,
// so the hot path of popular feeds never serialises; an insert that
// overflows walks from the oldest entry, giving marked ones another
// round. Keys include the data version, so a data change makes old
// entries unreachable; they age out as new ones arrive.
type renderCache struct {
	mu         sync.RWMutex
	maxEntries int
	maxBytes   int
	bytes      int
	ll         *list.List
	m          map[string]*list.Element
}

type cacheEntry struct {
	key  string
	r    *rendered
	used atomic.Bool // read since the clock hand last passed
}

func newRenderCache(maxEntries, maxBytes int) *renderCache {
	return &renderCache{maxEntries: maxEntries, maxBytes: maxBytes, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *renderCache) get(key string) (*rendered, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e, ok := c.m[key]; ok {
		ce := e.Value.(*cacheEntry)
		if !ce.used.Load() {
			ce.used.Store(true)
		}
		return ce.r, true
	}
	return nil, false
}

func (c *renderCache) put(key string, r *rendered) {
	if r.size() > c.maxBytes {
		return // larger than the whole cache: serve it, do not keep it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.bytes -= e.Value.(*cacheEntry).r.size()
		e.Value.(*cacheEntry).r = r
		c.bytes += r.size()
		c.ll.MoveToFront(e)
	} else {
		c.m[key] = c.ll.PushFront(&cacheEntry{key: key, r: r})
		c.bytes += r.size()
	}
	for spins := 0; c.ll.Len() > c.maxEntries || c.bytes > c.maxBytes; spins++ {
		last := c.ll.Back()
		ce := last.Value.(*cacheEntry)
		if ce.used.Load() && spins < c.ll.Len() {
			ce.used.Store(false) // second chance
			c.ll.MoveToFront(last)
			continue
		}
		c.ll.Remove(last)
		delete(c.m, ce.key)
		c.bytes -= ce.r.size()
	}
}

// stats returns the number of entries and bytes held.
func (c *renderCache) stats() (entries, bytes int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ll.Len(), c.bytes
}

// aliasMax bounds the aliases kept; the map is emptied when it fills.
const aliasMax = 8192

// aliasMap remembers, for a request URL exactly as written, the render
// cache key of its canonical query, valid for one data version. A feed
// reader asks for the same URL again and again; this lets that request
// skip parsing and validating its query. The map is bounded, emptied
// when full, and dropped when the data changes.
type aliasMap struct {
	mu      sync.RWMutex
	max     int
	version uint64
	m       map[string]string
}

func newAliasMap(max int) *aliasMap {
	return &aliasMap{max: max, m: make(map[string]string)}
}

func (a *aliasMap) get(raw string, version uint64) (string, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.version != version {
		return "", false
	}
	key, ok := a.m[raw]
	return key, ok
}

func (a *aliasMap) put(raw string, version uint64, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.version != version || len(a.m) >= a.max {
		clear(a.m)
		a.version = version
	}
	a.m[raw] = key
}

// rawKey names a request as written: the route's format, path, query
// and the public base URL its self links use.
func rawKey(format feed.Format, r *http.Request, base string) string {
	return string(format) + "|" + r.URL.Path + "?" + r.URL.RawQuery + "|" + base
}
