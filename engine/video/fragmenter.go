// Package video keeps Kinesis-Video-like streams: media cut into time-stamped fragments that each start at a key
// frame, for live and on-demand playback. This file cuts an MPEG-TS stream (what ffmpeg, GStreamer and OBS emit)
// into fragments; go-astits reads the container and writes each fragment back as a self-contained MPEG-TS segment
// (its own PAT and PMT first), ready to serve as an HLS segment.
package video

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
	// presentation time), Duration runs to the next fragment's start (or the last frame's, for the last one).
	Start, Duration time.Duration
	Data            []byte // MPEG-TS packets: PAT and PMT, then the fragment's PES packets
	Frames          int    // video frames
}

// Errors of bad media.
var (
	ErrNotMPEGTS = errors.New("not an MPEG-TS stream with a video track")
	ErrTruncated = errors.New("truncated media")
)

// countingReader counts the bytes read (the camera reports how much ffmpeg has sent).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Fragmenter cuts MPEG-TS into fragments.
type Fragmenter struct {
	// Target is the fragment duration aimed at: a fragment ends at the first key frame at or after it.
	Target time.Duration
}

// pesData is one PES packet of the fragment being gathered.
type pesData struct {
	pid uint16
	key bool
	pes *astits.PESData
}

// Run reads r to its end and calls emit with each complete fragment. Media before the first key frame is
// dropped (it cannot be decoded alone). An error in the input ends it: the fragment being gathered then is not
// emitted, so nothing partial becomes playable.
func (f Fragmenter) Run(ctx context.Context, r io.Reader, emit func(Fragment) error) error {
	target := f.Target
	if target <= 0 {
		target = DefaultFragmentDuration
	}
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
	var cur []pesData
	var curStart, lastPTS time.Duration
	frames := 0
	flush := func(next time.Duration) error {
		if len(cur) == 0 {
			return nil
		}
		data, err := mux(ctx, streams, videoPID, cur)
		if err != nil {
			return err
		}
		dur := next - curStart
		if dur <= 0 {
			dur = lastPTS - curStart
		}
		frag := Fragment{Start: curStart, Duration: dur, Data: data, Frames: frames}
		cur, frames = nil, 0
		return emit(frag)
	}
	packets := 0
	for {
		d, err := dmx.NextData()
		if errors.Is(err, astits.ErrNoMorePackets) || (err == nil && d == nil) {
			if !haveVideo {
				return fmt.Errorf("%w: no video stream found", ErrNotMPEGTS)
			}
			if src.n%int64(src.size) != 0 {
				return fmt.Errorf("%w: the media ends in the middle of a %d-byte packet (the fragment being cut was dropped)", ErrTruncated, src.size)
			}
			return flush(lastPTS + frameDuration(frames, lastPTS-curStart))
		}
		if err != nil {
			if packets == 0 {
				return fmt.Errorf("%w: %v", ErrNotMPEGTS, err)
			}
			return fmt.Errorf("the media breaks off: %w (the fragment being cut was dropped)", err)
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
		if _, known := streams[d.PID]; !known {
			continue
		}
		isVideo := d.PID == videoPID
		var pts time.Duration
		if oh := d.PES.Header.OptionalHeader; oh != nil && oh.PTS != nil {
			pts = oh.PTS.Duration()
		}
		key := isVideo && isKeyFrame(d)
		if isVideo {
			if key && len(cur) > 0 && pts-curStart >= target {
				if err := flush(pts); err != nil {
					return err
				}
			}
			if len(cur) == 0 && !key {
				continue // nothing decodable yet
			}
			if len(cur) == 0 {
				curStart = pts
			}
			frames++
			if pts > lastPTS {
				lastPTS = pts
			}
		} else if len(cur) == 0 {
			continue // audio before the fragment's key frame belongs to the media dropped
		}
		cur = append(cur, pesData{pid: d.PID, key: key, pes: d.PES})
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

// frameDuration estimates one frame's duration from a fragment's frames and span, for the last fragment's end.
func frameDuration(frames int, span time.Duration) time.Duration {
	if frames < 2 {
		return 40 * time.Millisecond
	}
	return span / time.Duration(frames-1)
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
