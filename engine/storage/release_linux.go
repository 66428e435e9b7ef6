package storage

import (
	"os"
	"unsafe"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// bbolt reads through a shared, read-only mmap of the file, and every page the process touches stays resident in
// it (counted in RSS) until bbolt remaps the file, which happens only every 1 GiB of growth. MADV_DONTNEED on a
// shared file mapping drops the pages from this process's page tables without touching the file or the page cache;
// a later access faults them back in from the cache. Advice is always given inside a read transaction, which keeps
// bbolt from remapping (and the addresses from going stale) meanwhile.

var pageSize = uintptr(os.Getpagesize())

// ReleaseMapped drops every page of the mapping.
func (db *DB) ReleaseMapped() {
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		madvise(db.bolt.Info().Data, uintptr(tx.Size()))
		db.releasedUpTo.Store(tx.Size())
		return nil
	})
}

// ReleaseRecent drops the pages of the file's tail written since the last release, plus a margin before it:
// appends touch the right-most pages of the tree, which bbolt allocates at the end of the file, so this keeps a
// write-heavy process small at the cost of a few megabytes of page-table walk instead of the whole file's.
func (db *DB) ReleaseRecent() {
	const margin = 8 << 20
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		end := tx.Size()
		start := max(db.releasedUpTo.Load()-margin, 0)
		start -= start % int64(pageSize)
		if end > start {
			madvise(db.bolt.Info().Data+uintptr(start), uintptr(end-start))
		}
		db.releasedUpTo.Store(end)
		return nil
	})
}

// pageRuns collects the page ranges a scan read, merging neighbours, so a reader can drop exactly what it touched.
// Only values inside the mapping count: bbolt hands out some values from the Go heap (a small inline bucket whose
// bytes are unaligned is cloned), and advising those pages away would zero live heap memory.
type pageRuns struct {
	mapStart, mapEnd uintptr
	start, end       uintptr
}

func newPageRuns(btx *bolt.Tx) pageRuns {
	base := btx.DB().Info().Data
	return pageRuns{mapStart: base, mapEnd: base + uintptr(btx.Size())}
}

// gap is how far apart two reads may be and still be released as one range: the pages in between belong to other
// shards' records and dropping them costs at most a refault.
const gap = 64 << 10

// faultAround is Linux's default fault_around_bytes.
const faultAround = 64 << 10

// maxRun bounds how much a scan keeps mapped before it drops what it has read so far.
const maxRun = 1 << 20

func (p *pageRuns) add(b []byte) {
	if len(b) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	hi := lo + uintptr(len(b))
	if lo < p.mapStart || hi > p.mapEnd {
		return
	}
	// A page fault maps the whole fault-around window (64 KiB by default) of cached pages, so drop whole windows.
	lo = max(lo-lo%faultAround, p.mapStart)
	hi = min(hi-hi%faultAround+faultAround, p.mapEnd)
	switch {
	case p.end == 0:
		p.start, p.end = lo, hi
	case lo >= p.start && lo <= p.end+gap && p.end-p.start < maxRun:
		p.end = max(p.end, hi)
	default:
		p.flush()
		p.start, p.end = lo, hi
	}
}

func (p *pageRuns) flush() {
	if p.end > p.start {
		madvise(p.start, p.end-p.start)
	}
	p.start, p.end = 0, 0
}

func madvise(addr, length uintptr) {
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, addr, length, unix.MADV_DONTNEED)
}
