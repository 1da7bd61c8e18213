package server

import (
	"fmt"
	"strings"
	"testing"
)

func TestRenderCacheBoundsAndSecondChance(t *testing.T) {
	body := func(n int) *rendered { return &rendered{body: make([]byte, n)} }
	c := newRenderCache(3, 1<<20)
	c.put("a", body(10))
	c.put("b", body(10))
	c.put("c", body(10))
	c.get("a") // a is in use: it survives the next eviction
	c.put("d", body(10))
	if _, ok := c.get("a"); !ok {
		t.Error("a recently read entry was evicted")
	}
	if _, ok := c.get("b"); ok {
		t.Error("the oldest unread entry was kept")
	}
	if n, _ := c.stats(); n != 3 {
		t.Errorf("%d entries, bound 3", n)
	}
	// Bytes bound.
	c = newRenderCache(1000, 10000)
	for i := range 100 {
		c.put(fmt.Sprint(i), body(1000))
	}
	if _, b := c.stats(); b > 10000 {
		t.Errorf("%d bytes held, bound 10000", b)
	}
	// Larger than the whole cache: not kept.
	c.put("huge", body(20000))
	if _, ok := c.get("huge"); ok {
		t.Error("an entry larger than the cache was kept")
	}
}

// Aliases (request URL as written -> render key) are entries of the
// cache: counted in its byte bound, so distinct spellings of one feed
// cannot grow memory past it; each is valid for its data version only.
func TestAliasesCountInTheCacheBound(t *testing.T) {
	c := newRenderCache(100000, 1<<20)
	c.put("k", &rendered{body: make([]byte, 1000)})
	long := strings.Repeat("x", 4000) // a URL can be 16 KB
	for i := range 10000 {
		c.putAlias(fmt.Sprintf("/feed.rss?q=agents&utm_%d=%s", i, long), 7, "k")
	}
	if _, b := c.stats(); b > 1<<20 {
		t.Errorf("%d bytes held with aliases, bound %d", b, 1<<20)
	}
	c.putAlias("/feed.rss?Q=agents", 7, "k")
	if key, ok := c.alias("/feed.rss?Q=agents", 7); !ok || key != "k" {
		t.Errorf("alias in its version: %q %v", key, ok)
	}
	if _, ok := c.alias("/feed.rss?Q=agents", 8); ok {
		t.Error("an alias answered for another data version")
	}
	if _, ok := c.get(aliasKey("/feed.rss?Q=agents", 7)); ok {
		t.Error("an alias read as a rendered response")
	}
}
