package state

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

var pageSize = uintptr(os.Getpagesize())

// mapping is the address range of the state file's read-only mapping
// (bbolt's), within which dropPages may act.
type mapping struct{ base, size uintptr }

// dropPages tells the kernel this process no longer needs the pages of
// the memory-mapped file that v lies on (MADV_DONTNEED). The state file
// is mapped read-only and its data does not change under a read
// transaction, so a later read of the same bytes faults them in again
// from the page cache: nothing is lost, but a start that reads many
// large records does not hold them all as resident memory at once. Only
// whole pages inside v, and only inside the mapping, are dropped: never
// memory of the Go heap.
func (m mapping) dropPages(v []byte) {
	if len(v) < 2*int(pageSize) || m.size == 0 {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	end := start + uintptr(len(v))
	if start < m.base || end > m.base+m.size {
		return
	}
	first := (start + pageSize - 1) &^ (pageSize - 1)
	last := end &^ (pageSize - 1)
	if last <= first {
		return
	}
	_ = unix.Madvise(v[first-start:last-start], unix.MADV_DONTNEED)
}

// noReadahead turns off the kernel's readahead for the whole mapping
// (MADV_RANDOM): reading one large record sequentially would otherwise
// fault in megabytes past it, records a start does not want included.
// anchor is any slice inside the mapping.
func (m mapping) noReadahead(anchor []byte) { m.adviseAll(anchor, unix.MADV_RANDOM) }

// dropAll drops every page of the mapping from this process's memory
// (MADV_DONTNEED), once what was read has been copied out: reading
// thousands of small records touches most pages of their buckets.
func (m mapping) dropAll(anchor []byte) { m.adviseAll(anchor, unix.MADV_DONTNEED) }

// holds reports whether v lies inside the mapping (a value of an inline
// bucket, or one bbolt copied, does not).
func (m mapping) holds(v []byte) bool {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	return len(v) > 0 && m.size > 0 && p >= m.base && p < m.base+m.size
}

func (m mapping) adviseAll(anchor []byte, advice int) {
	if len(anchor) == 0 || m.size == 0 {
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(anchor))
	if uintptr(p) < m.base || uintptr(p) >= m.base+m.size {
		return
	}
	base := unsafe.Add(p, -int(uintptr(p)-m.base))
	_ = unix.Madvise(unsafe.Slice((*byte)(base), m.size), advice)
}
