package container

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/asticode/go-astits"
)

// Made-up streams, for what the samples do not show: long or missing groups of pictures, pauses, clocks that
// step back or wrap, sizes at KVS's limits.

// synthFrame is a frame of a made-up H.264 stream: its presentation time, whether it is a key frame (an IDR) and
// how many bytes of slice data it carries.
type synthFrame struct {
	pts  time.Duration
	key  bool
	size int
}

// gops is n frames every step from from, a key frame every gop frames (none if gop is 0), of size bytes each.
func gops(from time.Duration, n, gop int, step time.Duration, size int) []synthFrame {
	frames := make([]synthFrame, n)
	for i := range frames {
		frames[i] = synthFrame{pts: from + time.Duration(i)*step, key: gop > 0 && i%gop == 0, size: size}
	}
	return frames
}

// synthTS muxes frames as MPEG-TS, their times on the 90 kHz clock taken modulo its 33 bits as a producer's wrap.
func synthTS(t testing.TB, frames []synthFrame) []byte {
	t.Helper()
	var buf bytes.Buffer
	m := astits.NewMuxer(context.Background(), &buf)
	if err := m.AddElementaryStream(astits.PMTElementaryStream{ElementaryPID: 0x100, StreamType: astits.StreamTypeH264Video}); err != nil {
		t.Fatal(err)
	}
	m.SetPCRPID(0x100)
	for _, f := range frames {
		nal := byte(0x41) // a non-IDR slice
		if f.key {
			nal = 0x65
		}
		ticks := int64(f.pts/time.Microsecond) * 9 / 100
		md := &astits.MuxerData{PID: 0x100, PES: &astits.PESData{
			Header: &astits.PESHeader{OptionalHeader: &astits.PESOptionalHeader{MarkerBits: 2,
				PTSDTSIndicator: astits.PTSDTSIndicatorOnlyPTS, PTS: &astits.ClockReference{Base: ticks & (1<<33 - 1)}}},
			Data: append([]byte{0, 0, 0, 1, nal}, make([]byte, f.size)...)}}
		if f.key {
			md.AdaptationField = &astits.PacketAdaptationField{RandomAccessIndicator: true}
		}
		if _, err := m.WriteData(md); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// synthMKV writes frames as a live Matroska stream (unknown-size Segment and Clusters) of the sample's H.264
// track, times at TimecodeScale scale.
func synthMKV(t testing.TB, scale int64, frames []synthFrame) []byte {
	t.Helper()
	video, _, _ := sampleFrames(t)
	return append(ebmlHeader("matroska"), live(idSegment, append([][]byte{el(idInfo, elUint(idTimecodeScale, uint64(scale))),
		tracksOf(video)}, mkvClusters(video.number, scale, frames)...)...)...)
}

// mkvClusters writes frames as live Matroska Clusters of one track, times at TimecodeScale scale: a Cluster
// starts at each key frame and wherever a block's offset would overflow.
func mkvClusters(track uint64, scale int64, frames []synthFrame) [][]byte {
	var clusters, blocks [][]byte
	var base int64
	for _, f := range frames {
		tc := int64(f.pts) / scale
		if blocks == nil || f.key || tc-base > 30000 || tc < base {
			if blocks != nil {
				clusters = append(clusters, live(idCluster, blocks...))
			}
			base = tc
			blocks = [][]byte{elUint(idTimecode, uint64(base))}
		}
		blocks = append(blocks, simpleBlock(track, int16(tc-base), f.key, avcFrame(f)))
	}
	return append(clusters, live(idCluster, blocks...))
}

// avcFrame is a frame as Matroska carries H.264: one NAL unit behind a 4-byte length (the sample's length size).
func avcFrame(f synthFrame) []byte {
	nal := byte(0x41)
	if f.key {
		nal = 0x65
	}
	return append(append(binary.BigEndian.AppendUint32(nil, uint32(f.size+1)), nal), make([]byte, f.size)...)
}
