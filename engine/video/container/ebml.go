package container

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// EBML is the binary markup Matroska is written in: every element is an ID, a size and a payload, and a master
// element's payload is more elements. This reader walks it as a stream, one header at a time, and keeps the byte
// offset so a walker can tell where a sized element ends — which is how a stream cut short is told from one that
// ended between elements.

// Element IDs Shardlab reads (with their marker bits, as the Matroska specification writes them).
const (
	idEBML           = 0x1A45DFA3
	idDocType        = 0x4282
	idSegment        = 0x18538067
	idSeekHead       = 0x114D9B74
	idInfo           = 0x1549A966
	idTimecodeScale  = 0x2AD7B1
	idTracks         = 0x1654AE6B
	idTrackEntry     = 0xAE
	idTrackNumber    = 0xD7
	idTrackType      = 0x83
	idCodecID        = 0x86
	idCodecPrivate   = 0x63A2
	idCluster        = 0x1F43B675
	idTimecode       = 0xE7
	idSimpleBlock    = 0xA3
	idBlockGroup     = 0xA0
	idBlock          = 0xA1
	idReferenceBlock = 0xFB
	idCues           = 0x1C53BB6B
	idTags           = 0x1254C367
	idChapters       = 0x1043A770
	idAttachments    = 0x1941A469
)

// unknownSize marks a Segment or Cluster written before its size was known (as a live producer writes them): it
// runs until an element that cannot be its child.
const unknownSize = -1

// Sizes a leaf may claim before the reader refuses it rather than read it.
const (
	maxFrameBytes   = 50 << 20 // KVS refuses fragments over 50 MB, so no frame of one can be larger
	maxHeaderLeaf   = 1 << 20  // CodecPrivate and the like
	smallAllocation = 1 << 20  // up to this a payload is read into a buffer of its claimed size at once
)

// ErrCorrupt is media whose container structure is broken (not merely cut short).
var ErrCorrupt = errors.New("corrupt media")

// element is one element header: its ID, payload size (or unknownSize), and where it and its payload start.
type element struct {
	id    uint32
	size  int64
	head  int64
	start int64
}

// end is the offset just past a sized element.
func (e element) end() int64 { return e.start + e.size }

// ebmlReader reads element headers and payloads, counting the bytes consumed.
type ebmlReader struct {
	r   *bufio.Reader
	pos int64
	// pending is a header read ahead: an unknown-size element ended at it, and its parent reads it next.
	pending *element
}

func newEBMLReader(r io.Reader) *ebmlReader {
	return &ebmlReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next reads the next element header. It returns io.EOF only when the stream ends exactly before a header.
func (e *ebmlReader) next() (element, error) {
	if p := e.pending; p != nil {
		e.pending = nil
		return *p, nil
	}
	at := e.pos
	id, n, err := e.vint(4, true)
	if err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return element{}, io.EOF
		}
		return element{}, e.cut(err, "an element ID at byte %d", at)
	}
	size, sn, err := e.vint(8, false)
	if err != nil {
		return element{}, e.cut(err, "the size of element %X at byte %d", id, at)
	}
	el := element{id: uint32(id), size: int64(size), head: at, start: e.pos}
	if size == 1<<(7*uint(sn))-1 { // every value bit set: the size was not known when it was written
		// only a Segment's and a Cluster's ends can be told without a size (by the next element that cannot
		// be their child); anything else would run on over whatever follows it
		if id != idSegment && id != idCluster {
			return element{}, fmt.Errorf("%w: element %X at byte %d has an unknown size; Matroska allows one only for a Segment or a Cluster", ErrCorrupt, id, at)
		}
		el.size = unknownSize
	}
	return el, nil
}

// unread gives back a header read ahead, for the parent to read next.
func (e *ebmlReader) unread(el element) { e.pending = &el }

// vint reads a variable-length integer of at most maxLen bytes; IDs keep their length-marker bit, sizes drop it.
func (e *ebmlReader) vint(maxLen int, keepMarker bool) (uint64, int, error) {
	first, err := e.r.ReadByte()
	if err != nil {
		return 0, 0, err
	}
	e.pos++
	n := 1
	for mask := byte(0x80); first&mask == 0; mask >>= 1 {
		n++
		if mask == 1 || n > maxLen {
			return 0, 1, fmt.Errorf("%w: byte %02X at offset %d does not start an EBML number of at most %d bytes", ErrCorrupt, first, e.pos-1, maxLen)
		}
	}
	v := uint64(first)
	if !keepMarker {
		v &= 0xFF >> uint(n)
	}
	for i := 1; i < n; i++ {
		b, err := e.r.ReadByte()
		if err != nil {
			return 0, i, err
		}
		e.pos++
		v = v<<8 | uint64(b)
	}
	return v, n, nil
}

// payload reads a leaf element's payload whole, refusing one larger than limit.
func (e *ebmlReader) payload(el element, limit int64, name string) ([]byte, error) {
	if el.size == unknownSize {
		return nil, fmt.Errorf("%w: %s has an unknown size, which only a Segment or a Cluster may have", ErrCorrupt, name)
	}
	if el.size > limit {
		return nil, fmt.Errorf("%w: %s of %d bytes, at most %d", ErrCorrupt, name, el.size, limit)
	}
	var buf []byte
	var err error
	if el.size <= smallAllocation {
		buf = make([]byte, el.size)
		_, err = io.ReadFull(e.r, buf)
	} else {
		// grow as bytes arrive: a size claimed by a cut or forged header allocates nothing it does not get
		buf, err = io.ReadAll(io.LimitReader(e.r, el.size))
		if err == nil && int64(len(buf)) < el.size {
			err = io.ErrUnexpectedEOF
		}
	}
	e.pos += int64(len(buf))
	if err != nil {
		return nil, e.cut(err, "%s at byte %d (%d of %d bytes)", name, el.start, len(buf), el.size)
	}
	return buf, nil
}

// skip passes over an element's payload.
func (e *ebmlReader) skip(el element) error {
	if el.size == unknownSize {
		return fmt.Errorf("%w: element %X at byte %d has an unknown size and Shardlab does not read inside it", ErrCorrupt, el.id, el.start)
	}
	n, err := e.r.Discard(int(min(el.size, int64(^uint(0)>>1))))
	e.pos += int64(n)
	if err != nil {
		return e.cut(err, "element %X at byte %d (%d of %d bytes)", el.id, el.start, n, el.size)
	}
	return nil
}

// uint reads an unsigned integer leaf (0–8 bytes, big-endian).
func (e *ebmlReader) uint(el element, name string) (uint64, error) {
	if el.size > 8 {
		return 0, fmt.Errorf("%w: %s is %d bytes long, at most 8", ErrCorrupt, name, el.size)
	}
	b, err := e.payload(el, 8, name)
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, err
}

// cut names a read that ran out of input as truncation, keeping other errors as they are.
func (e *ebmlReader) cut(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the media ends inside %s", ErrTruncated, what)
	}
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("reading %s: %w", what, err)
}

// children walks a master element's children, calling fn with each header; fn must consume the child's payload
// (read or skip it). For a sized parent it stops at its end and reports a stream that stops short as truncated;
// an unknown-size parent ends at the stream's end (returning io.EOF) or at a header isChild refuses, which is
// left for the caller to read.
func (e *ebmlReader) children(parent element, isChild func(uint32) bool, fn func(element) error) error {
	for {
		if parent.size != unknownSize {
			if e.pos == parent.end() {
				return nil
			}
			if e.pos > parent.end() {
				return fmt.Errorf("%w: a child of element %X overruns it (byte %d, its end %d)", ErrCorrupt, parent.id, e.pos, parent.end())
			}
		}
		el, err := e.next()
		if err == io.EOF {
			if parent.size != unknownSize {
				return fmt.Errorf("%w: the media ends at byte %d, inside element %X that runs to byte %d", ErrTruncated, e.pos, parent.id, parent.end())
			}
			return io.EOF
		}
		if err != nil {
			return err
		}
		if parent.size == unknownSize && !isChild(el.id) {
			e.unread(el)
			return nil
		}
		if parent.size != unknownSize && el.size != unknownSize && el.end() > parent.end() {
			return fmt.Errorf("%w: element %X at byte %d claims %d bytes, past the end of its parent %X", ErrCorrupt, el.id, el.start, el.size, parent.id)
		}
		if err := fn(el); err != nil {
			if err == io.EOF && parent.size != unknownSize {
				// a live child ran to the stream's end, but this sized parent promised more
				return fmt.Errorf("%w: the media ends at byte %d, inside element %X that runs to byte %d", ErrTruncated, e.pos, parent.id, parent.end())
			}
			return err
		}
	}
}

// topLevel reports whether an ID is one of a Segment's top-level elements (or a new EBML header): one of these
// ends an unknown-size Cluster.
func topLevel(id uint32) bool {
	switch id {
	case idEBML, idSegment, idSeekHead, idInfo, idTracks, idCluster, idCues, idTags, idChapters, idAttachments:
		return true
	}
	return false
}
