package main

import (
	"fmt"
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
