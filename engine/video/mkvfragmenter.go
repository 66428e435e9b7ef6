package video

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
	// Target is the fragment duration aimed at: a fragment ends at the first key frame at or after it.
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
// dropped; bad or cut media ends it with an error, and the fragment being gathered then is not emitted.
func (f MatroskaFragmenter) Run(ctx context.Context, r io.Reader, emit func(Fragment) error) error {
	c := &mkvCutter{ctx: ctx, target: f.Target, emit: emit}
	if c.target <= 0 {
		c.target = DefaultFragmentDuration
	}
	d := &mkvDemuxer{ctx: ctx, rd: newEBMLReader(r), onSegment: c.segment, onTracks: c.tracks, onFrame: c.frame}
	if err := d.run(); err != nil {
		if c.frames > 0 {
			return fmt.Errorf("%w (the fragment being cut was dropped)", err)
		}
		return err
	}
	return c.flush(0, false)
}

// mkvCutter gathers frames into fragments.
type mkvCutter struct {
	ctx    context.Context
	target time.Duration
	emit   func(Fragment) error

	video, audio *mkvTrack
	avc          avcConfig
	aac          aacConfig
	streams      map[uint16]astits.StreamType

	cur      []mkvFrame // the fragment being gathered, in decode order
	curStart time.Duration
	maxPTS   time.Duration
	frames   int // video frames in cur
	size     int
	// delay is how far decode times run behind presentation times (B-frames reorder), the most seen so far:
	// a stream keeps one delay, so decode times stay continuous from one fragment into the next
	delay time.Duration
}

// segment: a new Segment means the one before ended, with what was gathered complete.
func (c *mkvCutter) segment() error {
	err := c.flush(0, false)
	c.video, c.audio = nil, nil
	return err
}

// tracks picks the video track (and the audio track, if any) and refuses codecs MPEG-TS segments here cannot
// carry, naming them.
func (c *mkvCutter) tracks(all map[uint64]*mkvTrack) error {
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

// frame adds a frame, first cutting the fragment before a key frame that ends it.
func (c *mkvCutter) frame(fr mkvFrame) error {
	switch fr.track {
	case c.video:
		// a clock that steps back (a producer restarting its timecodes) starts a new fragment too
		if fr.key && c.frames > 0 && (fr.pts-c.curStart >= c.target || fr.pts < c.curStart) {
			if err := c.flush(fr.pts, true); err != nil {
				return err
			}
		}
		if c.frames == 0 {
			if !fr.key {
				return nil // nothing decodable yet
			}
			c.curStart, c.maxPTS = fr.pts, fr.pts
		}
		c.frames++
		c.maxPTS = max(c.maxPTS, fr.pts)
	case c.audio:
		if c.frames == 0 {
			return nil // audio before the fragment's key frame belongs to the media dropped
		}
	default:
		return nil
	}
	c.size += len(fr.data)
	if c.size > maxFrameBytes {
		return fmt.Errorf("%w: a fragment grew past %d MiB without a key frame to cut at (KVS refuses fragments over 50 MB)", ErrUnsupported, maxFrameBytes>>20)
	}
	c.cur = append(c.cur, fr)
	return nil
}

// flush writes the gathered frames as a fragment; next is the following fragment's start, when there is one.
func (c *mkvCutter) flush(next time.Duration, haveNext bool) error {
	if c.frames == 0 {
		return nil
	}
	var pts []time.Duration
	for _, fr := range c.cur {
		if fr.track == c.video {
			pts = append(pts, fr.pts)
		}
	}
	// Matroska keeps only presentation times; decode times are the same times in order, shifted back by the
	// reordering depth, as ffmpeg derives them
	sorted := slices.Sorted(slices.Values(pts))
	for i := range pts {
		c.delay = max(c.delay, sorted[i]-pts[i])
	}
	pes := make([]pesData, 0, len(c.cur))
	v := 0
	for _, fr := range c.cur {
		if fr.track == c.video {
			data, err := c.avc.annexB(fr.data, fr.key)
			if err != nil {
				return err
			}
			pes = append(pes, pesData{pid: mkvVideoPID, key: fr.key, pes: pesPacket(0xE0, data, fr.pts, sorted[v]-c.delay)})
			v++
			continue
		}
		data, err := c.aac.adts(fr.data)
		if err != nil {
			return err
		}
		pes = append(pes, pesData{pid: mkvAudioPID, pes: pesPacket(0xC0, data, fr.pts, fr.pts)})
	}
	data, err := mux(c.ctx, c.streams, mkvVideoPID, pes)
	if err != nil {
		return err
	}
	dur := next - c.curStart
	if !haveNext || dur <= 0 {
		dur = c.maxPTS + frameDuration(c.frames, c.maxPTS-c.curStart) - c.curStart
	}
	frag := Fragment{Start: c.curStart, Duration: dur, Data: data, Frames: c.frames}
	c.cur, c.frames, c.size = nil, 0, 0
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
