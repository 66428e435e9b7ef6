package container

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os/exec"
	"slices"
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
				if oh := d.PES.Header.OptionalHeader; oh != nil && oh.PTS != nil {
					pts = oh.PTS.Duration()
				}
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
	f.Add(asPackets(data[:188*60], 192))
	f.Add(asPackets(data[:188*60], 204))
	wrap := time.Duration(1<<33) * time.Second / 90000
	f.Add(synthTS(f, gops(wrap-200*time.Millisecond, 12, 4, 40*time.Millisecond, 8)))
	f.Add(synthTS(f, append(gops(time.Hour, 6, 3, 40*time.Millisecond, 8), gops(0, 6, 3, 40*time.Millisecond, 8)...)))
	f.Fuzz(func(t *testing.T, in []byte) {
		frags, _ := fragmentAll(t, in, 100*time.Millisecond)
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

// asPackets rewrites 188-byte packets as 192-byte M2TS ones (a 4-byte arrival time first) or 204-byte ones (16
// bytes of parity after).
func asPackets(ts []byte, size int) []byte {
	var out []byte
	for i := 0; i+188 <= len(ts); i += 188 {
		switch size {
		case 192:
			out = append(append(out, 0x40, 0, byte(i>>8), byte(i)), ts[i:i+188]...)
		case 204:
			out = append(append(out, ts[i:i+188]...), make([]byte, 16)...)
		}
	}
	return out
}

// TestPacketSizes: 192-byte M2TS packets and 204-byte ones fragment as the 188-byte ones they carry do.
func TestPacketSizes(t *testing.T) {
	data, _ := samples.FS.ReadFile("testpattern.ts")
	want, err := fragmentAll(t, data, DefaultFragmentDuration)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{192, 204} {
		frags, err := fragmentAll(t, asPackets(data, size), DefaultFragmentDuration)
		if err != nil || len(frags) != len(want) {
			t.Fatalf("%d-byte packets: %d fragments, %v", size, len(frags), err)
		}
		for i, f := range frags {
			if f.Start != want[i].Start || f.Duration != want[i].Duration || !bytes.Equal(f.Data, want[i].Data) {
				t.Fatalf("%d-byte packets: fragment %d differs", size, i)
			}
		}
	}
}

// TestCutPacketsAreTruncated: a stream that ends inside a packet is truncated, judged by its own packet size —
// a cut at a multiple of another size is no clean end — and one that ends between packets is not.
func TestCutPacketsAreTruncated(t *testing.T) {
	data, _ := samples.FS.ReadFile("testpattern.ts")
	m2ts := asPackets(data, 192)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"188 cut at 192×1630", data[:312_960]},
		{"188 cut at 204×1534", data[:312_936]},
		{"192 cut at 188×1664", m2ts[:188*1664]},
		{"192 cut inside its prefix", m2ts[:192*1630+2]},
	} {
		frags, err := fragmentAll(t, c.data, DefaultFragmentDuration)
		if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "dropped") {
			t.Fatalf("%s: %d fragments, %v", c.name, len(frags), err)
		}
		for _, f := range frags {
			if f.Frames != 50 {
				t.Fatalf("%s: a fragment of %d frames kept", c.name, f.Frames)
			}
		}
	}
	if frags, err := fragmentAll(t, m2ts[:192*1630], DefaultFragmentDuration); err != nil || len(frags) == 0 {
		t.Fatalf("192 ending between packets: %d fragments, %v", len(frags), err)
	}
}

// TestEmptyPESIsNoFrame: a PES packet without data, flagged a random access point, holds no frame to start a
// fragment with (mux writes nothing of it): the fragment starts at the next key frame that has one.
func TestEmptyPESIsNoFrame(t *testing.T) {
	ts := synthTS(t, append(gops(0, 10, 0, 40*time.Millisecond, 100), gops(400*time.Millisecond, 50, 25, 40*time.Millisecond, 100)...))
	// one packet: an adaptation field with the random access indicator, then a PES header (a PTS) and no data;
	// its continuity counter 15 runs on into the 0 of the video's first packet
	empty := []byte{0x47, 0x41, 0x00, 0x3F, 169, 0x40}
	empty = append(empty, bytes.Repeat([]byte{0xFF}, 168)...)
	empty = append(empty, 0, 0, 1, 0xE0, 0, 8, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1)
	frags, err := fragmentAll(t, append(append(slices.Clone(ts[:2*188]), empty...), ts[2*188:]...), 2*time.Second)
	if err != nil || len(frags) != 1 || frags[0].Start != 400*time.Millisecond || frags[0].Frames != 50 {
		t.Fatalf("%d fragments, %v", len(frags), err)
	}
	if key, _, n := firstVideo(t, frags[0].Data); !key || n != 50 {
		t.Fatalf("key frame first %v, %d frames", key, n)
	}
}
