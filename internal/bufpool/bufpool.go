// Package bufpool reuses large byte buffers (request bodies, decoded payloads, record batches) across calls, so a
// busy server does not fault in fresh pages and feed the garbage collector megabytes per request.
package bufpool

import (
	"math/bits"
	"sync"
)

const (
	minShift = 12 // 4 KiB: smaller buffers are cheap to allocate
	maxShift = 25 // 32 MiB: larger ones are not kept
)

var pools [maxShift + 1]sync.Pool

// Get returns an empty buffer with capacity at least n.
func Get(n int) []byte {
	shift := max(bits.Len(uint(n-1)), minShift)
	if n <= 0 || shift > maxShift {
		return make([]byte, 0, n)
	}
	if b, ok := pools[shift].Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 1<<shift)
}

// Put hands a buffer back; the caller must not touch it (or anything sliced from it) afterwards.
func Put(b []byte) {
	c := cap(b)
	if c < 1<<minShift || c > 1<<maxShift || c&(c-1) != 0 {
		return // not one of ours: only power-of-two capacities map back to their size class
	}
	shift := bits.Len(uint(c)) - 1
	b = b[:0]
	pools[shift].Put(&b)
}
