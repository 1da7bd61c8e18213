package server

import (
	"container/list"
	"net/http"
	"strconv"
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
	// self and hdrLink: the feed's self link and its Link header (WebSub's
	// hub and self), when a hub is set.
	self    string
	hdrLink []string
	facts   *feedFacts // what it read, when a hub is set
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
//
// It also holds aliases: for a request URL exactly as written, the key
// of its canonical render, valid for one data version. A feed reader
// asks for the same URL again and again; an alias lets that request skip
// parsing and validating its query. Aliases are entries like the others,
// counted in the same bounds (a URL can be 16 KB), so they cannot grow
// memory past -cache-mb either.
type renderCache struct {
	mu         sync.RWMutex
	maxEntries int
	maxBytes   int
	bytes      int
	ll         *list.List
	m          map[string]*list.Element
}

type cacheEntry struct {
	key   string
	r     *rendered
	alias string      // for an alias: the key it stands for
	used  atomic.Bool // read since the clock hand last passed
}

// size is what an entry costs the cache.
func (ce *cacheEntry) size() int {
	if ce.r == nil {
		return len(ce.key) + len(ce.alias) + 128
	}
	return ce.r.size()
}

func newRenderCache(maxEntries, maxBytes int) *renderCache {
	return &renderCache{maxEntries: maxEntries, maxBytes: maxBytes, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *renderCache) lookup(key string) (*cacheEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[key]
	if !ok {
		return nil, false
	}
	ce := e.Value.(*cacheEntry)
	if !ce.used.Load() {
		ce.used.Store(true)
	}
	return ce, true
}

func (c *renderCache) get(key string) (*rendered, bool) {
	ce, ok := c.lookup(key)
	if !ok || ce.r == nil {
		return nil, false
	}
	return ce.r, true
}

func (c *renderCache) put(key string, r *rendered) {
	if r.size() > c.maxBytes {
		return // larger than the whole cache: serve it, do not keep it
	}
	c.insert(&cacheEntry{key: key, r: r})
}

// aliasKey is an alias's own key: the request as written and the data
// version it is valid for.
func aliasKey(raw string, version uint64) string {
	return "alias|" + strconv.FormatUint(version, 36) + "|" + raw
}

// alias returns the render key a request URL stands for in a data
// version.
func (c *renderCache) alias(raw string, version uint64) (string, bool) {
	ce, ok := c.lookup(aliasKey(raw, version))
	if !ok || ce.r != nil {
		return "", false
	}
	return ce.alias, true
}

// putAlias remembers that a request URL stands for a render key in a
// data version.
func (c *renderCache) putAlias(raw string, version uint64, key string) {
	c.insert(&cacheEntry{key: aliasKey(raw, version), alias: key})
}

func (c *renderCache) insert(ce *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[ce.key]; ok {
		c.bytes -= e.Value.(*cacheEntry).size()
		e.Value = ce
		c.ll.MoveToFront(e)
	} else {
		c.m[ce.key] = c.ll.PushFront(ce)
	}
	c.bytes += ce.size()
	for spins := 0; c.ll.Len() > c.maxEntries || c.bytes > c.maxBytes; spins++ {
		last := c.ll.Back()
		old := last.Value.(*cacheEntry)
		if old.used.Load() && spins < c.ll.Len() {
			old.used.Store(false) // second chance
			c.ll.MoveToFront(last)
			continue
		}
		c.ll.Remove(last)
		delete(c.m, old.key)
		c.bytes -= old.size()
	}
}

// stats returns the number of entries and bytes held.
func (c *renderCache) stats() (entries, bytes int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ll.Len(), c.bytes
}

// rawKey names a request as written: the route's format, path, query
// and the public base URL its self links use.
func rawKey(format feed.Format, r *http.Request, base string) string {
	return string(format) + "|" + r.URL.Path + "?" + r.URL.RawQuery + "|" + base
}
