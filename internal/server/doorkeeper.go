package server

import (
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

// doorkeeper remembers which render keys were asked for once, so the
// render cache keeps a response only when its key comes again (the
// "doorkeeper" of admission policies such as TinyLFU). It is a fixed
// table of key hashes, one per slot, without locks: a key whose slot
// another key took since is treated as new, which costs one more render
// and never a wrong answer. Its size is fixed (8 bytes a slot), however
// many URLs clients invent.
type doorkeeper struct {
	slots []atomic.Uint64
	mask  uint64
}

// doorSlots is the doorkeeper's size: 512 KB, so a stream of one-off
// URLs takes a popular key's slot about once every 65,536 requests.
const doorSlots = 1 << 16

func newDoorkeeper(n int) *doorkeeper {
	return &doorkeeper{slots: make([]atomic.Uint64, n), mask: uint64(n - 1)}
}

// admit reports whether key was asked for before (since its slot was
// last taken), and remembers it.
func (d *doorkeeper) admit(key string) bool {
	h := xxhash.Sum64String(key) | 1 // 0 is an empty slot
	s := &d.slots[h&d.mask]
	if s.Load() == h {
		return true
	}
	s.Store(h)
	return false
}
