package main

import (
	"net/http"
	"sync"

	"paperfeed/feed"
)

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
