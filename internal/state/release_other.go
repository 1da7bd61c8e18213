//go:build !linux

package state

// release does nothing where madvise is not used.
func (b *Bolt) release() {}
