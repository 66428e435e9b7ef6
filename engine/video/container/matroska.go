package container

// This file reads Matroska, what the KVS producer SDK (and GStreamer's kvssink) send to PutMedia: an EBML header,
// then a Segment holding the track descriptions and Clusters of blocks, each block one frame timed by its
// Cluster's timecode plus its own offset. A live producer writes the Segment and its Clusters with unknown sizes.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Errors of Matroska media.
var (
	ErrNotMatroska = errors.New("not a Matroska stream with an H.264 video track")
	ErrUnsupported = errors.New("unsupported media")
)

// Codec IDs Shardlab carries, as KVS plays them back: H.264 video with optional AAC audio.
const (
	codecH264 = "V_MPEG4/ISO/AVC"
	codecAAC  = "A_AAC"
)

// Matroska track types.
const (
	trackVideo = 1
	trackAudio = 2
)

// defaultTimecodeScale is Matroska's default: timecodes count milliseconds.
const defaultTimecodeScale = 1_000_000

// mkvTrack is one TrackEntry.
type mkvTrack struct {
	number  uint64
	kind    uint64
	codec   string
	private []byte
}

// mkvFrame is one block's frame, on the media clock (cluster timecode plus block offset, scaled).
type mkvFrame struct {
	track *mkvTrack
	pts   time.Duration
	key   bool
	data  []byte
}

// mkvDemuxer walks a Matroska stream and hands on its tracks and frames.
type mkvDemuxer struct {
	ctx context.Context
	rd  *ebmlReader

	onSegment func() error                     // a Segment starts: what came before is complete
	onTracks  func(map[uint64]*mkvTrack) error // the Segment's tracks are known
	onFrame   func(mkvFrame) error

	scale     int64 // nanoseconds per timecode tick
	tracks    map[uint64]*mkvTrack
	sawTracks bool
	clusterTC uint64
	haveTC    bool
}

// run reads the stream to its end. A stream that ends between elements of unknown-size parents (a live producer
// hanging up between frames) ends well; one that ends inside a sized element is truncated.
func (d *mkvDemuxer) run() error {
	el, err := d.rd.next()
	if err == io.EOF {
		return fmt.Errorf("%w: the media is empty", ErrNotMatroska)
	}
	if err != nil {
		return err
	}
	if el.id != idEBML {
		return fmt.Errorf("%w: it does not start with an EBML header", ErrNotMatroska)
	}
	for {
		switch el.id {
		case idEBML:
			err = d.header(el)
		case idSegment:
			err = d.segment(el)
		default:
			err = d.rd.skip(el)
		}
		if err == nil {
			el, err = d.rd.next()
		}
		if err == io.EOF {
			if !d.sawTracks {
				return fmt.Errorf("%w: the media ends before its Tracks", ErrNotMatroska)
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// header checks the EBML header's DocType.
func (d *mkvDemuxer) header(el element) error {
	docType := ""
	err := d.rd.children(el, anyChild, func(c element) error {
		if c.id != idDocType {
			return d.rd.skip(c)
		}
		b, err := d.rd.payload(c, 64, "DocType")
		docType = trimNul(b)
		return err
	})
	if err != nil {
		return err
	}
	if docType != "matroska" && docType != "webm" {
		return fmt.Errorf("%w: EBML DocType %q, want matroska or webm", ErrNotMatroska, docType)
	}
	return nil
}

func (d *mkvDemuxer) segment(el element) error {
	if d.onSegment != nil {
		if err := d.onSegment(); err != nil {
			return err
		}
	}
	d.scale, d.tracks, d.haveTC = defaultTimecodeScale, nil, false
	inSegment := func(id uint32) bool { return id != idEBML && id != idSegment }
	return d.rd.children(el, inSegment, func(c element) error {
		switch c.id {
		case idInfo:
			return d.info(c)
		case idTracks:
			return d.readTracks(c)
		case idCluster:
			return d.cluster(c)
		}
		return d.rd.skip(c)
	})
}

func (d *mkvDemuxer) info(el element) error {
	return d.rd.children(el, anyChild, func(c element) error {
		if c.id != idTimecodeScale {
			return d.rd.skip(c)
		}
		v, err := d.rd.uint(c, "TimecodeScale")
		if err == nil && (v == 0 || v > math.MaxInt32) {
			err = fmt.Errorf("%w: TimecodeScale %d ns, want 1–%d", ErrCorrupt, v, math.MaxInt32)
		}
		d.scale = int64(v)
		return err
	})
}

func (d *mkvDemuxer) readTracks(el element) error {
	d.tracks = map[uint64]*mkvTrack{}
	err := d.rd.children(el, anyChild, func(c element) error {
		if c.id != idTrackEntry {
			return d.rd.skip(c)
		}
		t := &mkvTrack{}
		err := d.rd.children(c, anyChild, func(f element) error {
			var err error
			switch f.id {
			case idTrackNumber:
				t.number, err = d.rd.uint(f, "TrackNumber")
			case idTrackType:
				t.kind, err = d.rd.uint(f, "TrackType")
			case idCodecID:
				var b []byte
				b, err = d.rd.payload(f, 256, "CodecID")
				t.codec = trimNul(b)
			case idCodecPrivate:
				t.private, err = d.rd.payload(f, maxHeaderLeaf, "CodecPrivate")
			default:
				err = d.rd.skip(f)
			}
			return err
		})
		if err != nil {
			return err
		}
		if t.number == 0 {
			return fmt.Errorf("%w: a TrackEntry without a TrackNumber", ErrCorrupt)
		}
		d.tracks[t.number] = t
		return nil
	})
	if err != nil {
		return err
	}
	d.sawTracks = true
	return d.onTracks(d.tracks)
}

func (d *mkvDemuxer) cluster(el element) error {
	d.haveTC = false
	inCluster := func(id uint32) bool { return !topLevel(id) }
	return d.rd.children(el, inCluster, func(c element) error {
		switch c.id {
		case idTimecode:
			tc, err := d.rd.uint(c, "Cluster Timecode")
			// KVS's absolute timecodes are epoch milliseconds; anything whose nanoseconds overflow is not a clock
			if err == nil && tc > uint64(math.MaxInt64/d.scale)-math.MaxInt16 {
				err = fmt.Errorf("%w: Cluster Timecode %d × TimecodeScale %d ns is past any clock", ErrCorrupt, tc, d.scale)
			}
			d.clusterTC, d.haveTC = tc, true
			return err
		case idSimpleBlock:
			b, err := d.rd.payload(c, maxFrameBytes, "SimpleBlock")
			if err != nil {
				return err
			}
			return d.block(b, true, false)
		case idBlockGroup:
			return d.blockGroup(c)
		}
		return d.rd.skip(c)
	})
}

// blockGroup reads a Block with its ReferenceBlocks: a Block that references no other frame is a key frame.
func (d *mkvDemuxer) blockGroup(el element) error {
	var block []byte
	referenced := false
	err := d.rd.children(el, anyChild, func(c element) error {
		var err error
		switch c.id {
		case idBlock:
			block, err = d.rd.payload(c, maxFrameBytes, "Block")
		case idReferenceBlock:
			referenced = true
			err = d.rd.skip(c)
		default:
			err = d.rd.skip(c)
		}
		return err
	})
	if err != nil {
		return err
	}
	if block == nil {
		return fmt.Errorf("%w: a BlockGroup without a Block at byte %d", ErrCorrupt, el.start)
	}
	return d.block(block, false, !referenced)
}

// block reads a block's header (track number, timecode offset, flags) and hands on its frame.
func (d *mkvDemuxer) block(b []byte, simple, groupKey bool) error {
	if err := d.ctx.Err(); err != nil {
		return err
	}
	if d.tracks == nil {
		return fmt.Errorf("%w: a block comes before the Tracks that describe it", ErrNotMatroska)
	}
	if !d.haveTC {
		return fmt.Errorf("%w: a block comes before its Cluster's Timecode", ErrCorrupt)
	}
	number, n := blockTrack(b)
	if n == 0 || len(b) < n+3 {
		return fmt.Errorf("%w: a block header of %d bytes", ErrCorrupt, len(b))
	}
	t := d.tracks[number]
	if t == nil {
		return nil // a track the Tracks do not describe cannot be played; Matroska players skip it too
	}
	offset := int64(int16(uint16(b[n])<<8 | uint16(b[n+1])))
	flags := b[n+2]
	if lacing := flags >> 1 & 3; lacing != 0 {
		return fmt.Errorf("%w: track %d uses block lacing (mode %d); KVS producers send one frame per block", ErrUnsupported, number, lacing)
	}
	key := groupKey
	if simple {
		key = flags&0x80 != 0
	}
	pts := time.Duration((int64(d.clusterTC) + offset) * d.scale)
	return d.onFrame(mkvFrame{track: t, pts: pts, key: key, data: b[n+3:]})
}

// blockTrack reads a block's track number (an EBML size-style number); n is 0 when it is malformed.
func blockTrack(b []byte) (uint64, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > 8 || len(b) < n {
		return 0, 0
	}
	v := uint64(b[0] & (0xFF >> uint(n)))
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

func anyChild(uint32) bool { return true }

// trimNul reads an EBML string, which may be padded with NULs.
func trimNul(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
