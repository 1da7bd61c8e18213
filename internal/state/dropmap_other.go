//go:build !linux

package state

// mapping is unused where MADV_DONTNEED is not.
type mapping struct{ base, size uintptr }

func (mapping) dropPages([]byte) {}

func (mapping) noReadahead([]byte) {}

func (mapping) dropAll([]byte) {}

func (mapping) holds([]byte) bool { return false }
