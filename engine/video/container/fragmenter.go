// Fragmenter cuts an MPEG-TS stream (what ffmpeg, GStreamer and OBS emit) into fragments; go-astits reads the
// container and writes each fragment back as a self-contained MPEG-TS segment (its own PAT and PMT first), ready to
// serve as an HLS segment.

package container

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/asticode/go-astits"
)

// DefaultFragmentDuration is how long a fragment runs before the next key frame cuts it, as KVS producers do.
const DefaultFragmentDuration = 2 * time.Second

// Fragment is one cut of the media: it starts at a key frame.
type Fragment struct {
	// Start is the producer timestamp of its first frame (the media's own clock, from the first key frame's
	// presentation time). Duration runs to the next fragment's start, or to its last frame's end when the media
	// ends or pauses there (or its clock steps back).
	Start, Duration time.Duration
	Data            []byte // MPEG-TS packets: PAT and PMT, then the fragment's PES packets
	Frames          int    // video frames
}

// Errors of bad media, and of media KVS would refuse.
var (
	ErrNotMPEGTS = errors.New("not an MPEG-TS stream with a video track")
	ErrTruncated = errors.New("truncated media")
	// KVS acknowledges these as MAX_FRAGMENT_SIZE_REACHED (4001) and MAX_FRAGMENT_DURATION_REACHED (4002)
	ErrFragmentTooLarge = fmt.Errorf("a fragment larger than %d MB, the most KVS accepts", maxFragmentBytes/1_000_000)
	ErrFragmentTooLong  = fmt.Errorf("a fragment longer than %v, the most KVS accepts", MaxFragmentDuration)
)

// maxFragmentBytes is KVS's limit on a fragment, counted as the MPEG-TS segment stored will be.
const maxFragmentBytes = 50_000_000

// MaxFragmentDuration is the longest fragment KVS accepts.
const MaxFragmentDuration = 20 * time.Second

// ebmlMagic starts every Matroska (and WebM) stream: the EBML header's ID.
var ebmlMagic = []byte{0x1A, 0x45, 0xDF, 0xA3}

// MagicLen is how many leading bytes IsMatroska needs to tell the containers apart.
const MagicLen = 4

// IsMatroska says whether a stream starting with head is Matroska (or WebM) rather than MPEG-TS. A head shorter
// than MagicLen (a stream that short) is judged by what there is.
func IsMatroska(head []byte) bool { return len(head) > 0 && bytes.HasPrefix(ebmlMagic, head) }

// targetOr is a fragmenter's target duration, or the default when it has none.
func targetOr(target time.Duration) time.Duration {
	if target <= 0 {
		return DefaultFragmentDuration
	}
	return target
}

// Fragmenter cuts MPEG-TS into fragments.
type Fragmenter struct {
	// Target is the fragment duration aimed at: a fragment ends at the first key frame at or after it, or at an
	// earlier one when running on to the next would pass MaxFragmentDuration or 50 MB.
	Target time.Duration
}

// pesData is one PES packet of the fragment being gathered.
type pesData struct {
	pid uint16
	key bool
	pes *astits.PESData
}

// Run reads r to its end and calls emit with each complete fragment. Media before the first key frame is
// dropped (it cannot be decoded alone). An error in the input ends it, as does a fragment KVS would refuse
// (ErrFragmentTooLarge, ErrFragmentTooLong): the fragment being gathered then is not emitted, so nothing partial
// becomes playable.
func (f Fragmenter) Run(ctx context.Context, r io.Reader, emit func(Fragment) error) error {
	src, err := newTSReader(r)
	if err != nil {
		return err
	}
	// packets reach go-astits as plain 188-byte ones whatever their size on the wire (its own detection of the
	// size wants a sync byte first, which M2TS does not have)
	dmx := astits.NewDemuxer(ctx, src, astits.DemuxerOptPacketSize(astits.MpegTsPacketSize))
	streams := map[uint16]astits.StreamType{}
	var videoPID uint16
	haveVideo := false
	var clock tsClock
	cut := cutter[pesData]{target: targetOr(f.Target), write: func(pes []pesData, frag Fragment) error {
		data, err := mux(ctx, streams, videoPID, pes)
		if err != nil {
			return err
		}
		frag.Data = data
		return emit(frag)
	}}
	packets := 0
	for {
		d, err := dmx.NextData()
		if errors.Is(err, astits.ErrNoMorePackets) || (err == nil && d == nil) {
			if !haveVideo {
				return fmt.Errorf("%w: no video stream found", ErrNotMPEGTS)
			}
			if src.n%int64(src.size) != 0 {
				return cut.dropped(fmt.Errorf("%w: the media ends in the middle of a %d-byte packet", ErrTruncated, src.size))
			}
			return cut.flush(0, false)
		}
		if err != nil {
			if packets == 0 {
				return fmt.Errorf("%w: %v", ErrNotMPEGTS, err)
			}
			return cut.dropped(fmt.Errorf("the media breaks off: %w", err))
		}
		packets++
		if d.PMT != nil {
			for _, es := range d.PMT.ElementaryStreams {
				streams[es.ElementaryPID] = es.StreamType
				if es.StreamType.IsVideo() && !haveVideo {
					videoPID, haveVideo = es.ElementaryPID, true
				}
			}
			continue
		}
		if d.PES == nil || !haveVideo {
			continue
		}
		if _, known := streams[d.PID]; !known || len(d.PES.Data) == 0 {
			continue // an empty PES packet holds no frame, and mux writes nothing of it
		}
		header := 6 // a PES header without the optional part
		if oh := d.PES.Header.OptionalHeader; oh != nil {
			header += 3 + int(oh.HeaderLength)
		}
		if d.PID == videoPID {
			key := isKeyFrame(d)
			err = cut.video(pesData{pid: d.PID, key: key, pes: d.PES}, clock.pts(d.PES), key, muxedSize(len(d.PES.Data), header, key))
		} else {
			err = cut.other(pesData{pid: d.PID, pes: d.PES}, muxedSize(len(d.PES.Data), header, false))
		}
		if err != nil {
			return cut.dropped(err)
		}
	}
}

// tsReader hands go-astits 188-byte packets from a stream of 188-byte packets, 192-byte M2TS ones (a 4-byte
// arrival time before each) or 204-byte ones (16 bytes of Reed–Solomon parity after each), and counts the bytes
// read so a stream that ends inside a packet is told from one that ends between packets.
type tsReader struct {
	r    *bufio.Reader
	size int // bytes a packet takes in the stream
	skip int // bytes before its sync byte
	n    int64
	buf  []byte // a whole packet of another size than 188
	left []byte // what of its 188 bytes has not been read yet
}

// tsPacketLayouts are the packet sizes tried, the plain one first: the sync byte (0x47) must recur at every one
// of the first packets peeked.
var tsPacketLayouts = []struct{ size, skip int }{{188, 0}, {192, 4}, {204, 0}}

func newTSReader(r io.Reader) (*tsReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4*204 + 4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: reading its first bytes: %v", ErrNotMPEGTS, err)
	}
	for _, l := range tsPacketLayouts {
		ok := len(head) > l.skip
		for at := l.skip; ok && at < len(head); at += l.size {
			ok = head[at] == 0x47
		}
		if ok {
			t := &tsReader{r: br, size: l.size, skip: l.skip}
			if l.size != astits.MpegTsPacketSize {
				t.buf = make([]byte, l.size)
			}
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w: no sync byte (47) every 188, 192 or 204 bytes at its start", ErrNotMPEGTS)
}

func (t *tsReader) Read(p []byte) (int, error) {
	if t.buf == nil {
		n, err := t.r.Read(p)
		t.n += int64(n)
		return n, err
	}
	if len(t.left) == 0 {
		n, err := io.ReadFull(t.r, t.buf)
		t.n += int64(n)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, io.EOF // the count tells the packet was cut
		}
		if err != nil {
			return 0, err
		}
		t.left = t.buf[t.skip : t.skip+astits.MpegTsPacketSize]
	}
	n := copy(p, t.left)
	t.left = t.left[n:]
	return n, nil
}

// tsClock puts PES presentation times on one line: MPEG-TS's 33-bit 90 kHz clock wraps about every 26.5 hours,
// and a stream running across the wrap must not seem to jump back a day. Each step is taken the shorter way
// round, so B-frames shown before a frame decoded across the wrap fall right too, and a producer restarting
// its clock (by less than half the circle) still steps back.
type tsClock struct {
	ticks int64
	seen  bool
}

func (c *tsClock) pts(pes *astits.PESData) time.Duration {
	const wrap = 1 << 33
	if oh := pes.Header.OptionalHeader; oh != nil && oh.PTS != nil {
		if !c.seen {
			c.ticks, c.seen = oh.PTS.Base, true
		} else {
			step := (oh.PTS.Base - c.ticks) % wrap
			if step < 0 {
				step += wrap
			}
			if step >= wrap/2 {
				step -= wrap
			}
			c.ticks += step
		}
	}
	// a frame without a time is taken to be at the last one's: nothing says otherwise
	return time.Duration(c.ticks * 100_000 / 9) // as astits.ClockReference.Duration computes it
}

// isKeyFrame: the muxer flagged the packet as a random access point, or (for H.264) the PES holds an IDR slice.
func isKeyFrame(d *astits.DemuxerData) bool {
	if af := d.FirstPacket.AdaptationField; af != nil && af.RandomAccessIndicator {
		return true
	}
	data := d.PES.Data
	for i := 0; i+3 < len(data); i++ {
		if data[i] == 0 && data[i+1] == 0 && data[i+2] == 1 {
			if nal := data[i+3] & 0x1f; nal == 5 {
				return true
			}
			i += 2
		}
	}
	return false
}

// mux writes a fragment's PES packets as a self-contained MPEG-TS segment: tables first, a PCR on each key frame.
func mux(ctx context.Context, streams map[uint16]astits.StreamType, videoPID uint16, pes []pesData) ([]byte, error) {
	var buf bytes.Buffer
	m := astits.NewMuxer(ctx, &buf)
	for _, pid := range slices.Sorted(maps.Keys(streams)) {
		if err := m.AddElementaryStream(astits.PMTElementaryStream{ElementaryPID: pid, StreamType: streams[pid]}); err != nil {
			return nil, err
		}
	}
	m.SetPCRPID(videoPID)
	if _, err := m.WriteTables(); err != nil {
		return nil, err
	}
	for _, p := range pes {
		md := &astits.MuxerData{PID: p.pid, PES: p.pes}
		if p.key {
			md.AdaptationField = &astits.PacketAdaptationField{RandomAccessIndicator: true}
			if oh := p.pes.Header.OptionalHeader; oh != nil {
				clock := oh.DTS
				if clock == nil {
					clock = oh.PTS
				}
				if clock != nil {
					md.AdaptationField.HasPCR = true
					md.AdaptationField.PCR = &astits.ClockReference{Base: clock.Base}
				}
			}
		}
		if _, err := m.WriteData(md); err != nil {
			return nil, fmt.Errorf("writing the fragment: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// muxedSize is about what a PES packet of n payload bytes and a header of header bytes takes once mux writes it:
// whole 188-byte packets of 184 payload bytes, the first also holding the header and a key frame's PCR, and the
// tables (PAT and PMT, two packets) again before each key frame and every 40 PES packets. It errs high, so a
// fragment counted under the limit is under it stored.
func muxedSize(n, header int, key bool) int {
	const pcrField, tables = 8, 2 * astits.MpegTsPacketSize
	size := max(1, (n+header+pcrField+183)/184)*astits.MpegTsPacketSize + (tables+39)/40
	if key {
		size += tables
	}
	return size
}

// Frames of a B-frame stream are shown out of decode order, a few frame times apart; a clock stepping back by
// more than this has restarted.
const reorderSlack = time.Second

// defaultFrameInterval stands for a frame's duration until two frames have shown it.
const defaultFrameInterval = 40 * time.Millisecond

// cutter gathers one fragmenter's frames (of type T) into fragments: each starts at a key frame and ends at the
// first key frame at or after the target. It keeps what KVS limits, the fragment's media duration and its size
// as stored, and where its latest group of pictures began, so that a fragment about to pass a limit is cut there
// instead; only one group of pictures past a limit alone ends the stream, with ErrFragmentTooLong or
// ErrFragmentTooLarge.
type cutter[T any] struct {
	target time.Duration
	// write muxes and emits a fragment's frames; frag has all but Data. The frames are not kept past it.
	write func(frames []T, frag Fragment) error

	items  []T
	start  time.Duration // the first key frame's presentation time
	frames int           // video frames
	size   int           // estimated bytes stored
	// The media's span so far: base plus the current run of the clock from runStart to runMax. A clock that
	// steps back begins a new run, so the span keeps growing and the duration limit holds across it.
	runStart, runMax, base time.Duration
	// stepped: the clock stepped back inside this fragment (a producer restarting its timestamps). The next key
	// frame cuts, whatever the target, so the fragment it starts has one clock. The frames between the step and
	// that key frame stay in this fragment: a cut before one of them would start a fragment without a key
	// frame, and whatever they are decoded from came before them.
	stepped bool
	gop     gopMark
	// the smallest step seen between consecutive video frames' times: one frame's duration, for where the
	// last frame of a fragment ends
	prev     time.Duration
	havePrev bool
	interval time.Duration
}

// gopMark is where the fragment's latest group of pictures began, after its first (at is 0 when there is none).
type gopMark struct {
	at, frames, size int
	pts              time.Duration
	spanBefore       time.Duration // the fragment's span up to its key frame
	spanAt           time.Duration // the key frame's place on the span
}

// span is how long the fragment's media runs from its start to its latest frame's start.
func (c *cutter[T]) span() time.Duration { return c.base + c.runMax - c.runStart }

// video adds a video frame of presentation time pts (on one continuous clock) that takes size bytes stored,
// first cutting the fragment before a key frame that ends it.
func (c *cutter[T]) video(item T, pts time.Duration, key bool, size int) error {
	if c.havePrev {
		if d := max(pts-c.prev, c.prev-pts); d > 0 && (c.interval == 0 || d < c.interval) {
			c.interval = d
		}
	}
	c.prev, c.havePrev = pts, true
	back := pts < c.runMax-reorderSlack
	// a key frame before the fragment's start is a step back however small: reordering never puts one there
	if key && c.frames > 0 && (back || c.stepped || pts < c.start || pts-c.start >= c.target) {
		if err := c.flush(pts, true); err != nil {
			return err
		}
		back = false
	}
	if c.frames == 0 {
		if !key {
			return nil // nothing decodable yet
		}
		c.start, c.runStart, c.runMax, c.base, c.stepped, c.gop = pts, pts, pts, 0, false, gopMark{}
		c.size = 2 * astits.MpegTsPacketSize // the tables mux writes first
		back = false
	}
	before := c.span()
	if back {
		c.base += c.runMax - c.runStart + c.interval
		c.runStart, c.runMax, c.stepped = pts, pts, true
	}
	c.runMax = max(c.runMax, pts)
	if key && c.frames > 0 {
		c.gop = gopMark{at: len(c.items), frames: c.frames, size: c.size, pts: pts, spanBefore: before, spanAt: c.span()}
	}
	c.frames++
	return c.add(item, size)
}

// other adds a frame of another track (audio): it goes with the video frames around it.
func (c *cutter[T]) other(item T, size int) error {
	if c.frames == 0 {
		return nil // before the fragment's key frame it belongs to the media dropped
	}
	return c.add(item, size)
}

func (c *cutter[T]) add(item T, size int) error {
	c.items = append(c.items, item)
	c.size += size
	for {
		long := c.span()+c.interval > MaxFragmentDuration
		large := c.size > maxFragmentBytes
		switch {
		case !long && !large:
			return nil
		case c.gop.at > 0:
			if err := c.cutAtGOP(); err != nil {
				return err
			}
		case large:
			return fmt.Errorf("%w: about %d bytes stored from the key frame at %v, with no key frame since to cut at", ErrFragmentTooLarge, c.size, c.start)
		default:
			return fmt.Errorf("%w: the media runs %v from the key frame at %v with no key frame since to cut at", ErrFragmentTooLong, c.span()+c.interval, c.start)
		}
	}
}

// cutAtGOP writes the fragment up to its latest group of pictures, which goes on as the fragment gathered.
func (c *cutter[T]) cutAtGOP() error {
	g := c.gop
	frag := Fragment{Start: c.start, Duration: fragmentDuration(g.spanBefore, c.interval, g.pts-c.start, true), Frames: g.frames}
	err := c.write(c.items[:g.at], frag)
	n := copy(c.items, c.items[g.at:])
	clear(c.items[n:]) // let the frames written go
	c.items = c.items[:n]
	c.start, c.frames, c.size, c.base, c.gop = g.pts, c.frames-g.frames, c.size-g.size+2*astits.MpegTsPacketSize, c.base-g.spanAt, gopMark{}
	return err
}

// flush writes the fragment gathered; next is the following fragment's start, when there is one.
func (c *cutter[T]) flush(next time.Duration, haveNext bool) error {
	if c.frames == 0 {
		return nil
	}
	frag := Fragment{Start: c.start, Duration: fragmentDuration(c.span(), c.interval, next-c.start, haveNext), Frames: c.frames}
	items := c.items
	c.frames, c.size, c.gop = 0, 0, gopMark{}
	err := c.write(items, frag)
	clear(items)
	c.items = items[:0]
	return err
}

// dropped says the fragment being gathered, if any, was dropped with the error that ended the stream.
func (c *cutter[T]) dropped(err error) error {
	if c.frames > 0 {
		return fmt.Errorf("%w (the fragment being cut was dropped)", err)
	}
	return err
}

// fragmentDuration: a fragment runs to its last frame's end (span plus a frame), or to the next fragment's start
// when that comes first. A next start a little later, within half a frame, is still taken as contiguous: times
// rounded to the millisecond step unevenly. One further away is a pause, which is no fragment's media; a next
// start before this one is a clock that stepped back.
func fragmentDuration(span, interval, toNext time.Duration, haveNext bool) time.Duration {
	if interval <= 0 {
		interval = defaultFrameInterval
	}
	end := span + interval
	if haveNext && toNext > 0 && toNext <= end+interval/2 {
		return toNext
	}
	return end
}
