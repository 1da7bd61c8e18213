package state

import "syscall"

// release drops the state file's pages from this process's resident
// memory after a transaction: bbolt reads through a shared read-only
// mapping, whose touched pages count as the process's RSS although they
// are the kernel's page cache. They stay cached and are mapped again on
// the next read. The service reads the file at start and writes after
// refreshes only, so it keeps none of it resident.
func (b *Bolt) release() {
	info := b.db.Info()
	b.mu.Lock()
	size := b.stats.Size
	b.mu.Unlock()
	if info == nil || info.Data == 0 || size <= 0 {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(size), syscall.MADV_DONTNEED)
}
