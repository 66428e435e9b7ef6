package container

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Unit is a piece of a recorded Matroska file as a live producer would send it: the bytes from one frame's block up
// to the next one's, when that frame is due counted from the first frame, and whether it is a key frame. The
// live-latency benchmark feeds a file to an ingest unit by unit, at the pace a camera would.
type Unit struct {
	Data []byte
	Due  time.Duration
	Key  bool
}

// MatroskaUnits splits Matroska before each SimpleBlock, due at its timestamp. It assumes the millisecond
// timecodes ffmpeg writes and no B-frames (so a block's timestamp is its decode time too).
func MatroskaUnits(data []byte) ([]Unit, error) {
	var units []Unit
	rd := newEBMLReader(bytes.NewReader(data))
	var cluster uint64
	start := int64(0)
	var walk func(parent element) error
	walk = func(parent element) error {
		return rd.children(parent, anyChild, func(c element) error {
			switch c.id {
			case idSegment, idCluster:
				return walk(c)
			case idTimecode:
				var err error
				cluster, err = rd.uint(c, "Timecode")
				return err
			case idSimpleBlock:
				block, err := rd.payload(c, maxFrameBytes, "SimpleBlock")
				if err != nil {
					return err
				}
				_, n := blockTrack(block)
				if n+2 >= len(block) {
					return fmt.Errorf("%w: a SimpleBlock of %d bytes", ErrCorrupt, len(block))
				}
				offset := int64(int16(uint16(block[n])<<8 | uint16(block[n+1])))
				if len(units) > 0 {
					units[len(units)-1].Data, start = data[start:c.head], c.head
				}
				units = append(units, Unit{Due: time.Duration(int64(cluster)+offset) * time.Millisecond, Key: block[n+2]&0x80 != 0})
				return nil
			}
			return rd.skip(c)
		})
	}
	if err := walk(element{size: int64(len(data))}); err != nil {
		return nil, err
	}
	if len(units) == 0 {
		return nil, errors.New("no SimpleBlock in the Matroska data")
	}
	units[len(units)-1].Data = data[start:]
	first := units[0].Due
	for i := range units {
		units[i].Due -= first
	}
	return units, nil
}
