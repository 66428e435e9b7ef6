package storage

import (
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// ReleaseMapped drops this process's mapping of the database pages it has read, without touching the file or the
// page cache. bbolt reads through a shared read-only mmap, so a full read-back of a large stream would otherwise
// count every page read in the process's RSS. Running inside a read transaction keeps bbolt from remapping while
// the advice is given.
func (db *DB) ReleaseMapped() {
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		info := db.bolt.Info()
		size := uintptr(tx.Size())
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, info.Data, size, unix.MADV_DONTNEED)
		return nil
	})
}
