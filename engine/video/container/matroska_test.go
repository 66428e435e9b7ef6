package container

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astits"
)

// testsrc.mkv is ten seconds of ffmpeg's test pattern and a tone, as Matroska (H.264 320×240, 25 fps, B-frames,
// a key frame every 2 s; AAC), made with: ffmpeg -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i
// sine=frequency=440:sample_rate=48000 -t 10 -c:v libx264 -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p
// -c:a aac -b:a 24k -fflags +bitexact -f matroska testsrc.mkv
func sampleMKV(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "testsrc.mkv")) // shared with the store's tests
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fragmentMKV(t testing.TB, data []byte, target time.Duration) ([]Fragment, error) {
	t.Helper()
	var frags []Fragment
	err := MatroskaFragmenter{Target: target}.Run(context.Background(), bytes.NewReader(data), func(f Fragment) error {
		frags = append(frags, f)
		return nil
	})
	return frags, err
}

// sampleFrames demuxes the sample: its tracks and frames in stream order.
func sampleFrames(t testing.TB) (video, audio *mkvTrack, frames []mkvFrame) {
	t.Helper()
	d := &mkvDemuxer{ctx: context.Background(), rd: newEBMLReader(bytes.NewReader(sampleMKV(t))),
		onTracks: func(all map[uint64]*mkvTrack) error {
			for _, tr := range all {
				if tr.kind == trackVideo {
					video = tr
				} else {
					audio = tr
				}
			}
			return nil
		},
		onFrame: func(f mkvFrame) error { frames = append(frames, f); return nil }}
	if err := d.run(); err != nil {
		t.Fatal(err)
	}
	return video, audio, frames
}

// ffprobeFrames counts the frames ffprobe decodes from a segment alone, per stream ("video,audio").
func ffprobeFrames(t *testing.T, data []byte) string {
	t.Helper()
	cmd := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_type,nb_read_frames",
		"-of", "csv=p=0", "-")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe: %v %s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestMatroskaFragmentsStartAtKeyFramesAndCoverTheClip: the ten-second Matroska sample (a key frame every 2 s,
// B-frames, AAC) becomes five MPEG-TS fragments, each starting with a key frame carrying its SPS and PPS, one after
// another with no gap or overlap; each decodes alone (ffprobe), video and audio.
func TestMatroskaFragmentsStartAtKeyFramesAndCoverTheClip(t *testing.T) {
	frags, err := fragmentMKV(t, sampleMKV(t), DefaultFragmentDuration)
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) != 5 {
		t.Fatalf("%d fragments, want 5", len(frags))
	}
	total, frames := time.Duration(0), 0
	for i, f := range frags {
		key, pts, n := firstVideo(t, f.Data)
		if want := (&astits.ClockReference{Base: clock90k(f.Start)}).Duration(); !key || pts != want || n != f.Frames {
			t.Fatalf("fragment %d: key frame %v, first PTS %v (start %v), %d frames (said %d)", i, key, pts, f.Start, n, f.Frames)
		}
		if i > 0 && frags[i-1].Start+frags[i-1].Duration != f.Start {
			t.Fatalf("fragment %d starts at %v, the one before ends at %v", i, f.Start, frags[i-1].Start+frags[i-1].Duration)
		}
		if f.Duration != 2*time.Second {
			t.Fatalf("fragment %d lasts %v", i, f.Duration)
		}
		if !bytes.Contains(f.Data[:2000], []byte{0, 0, 0, 1, 0x67}) {
			t.Fatalf("fragment %d: no SPS before its key frame", i)
		}
		total += f.Duration
		frames += f.Frames
	}
	if frames != 250 || total != 10*time.Second {
		t.Fatalf("%d frames over %v, want 250 over 10 s", frames, total)
	}
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Log("ffprobe is not installed: fragments not decoded")
		return
	}
	for _, i := range []int{0, 2, 4} {
		if got := ffprobeFrames(t, frags[i].Data); !strings.HasPrefix(got, "video,50 audio,") {
			t.Fatalf("ffprobe on fragment %d alone: %q", i, got)
		}
	}
}

// TestMatroskaFragmentDuration: the target sets where fragments are cut (at the first key frame at or after it).
func TestMatroskaFragmentDuration(t *testing.T) {
	for _, c := range []struct {
		target time.Duration
		want   []time.Duration
	}{
		{1 * time.Second, []time.Duration{2, 2, 2, 2, 2}},
		{3 * time.Second, []time.Duration{4, 4, 2}},
		{4 * time.Second, []time.Duration{4, 4, 2}},
		{20 * time.Second, []time.Duration{10}},
	} {
		frags, err := fragmentMKV(t, sampleMKV(t), c.target)
		if err != nil {
			t.Fatal(err)
		}
		var got []time.Duration
		for _, f := range frags {
			got = append(got, f.Duration/time.Second)
		}
		if !slices.Equal(got, c.want) {
			t.Fatalf("target %v: fragments of %v s, want %v", c.target, got, c.want)
		}
	}
}

// EBML writing, for streams shaped as the KVS producer SDK sends them (ffmpeg cannot make them).

func ebmlID(id uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, id)
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// el is a sized element (an 8-byte size, as live muxers write them).
func el(id uint32, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	return append(append(ebmlID(id), binary.BigEndian.AppendUint64(nil, uint64(len(body))|1<<56)...), body...)
}

// live is an unknown-size element.
func live(id uint32, payload ...[]byte) []byte {
	return append(append(ebmlID(id), 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), bytes.Join(payload, nil)...)
}

func elUint(id uint32, v uint64) []byte { return el(id, binary.BigEndian.AppendUint64(nil, v)) }

func simpleBlock(track uint64, offset int16, key bool, frame []byte) []byte {
	flags := byte(0)
	if key {
		flags = 0x80
	}
	return el(idSimpleBlock, []byte{0x80 | byte(track)}, binary.BigEndian.AppendUint16(nil, uint16(offset)), []byte{flags}, frame)
}

func ebmlHeader(docType string) []byte {
	return el(idEBML, elUint(0x4286, 1), el(idDocType, []byte(docType)))
}

func tracksOf(tracks ...*mkvTrack) []byte {
	var entries [][]byte
	for _, t := range tracks {
		entries = append(entries, el(idTrackEntry, elUint(idTrackNumber, t.number), elUint(idTrackType, t.kind),
			el(idCodecID, []byte(t.codec)), el(idCodecPrivate, t.private)))
	}
	return el(idTracks, entries...)
}

// kvsStream re-muxes the sample as the KVS producer SDK sends it: unknown-size Segment and Clusters, one Cluster per
// 2 s starting at a key frame, absolute timecodes (epoch milliseconds at TimecodeScale scale), a Tags element
// between Clusters.
func kvsStream(t testing.TB, epoch time.Time, scale int64) []byte {
	video, audio, frames := sampleFrames(t)
	body := [][]byte{el(idInfo, elUint(idTimecodeScale, uint64(scale))), tracksOf(video, audio)}
	var cluster [][]byte
	var base int64
	end := func() {
		if cluster != nil {
			body = append(body, live(idCluster, cluster...), el(idTags, el(0x7373, el(0x67C8, el(0x45A3, []byte("AWS_KINESISVIDEO_FRAGMENT_NUMBER"))))))
		}
	}
	for _, f := range frames {
		ts := (epoch.UnixNano() + int64(f.pts)) / scale
		if f.track == video && f.key {
			end()
			base = ts
			cluster = [][]byte{elUint(idTimecode, uint64(base))}
		}
		if cluster == nil {
			continue
		}
		cluster = append(cluster, simpleBlock(f.track.number, int16(ts-base), f.key, f.data))
	}
	end()
	return append(ebmlHeader("matroska"), live(idSegment, body...)...)
}

// TestMatroskaAsKVSSendsIt: unknown-size Segment and Clusters with absolute timecodes (at two timecode scales): the
// cluster timecodes are the producer timestamps. (engine/video's TestIngestKVSStreamsOneAfterAnother sends two
// such streams on one connection.)
func TestMatroskaAsKVSSendsIt(t *testing.T) {
	epoch := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, scale := range []int64{1_000_000, 100_000} {
		stream := kvsStream(t, epoch, scale)
		frags, err := fragmentMKV(t, stream, DefaultFragmentDuration)
		if err != nil || len(frags) != 5 {
			t.Fatalf("scale %d: %d fragments, %v", scale, len(frags), err)
		}
		if want := epoch.Sub(time.Unix(0, 0)) + 21*time.Millisecond; frags[0].Start != want {
			t.Fatalf("scale %d: first fragment at %v, want %v", scale, frags[0].Start, want)
		}
	}
	// the live stream's last cluster has no size: a producer hanging up between frames ends it, whole
	frags, err := fragmentMKV(t, kvsStream(t, epoch, 1_000_000), time.Second)
	if err != nil || len(frags) != 5 || frags[4].Frames != 50 {
		t.Fatalf("%d fragments, %v", len(frags), err)
	}
}

// TestMatroskaRefused: other codecs are refused by name; broken or cut media is refused, keeping only the
// fragments complete before the break.
func TestMatroskaRefused(t *testing.T) {
	video, audio, _ := sampleFrames(t)
	sample := sampleMKV(t)
	vp8 := &mkvTrack{number: 1, kind: trackVideo, codec: "V_VP8"}
	opus := &mkvTrack{number: 2, kind: trackAudio, codec: "A_OPUS", private: []byte("OpusHead")}
	aacHE := *audio
	aacHE.private = []byte{0x2B, 0x92, 0x08, 0x00} // object type 5 (SBR)
	blockAt := blockOffsets(t, sample)
	cut := blockAt[len(blockAt)*7/10] // about 7 s in: three fragments are complete, the fourth is being cut
	for _, c := range []struct {
		name  string
		data  []byte
		is    error
		say   string
		frags int
	}{
		{"webm vp8", append(ebmlHeader("webm"), el(idSegment, tracksOf(vp8))...), ErrUnsupported, "V_VP8", 0},
		{"opus", append(ebmlHeader("matroska"), el(idSegment, tracksOf(video, opus))...), ErrUnsupported, "A_OPUS", 0},
		{"he-aac", append(ebmlHeader("matroska"), el(idSegment, tracksOf(video, &aacHE))...), ErrUnsupported, "object type 5", 0},
		{"no video", append(ebmlHeader("matroska"), el(idSegment, tracksOf(audio))...), ErrNotMatroska, "no video track", 0},
		{"not matroska", append(ebmlHeader("dvd"), el(idSegment)...), ErrNotMatroska, "DocType", 0},
		{"no tracks", ebmlHeader("matroska"), ErrNotMatroska, "before its Tracks", 0},
		{"no header", el(idSegment), ErrNotMatroska, "EBML header", 0},
		{"bad number", append(ebmlHeader("matroska"), 0x18, 0x53, 0x80, 0x67, 0x00), ErrCorrupt, "EBML number", 0},
		{"overrun", append(ebmlHeader("matroska"), el(idSegment, el(idInfo, []byte{0x2A, 0xD7, 0xB1, 0x88, 1}))...), ErrCorrupt, "past the end", 0},
		{"cut in a block", sample[:cut+40], ErrTruncated, "SimpleBlock", 3},
		{"cut between blocks of a sized cluster", sample[:cut], ErrTruncated, "inside element 1F43B675", 3},
		{"cut in a header", sample[:cut+1], ErrTruncated, "size of element A3", 3},
		{"cut before the first cluster ends", sample[:blockAt[20]], ErrTruncated, "inside element", 0},
	} {
		frags, err := fragmentMKV(t, c.data, DefaultFragmentDuration)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.say) || len(frags) != c.frags {
			t.Fatalf("%s: %d fragments, %v", c.name, len(frags), err)
		}
		for _, f := range frags {
			if key, _, _ := firstVideo(t, f.Data); !key || f.Frames != 50 {
				t.Fatalf("%s: a fragment kept of %d frames, key frame first %v", c.name, f.Frames, key)
			}
		}
	}
}

// blockOffsets finds where each SimpleBlock of a stream starts.
func blockOffsets(t testing.TB, data []byte) []int {
	t.Helper()
	var at []int
	rd := newEBMLReader(bytes.NewReader(data))
	var walk func(parent element) error
	walk = func(parent element) error {
		return rd.children(parent, anyChild, func(c element) error {
			switch c.id {
			case idSegment, idCluster:
				return walk(c)
			case idSimpleBlock:
				at = append(at, int(c.head))
			}
			return rd.skip(c)
		})
	}
	if err := walk(element{id: 0, size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	return at
}

// FuzzMatroska: any input either fragments (every fragment starting with a key frame) or is refused; it never
// panics, hangs or allocates what the input only claims.
func FuzzMatroska(f *testing.F) {
	sample := sampleMKV(f)
	f.Add(sample[:4096])
	f.Add(sample[:20000])
	kvs := kvsStream(f, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), 1_000_000)
	f.Add(kvs[:30000])
	f.Add(append(ebmlHeader("webm"), el(idSegment)...))
	f.Add(append(ebmlHeader("matroska"), 0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x43, 0xB6, 0x75, 0x08))
	f.Add([]byte{0x1A, 0x45, 0xDF, 0xA3})
	video, _, _ := sampleFrames(f)
	small := gops(0, 12, 4, 40*time.Millisecond, 8)
	f.Add(synthMKV(f, 1_000_000, append(gops(time.Hour, 6, 3, 40*time.Millisecond, 8), small...)))
	unsizedGroup := live(idBlockGroup, el(idBlock, []byte{0x81, 0, 0, 0, 0, 0, 0, 1, 0x65}))
	f.Add(append(ebmlHeader("matroska"), live(idSegment, tracksOf(video), live(idCluster, elUint(idTimecode, 0), unsizedGroup))...))
	twice := append([][]byte{tracksOf(video)}, mkvClusters(video.number, 1_000_000, small[:6])...)
	twice = append(append(twice, tracksOf(video)), mkvClusters(video.number, 1_000_000, small[6:])...)
	f.Add(append(ebmlHeader("matroska"), live(idSegment, twice...)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		frags, _ := fragmentMKV(t, in, 100*time.Millisecond)
		for _, fr := range frags {
			if len(fr.Data) == 0 || fr.Frames == 0 || fr.Duration <= 0 {
				t.Fatalf("an empty fragment %+v", fr)
			}
			if key, _, n := firstVideo(t, fr.Data); !key || n != fr.Frames {
				t.Fatalf("a fragment of %d frames holds %d, a key frame first: %v", fr.Frames, n, key)
			}
		}
	})
}

// TestMatroskaUnknownSizeOnlyForSegmentAndCluster: an element of unknown size other than a Segment or a Cluster
// would run on over everything after it; it is refused, naming it, rather than swallowing the stream.
func TestMatroskaUnknownSizeOnlyForSegmentAndCluster(t *testing.T) {
	video, _, _ := sampleFrames(t)
	frames := gops(0, 250, 50, 40*time.Millisecond, 100)
	clusters := mkvClusters(video.number, 1_000_000, frames)
	block := append([]byte{0x80 | byte(video.number), 0, 1, 0}, avcFrame(synthFrame{size: 100})...)
	for _, c := range []struct {
		name, id string
		bad      []byte
	}{
		{"BlockGroup", "A0", live(idCluster, elUint(idTimecode, 4500), live(idBlockGroup, el(idBlock, block)))},
		{"Tracks", "1654AE6B", live(idTracks, el(idTrackEntry, elUint(idTrackNumber, 9)))},
		{"Info", "1549A966", live(idInfo, elUint(idTimecodeScale, 1_000_000))},
	} {
		body := append([][]byte{el(idInfo, elUint(idTimecodeScale, 1_000_000)), tracksOf(video)}, clusters[:2]...)
		body = append(append(append(body, clusters[2]), c.bad), clusters[3:]...)
		frags, err := fragmentMKV(t, append(ebmlHeader("matroska"), live(idSegment, body...)...), DefaultFragmentDuration)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "element "+c.id) || !strings.Contains(err.Error(), "unknown size") || len(frags) != 2 {
			t.Fatalf("%s: %d fragments, %v", c.name, len(frags), err)
		}
	}
}

// TestMatroskaSecondTracks: a Tracks again inside a Segment ends the fragment gathered, as a new Segment does;
// the fragments before and after it hold their frames, video as video and audio as audio, even when the new
// Tracks drop the audio track the fragment before it has frames of.
func TestMatroskaSecondTracks(t *testing.T) {
	video, audio, frames := sampleFrames(t)
	for _, c := range []struct {
		name          string
		before, after []*mkvTrack
	}{
		{"video", []*mkvTrack{video}, []*mkvTrack{video}},
		{"video and audio", []*mkvTrack{video, audio}, []*mkvTrack{video, audio}},
		{"audio dropped", []*mkvTrack{video, audio}, []*mkvTrack{video}},
	} {
		body := [][]byte{el(idInfo, elUint(idTimecodeScale, 1_000_000)), tracksOf(c.before...)}
		tracks := c.before
		var cluster [][]byte
		var base time.Duration
		keys := 0
		for _, f := range frames {
			if !slices.Contains(tracks, f.track) {
				continue
			}
			if f.track == video && f.key {
				if cluster != nil {
					body = append(body, live(idCluster, cluster...))
				}
				if keys++; keys == 2 { // 2 s into a fragment of 4
					body, tracks = append(body, tracksOf(c.after...)), c.after
				}
				base = f.pts
				cluster = [][]byte{elUint(idTimecode, uint64(base/time.Millisecond))}
			}
			if cluster != nil {
				cluster = append(cluster, simpleBlock(f.track.number, int16((f.pts-base)/time.Millisecond), f.key, f.data))
			}
		}
		body = append(body, live(idCluster, cluster...))
		frags, err := fragmentMKV(t, append(ebmlHeader("matroska"), live(idSegment, body...)...), 4*time.Second)
		if err != nil || len(frags) != 3 {
			t.Fatalf("%s: %d fragments, %v", c.name, len(frags), err)
		}
		for i, f := range frags {
			if key, _, n := firstVideo(t, f.Data); !key || n != f.Frames || n != []int{50, 100, 100}[i] {
				t.Fatalf("%s: fragment %d: key frame first %v, %d frames (said %d)", c.name, i, key, n, f.Frames)
			}
		}
		if _, err := exec.LookPath("ffprobe"); err == nil && len(c.before) == 2 {
			if got := ffprobeFrames(t, frags[0].Data); !strings.HasPrefix(got, "video,50 audio,") {
				t.Fatalf("%s: ffprobe on the fragment before the second Tracks: %q", c.name, got)
			}
		}
	}
}
