package container

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/asticode/go-astits"
)

// MatroskaFragmenter cuts Matroska (H.264 video, optional AAC audio) into fragments at key frames, like
// Fragmenter does for MPEG-TS, and writes each as a self-contained MPEG-TS segment, so stored fragments are
// served the same way whatever the producer sent.
type MatroskaFragmenter struct {
	// Target is the fragment duration aimed at, as Fragmenter's: a fragment ends at the first key frame at or
	// after it, or at an earlier one when running on to the next would pass MaxFragmentDuration or 50 MB.
	Target time.Duration
}

// PIDs of the segments written from Matroska, and the offset added to their clock.
const (
	mkvVideoPID = 0x100
	mkvAudioPID = 0x101
	// tsClockOffset keeps decode times positive: with B-frames a frame is decoded before it is shown, and a
	// Matroska clock starts at 0
	tsClockOffset = 10 * time.Second
)

// Run reads r to its end and calls emit with each complete fragment. Media before the first key frame is
// dropped; bad or cut media ends it with an error, as does a fragment KVS would refuse (ErrFragmentTooLarge,
// ErrFragmentTooLong), and the fragment being gathered then is not emitted.
func (f MatroskaFragmenter) Run(ctx context.Context, r io.Reader, emit func(Fragment) error) error {
	c := &mkvCutter{ctx: ctx, emit: emit}
	c.cut = cutter[mkvItem]{target: targetOr(f.Target), write: c.write}
	d := &mkvDemuxer{ctx: ctx, rd: newEBMLReader(r), onSegment: c.segment, onTracks: c.tracks, onFrame: c.frame}
	if err := d.run(); err != nil {
		return c.cut.dropped(err)
	}
	return c.cut.flush(0, false)
}

// mkvCutter turns Matroska frames into MPEG-TS PES payloads and gathers them into fragments.
type mkvCutter struct {
	ctx  context.Context
	emit func(Fragment) error
	cut  cutter[mkvItem]

	video, audio *mkvTrack
	avc          avcConfig
	aac          aacConfig
	streams      map[uint16]astits.StreamType

	// delay is how far decode times run behind presentation times (B-frames reorder), the most seen so far:
	// a stream keeps one delay, so decode times stay continuous from one fragment into the next
	delay time.Duration
}

// mkvItem is a frame of the fragment being gathered, already in its MPEG-TS form (Annex B, ADTS): its size is
// then known as stored, and it no longer depends on the tracks that described it.
type mkvItem struct {
	video, key bool
	pts        time.Duration
	data       []byte
}

// pesHeaderBytes is the header pesPacket writes with both times.
const pesHeaderBytes = 19

// segment: a new Segment means the one before ended, with what was gathered complete.
func (c *mkvCutter) segment() error {
	err := c.cut.flush(0, false)
	c.video, c.audio = nil, nil
	return err
}

// tracks picks the video track (and the audio track, if any) and refuses codecs MPEG-TS segments here cannot
// carry, naming them. Matroska has one Tracks per Segment; another one later in it is taken as a new Segment
// would be: the fragment gathered is complete, written with the tracks it was read with, and the next one
// starts at a key frame described by the new Tracks.
func (c *mkvCutter) tracks(all map[uint64]*mkvTrack) error {
	if err := c.cut.flush(0, false); err != nil {
		return err
	}
	var videos, audios []*mkvTrack
	for _, n := range slices.Sorted(maps.Keys(all)) {
		switch t := all[n]; t.kind {
		case trackVideo:
			videos = append(videos, t)
		case trackAudio:
			audios = append(audios, t)
		}
	}
	switch {
	case len(videos) == 0:
		return fmt.Errorf("%w: the Tracks hold no video track", ErrNotMatroska)
	case len(videos) > 1:
		return fmt.Errorf("%w: %d video tracks; a stream stores one", ErrUnsupported, len(videos))
	case videos[0].codec != codecH264:
		return fmt.Errorf("%w: video codec %s (track %d); Shardlab stores H.264 (%s) video, as KVS plays back",
			ErrUnsupported, videos[0].codec, videos[0].number, codecH264)
	case len(audios) > 1:
		return fmt.Errorf("%w: %d audio tracks; a stream stores at most one", ErrUnsupported, len(audios))
	case len(audios) == 1 && audios[0].codec != codecAAC:
		return fmt.Errorf("%w: audio codec %s (track %d); Shardlab stores AAC (%s) audio beside the video, as KVS plays back",
			ErrUnsupported, audios[0].codec, audios[0].number, codecAAC)
	}
	avc, err := parseAVCConfig(videos[0].private)
	if err != nil {
		return err
	}
	c.video, c.avc = videos[0], avc
	c.streams = map[uint16]astits.StreamType{mkvVideoPID: astits.StreamTypeH264Video}
	c.audio = nil
	if len(audios) == 1 {
		if c.aac, err = parseAACConfig(audios[0].private); err != nil {
			return err
		}
		c.audio = audios[0]
		c.streams[mkvAudioPID] = astits.StreamTypeAACAudio
	}
	return nil
}

// frame adds a frame of the video or audio track; the cutter cuts the fragment before a key frame that ends it.
func (c *mkvCutter) frame(fr mkvFrame) error {
	switch fr.track {
	case c.video:
		if c.cut.frames == 0 && !fr.key {
			return nil // nothing decodable yet: not worth converting
		}
		data, err := c.avc.annexB(fr.data, fr.key)
		if err != nil {
			return err
		}
		return c.cut.video(mkvItem{video: true, key: fr.key, pts: fr.pts, data: data}, fr.pts, fr.key,
			muxedSize(len(data), pesHeaderBytes, fr.key))
	case c.audio:
		if c.cut.frames == 0 {
			return nil // as the cutter would drop it: not worth converting
		}
		data, err := c.aac.adts(fr.data)
		if err != nil {
			return err
		}
		return c.cut.other(mkvItem{pts: fr.pts, data: data}, muxedSize(len(data), pesHeaderBytes, false))
	}
	return nil
}

// write muxes a fragment's frames as an MPEG-TS segment and emits it.
func (c *mkvCutter) write(items []mkvItem, frag Fragment) error {
	pts := make([]time.Duration, 0, frag.Frames)
	for _, it := range items {
		if it.video {
			pts = append(pts, it.pts)
		}
	}
	// Matroska keeps only presentation times; decode times are the same times in order, shifted back by the
	// reordering depth, as ffmpeg derives them
	sorted := slices.Sorted(slices.Values(pts))
	for i := range pts {
		c.delay = max(c.delay, sorted[i]-pts[i])
	}
	pes := make([]pesData, 0, len(items))
	v := 0
	for _, it := range items {
		if it.video {
			pes = append(pes, pesData{pid: mkvVideoPID, key: it.key, pes: pesPacket(0xE0, it.data, it.pts, sorted[v]-c.delay)})
			v++
			continue
		}
		pes = append(pes, pesData{pid: mkvAudioPID, pes: pesPacket(0xC0, it.data, it.pts, it.pts)})
	}
	data, err := mux(c.ctx, c.streams, mkvVideoPID, pes)
	if err != nil {
		return err
	}
	frag.Data = data
	return c.emit(frag)
}

// pesPacket is a PES packet of one frame; the decode time is written only when it differs.
func pesPacket(streamID uint8, data []byte, pts, dts time.Duration) *astits.PESData {
	oh := &astits.PESOptionalHeader{MarkerBits: 2, DataAlignmentIndicator: true,
		PTSDTSIndicator: astits.PTSDTSIndicatorOnlyPTS, PTS: &astits.ClockReference{Base: clock90k(pts)}}
	if dts != pts {
		oh.PTSDTSIndicator = astits.PTSDTSIndicatorBothPresent
		oh.DTS = &astits.ClockReference{Base: clock90k(dts)}
	}
	return &astits.PESData{Header: &astits.PESHeader{StreamID: streamID, OptionalHeader: oh}, Data: data}
}

// clock90k is a time on MPEG-TS's 33-bit 90 kHz clock, which wraps about every 26.5 hours.
func clock90k(d time.Duration) int64 {
	return (int64((d+tsClockOffset)/time.Microsecond) * 9 / 100) & (1<<33 - 1)
}
