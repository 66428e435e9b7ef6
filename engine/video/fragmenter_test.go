package video

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astits"

	"github.com/shardlab/shardlab/samples"
)

func fragmentAll(t *testing.T, data []byte, target time.Duration) ([]Fragment, error) {
	t.Helper()
	var frags []Fragment
	err := Fragmenter{Target: target}.Run(context.Background(), bytes.NewReader(data), func(f Fragment) error {
		frags = append(frags, f)
		return nil
	})
	return frags, err
}

// firstVideo demuxes a fragment and reports its first video PES: whether it is a key frame, and its PTS.
func firstVideo(t *testing.T, data []byte) (key bool, pts time.Duration, frames int) {
	t.Helper()
	dmx := astits.NewDemuxer(context.Background(), bytes.NewReader(data))
	var video uint16
	found := false
	for {
		d, err := dmx.NextData()
		if err != nil {
			return key, pts, frames
		}
		if d.PMT != nil {
			for _, es := range d.PMT.ElementaryStreams {
				if es.StreamType.IsVideo() {
					video, found = es.ElementaryPID, true
				}
			}
		}
		if d.PES != nil && found && d.PID == video {
			if frames == 0 {
				key = isKeyFrame(d)
				pts = d.PES.Header.OptionalHeader.PTS.Duration()
			}
			frames++
		}
	}
}

// TestSampleFragmentsStartAtKeyFramesAndCoverTheClip: the ten-second sample (a key frame every 2 s) becomes five
// fragments, each starting with a key frame and its own tables, one after another with no gap or overlap.
func TestSampleFragmentsStartAtKeyFramesAndCoverTheClip(t *testing.T) {
	data, err := samples.FS.ReadFile("testpattern.ts")
	if err != nil {
		t.Fatal(err)
	}
	frags, err := fragmentAll(t, data, DefaultFragmentDuration)
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) != 5 {
		t.Fatalf("%d fragments, want 5", len(frags))
	}
	total, frames := time.Duration(0), 0
	for i, f := range frags {
		key, pts, n := firstVideo(t, f.Data)
		if !key || pts != f.Start || n != f.Frames {
			t.Fatalf("fragment %d: key frame %v, first PTS %v (start %v), %d frames (said %d)", i, key, pts, f.Start, n, f.Frames)
		}
		if i > 0 && frags[i-1].Start+frags[i-1].Duration != f.Start {
			t.Fatalf("fragment %d starts at %v, the one before ends at %v", i, f.Start, frags[i-1].Start+frags[i-1].Duration)
		}
		if f.Duration < 1900*time.Millisecond || f.Duration > 2100*time.Millisecond {
			t.Fatalf("fragment %d lasts %v", i, f.Duration)
		}
		total += f.Duration
		frames += f.Frames
	}
	if frames != 250 || total != 10*time.Second {
		t.Fatalf("%d frames over %v, want 250 over 10 s", frames, total)
	}
	// each fragment plays on its own, as an HLS segment must
	if _, err := exec.LookPath("ffprobe"); err == nil {
		cmd := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
			"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", "-")
		cmd.Stdin = bytes.NewReader(frags[2].Data)
		out, err := cmd.Output()
		if first, _, _ := strings.Cut(string(out), "\n"); err != nil || first != "50" {
			t.Fatalf("ffprobe on a fragment: %q %v", out, err)
		}
	}
}

// TestBadMediaIsRefused: garbage is not MPEG-TS; a stream cut in the middle of a packet keeps its complete
// fragments and drops the one being cut.
func TestBadMediaIsRefused(t *testing.T) {
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(rand.IntN(256))
	}
	frags, err := fragmentAll(t, garbage, DefaultFragmentDuration)
	if !errors.Is(err, ErrNotMPEGTS) || len(frags) != 0 {
		t.Fatalf("garbage: %d fragments, %v", len(frags), err)
	}
	data, _ := samples.FS.ReadFile("testpattern.ts")
	frags, err = fragmentAll(t, data[:len(data)*6/10+57], DefaultFragmentDuration)
	if len(frags) < 2 || len(frags) > 3 || !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated: %d fragments (%v)", len(frags), err)
	}
	for _, f := range frags {
		if key, _, _ := firstVideo(t, f.Data); !key {
			t.Fatal("a fragment of the truncated stream does not start with a key frame")
		}
	}
}

// FuzzFragmenter: any input either fragments (every fragment starting with a key frame) or is refused; it never
// panics or hangs.
func FuzzFragmenter(f *testing.F) {
	data, _ := samples.FS.ReadFile("testpattern.ts")
	f.Add(data[:188*40])
	f.Add(data[188*3 : 188*60])
	f.Add([]byte{0x47, 0x40, 0x00, 0x10})
	f.Add([]byte("not media at all"))
	f.Fuzz(func(t *testing.T, in []byte) {
		frags, _ := fragmentAll(t, in, 100*time.Millisecond)
		for _, fr := range frags {
			if len(fr.Data) == 0 || fr.Frames == 0 {
				t.Fatalf("an empty fragment %+v", fr)
			}
		}
	})
}
