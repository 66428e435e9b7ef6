// Package countio counts the bytes read through a reader, for progress shown from another goroutine (a replay's
// bytes done, a file import's progress bar, what a camera has sent).
package countio

import (
	"io"
	"sync/atomic"
)

// Reader passes reads through to R and counts their bytes.
type Reader struct {
	R io.Reader
	n atomic.Int64
}

// NewReader counts what is read from r.
func NewReader(r io.Reader) *Reader { return &Reader{R: r} }

func (c *Reader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// N is how many bytes have been read so far; safe from any goroutine.
func (c *Reader) N() int64 { return c.n.Load() }
