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
