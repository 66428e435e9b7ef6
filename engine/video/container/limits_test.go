package container

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astits"
)

// fragmenters runs a test on both fragmenters, each given the frames in its own container.
func fragmenters(t *testing.T, frames []synthFrame, target time.Duration, test func(t *testing.T, frags []Fragment, err error)) {
	t.Run("mpeg-ts", func(t *testing.T) {
		frags, err := fragmentAll(t, synthTS(t, frames), target)
		test(t, frags, err)
	})
	t.Run("matroska", func(t *testing.T) {
		frags, err := fragmentMKV(t, synthMKV(t, 1_000_000, frames), target)
		test(t, frags, err)
	})
}

// checkFragments: every fragment starts with a key frame and holds the frames it says, and none is longer than
// KVS takes.
func checkFragments(t *testing.T, frags []Fragment) {
	t.Helper()
	for i, f := range frags {
		if key, _, n := firstVideo(t, f.Data); !key || n != f.Frames {
			t.Fatalf("fragment %d: key frame first %v, %d frames (said %d)", i, key, n, f.Frames)
		}
		if f.Duration <= 0 || f.Duration > MaxFragmentDuration || len(f.Data) > maxFragmentBytes {
			t.Fatalf("fragment %d: %v, %d bytes", i, f.Duration, len(f.Data))
		}
	}
}

func durations(frags []Fragment) []time.Duration {
	var d []time.Duration
	for _, f := range frags {
		d = append(d, f.Duration)
	}
	return d
}

// TestNoKeyFrameForTooLong: a stream that stops sending key frames (intra refresh) ends with ErrFragmentTooLong
// once the fragment's media passes 20 s, storing nothing of it; the key frame inside it a second in was a cut
// point, so the second before it is kept.
func TestNoKeyFrameForTooLong(t *testing.T) {
	frames := append(gops(0, 100, 25, 40*time.Millisecond, 100), gops(4*time.Second, 25*25, 0, 40*time.Millisecond, 100)...)
	fragmenters(t, frames, 2*time.Second, func(t *testing.T, frags []Fragment, err error) {
		if !errors.Is(err, ErrFragmentTooLong) || !strings.Contains(err.Error(), "20s") || !strings.Contains(err.Error(), "dropped") {
			t.Fatalf("%v", err)
		}
		checkFragments(t, frags)
		if got := durations(frags); len(got) != 2 || got[0] != 2*time.Second || got[1] != time.Second {
			t.Fatalf("fragments of %v, want 2s and 1s", got)
		}
	})
}

// TestLongTargetCutsBeforeTheLimit: with a 20 s target and a key frame every 3 s, the first key frame at or after
// the target would make 21 s fragments; they are cut a key frame earlier instead.
func TestLongTargetCutsBeforeTheLimit(t *testing.T) {
	frames := gops(0, 40*25, 75, 40*time.Millisecond, 100)
	fragmenters(t, frames, MaxFragmentDuration, func(t *testing.T, frags []Fragment, err error) {
		if err != nil {
			t.Fatal(err)
		}
		checkFragments(t, frags)
		want := []time.Duration{18 * time.Second, 18 * time.Second, 4 * time.Second}
		if got := durations(frags); !slices.Equal(got, want) || frags[1].Start != 18*time.Second || frags[2].Start != 36*time.Second {
			t.Fatalf("fragments of %v, want %v", got, want)
		}
	})
}

// TestPauseIsNoFragmentsMedia: two groups of pictures a minute apart make two fragments of 2 s, not one of a
// minute (which HLS would list as a minute of media, with no discontinuity at the pause).
func TestPauseIsNoFragmentsMedia(t *testing.T) {
	frames := append(gops(0, 50, 50, 40*time.Millisecond, 100), gops(time.Minute, 50, 50, 40*time.Millisecond, 100)...)
	fragmenters(t, frames, 2*time.Second, func(t *testing.T, frags []Fragment, err error) {
		if err != nil {
			t.Fatal(err)
		}
		checkFragments(t, frags)
		if got := durations(frags); !slices.Equal(got, []time.Duration{2 * time.Second, 2 * time.Second}) || frags[1].Start != time.Minute {
			t.Fatalf("fragments of %v", got)
		}
	})
}

// TestClockStepsBack: a producer restarting its clock inside one stream cuts a fragment at its first key frame,
// whatever the target; frames that follow the step back before a key frame stay with the fragment they are
// decoded from, so every fragment still starts with a key frame.
func TestClockStepsBack(t *testing.T) {
	first := gops(100*time.Second, 150, 50, 40*time.Millisecond, 100)
	for _, c := range []struct {
		name   string
		after  []synthFrame
		starts []time.Duration // milliseconds
		third  time.Duration   // the duration of the fragment the clock steps back in, milliseconds
	}{
		{"at a key frame", gops(10*time.Second, 150, 50, 40*time.Millisecond, 100),
			[]time.Duration{100_000, 102_000, 104_000, 10_000, 12_000, 14_000}, 2000},
		{"before one", append(gops(10*time.Second, 10, 0, 40*time.Millisecond, 100),
			gops(10400*time.Millisecond, 140, 50, 40*time.Millisecond, 100)...),
			[]time.Duration{100_000, 102_000, 104_000, 10_400, 12_400, 14_400}, 2400},
	} {
		t.Run(c.name, func(t *testing.T) {
			fragmenters(t, append(slices.Clone(first), c.after...), 2*time.Second, func(t *testing.T, frags []Fragment, err error) {
				if err != nil {
					t.Fatal(err)
				}
				checkFragments(t, frags)
				var starts, want []time.Duration
				for i, f := range frags {
					starts = append(starts, f.Start)
					if i < len(c.starts) {
						want = append(want, c.starts[i]*time.Millisecond)
					}
				}
				if !slices.Equal(starts, want) || len(want) != len(c.starts) || frags[2].Duration != c.third*time.Millisecond {
					t.Fatalf("fragments at %v, the third of %v", starts, frags[2].Duration)
				}
			})
		})
	}
}

// TestTSClockWrap: an MPEG-TS stream running across its 33-bit clock's wrap (26.5 hours) is cut every 2 s as
// anywhere else, on one continuous clock: no fragment grows past the wrap.
func TestTSClockWrap(t *testing.T) {
	wrap := time.Duration(1<<33) * time.Second / 90000
	from := (wrap - 3*time.Second).Truncate(40 * time.Millisecond)
	frags, err := fragmentAll(t, synthTS(t, gops(from, 500, 25, 40*time.Millisecond, 100)), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkFragments(t, frags)
	if len(frags) != 10 {
		t.Fatalf("%d fragments of %v", len(frags), durations(frags))
	}
	for i, f := range frags {
		if want := from + time.Duration(i)*2*time.Second; f.Start-want > time.Microsecond || want-f.Start > time.Microsecond ||
			f.Duration-2*time.Second > time.Microsecond || 2*time.Second-f.Duration > time.Microsecond || f.Frames != 50 {
			t.Fatalf("fragment %d: %v from %v, %d frames; want 2 s from %v", i, f.Duration, f.Start, f.Frames, want)
		}
	}
}

// TestTooLargeMatroska: a group of pictures of many small frames is counted as stored, each frame at least one
// 188-byte packet: past 50 MB it ends the stream with ErrFragmentTooLarge, though its frames hold a few MB.
func TestTooLargeMatroska(t *testing.T) {
	frags, err := fragmentMKV(t, synthMKV(t, 1000, gops(0, 270_000, 270_000, 50*time.Microsecond, 1)), 20*time.Second)
	if !errors.Is(err, ErrFragmentTooLarge) || !strings.Contains(err.Error(), "50 MB") || len(frags) != 0 {
		t.Fatalf("%d fragments, %v", len(frags), err)
	}
}

// TestTooLargeCutsAtAnEarlierKeyFrame: a fragment about to pass 50 MB is cut at its latest key frame, when it has
// one after its first; a group of pictures past it alone ends the stream, nothing of it written.
func TestTooLargeCutsAtAnEarlierKeyFrame(t *testing.T) {
	var got [][]int
	c := cutter[int]{target: 20 * time.Second, write: func(items []int, f Fragment) error {
		if f.Start != time.Duration(items[0])*time.Second || f.Frames != len(items) {
			t.Fatalf("fragment %+v of frames %v", f, items)
		}
		got = append(got, slices.Clone(items))
		return nil
	}}
	for i := range 10 {
		if err := c.video(i, time.Duration(i)*time.Second, i%3 == 0, 10_000_000); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.flush(0, false); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !slices.Equal(got[1], []int{3, 4, 5}) || !slices.Equal(got[2], []int{6, 7, 8, 9}) {
		t.Fatalf("fragments of frames %v", got)
	}
	c = cutter[int]{target: 20 * time.Second, write: func(items []int, f Fragment) error {
		t.Fatalf("a fragment of frames %v written", items)
		return nil
	}}
	for i := range 5 { // the tables a segment starts with take the fifth frame past 50 MB
		if err := c.video(i, time.Duration(i)*time.Second, i == 0, 10_000_000); i < 4 && err != nil || i == 4 && !errors.Is(err, ErrFragmentTooLarge) {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
}

// TestTooLargeMPEGTS: a group of pictures of 52 frames of 1 MB ends the stream with ErrFragmentTooLarge, storing
// none of it.
func TestTooLargeMPEGTS(t *testing.T) {
	if testing.Short() {
		t.Skip("muxes 52 MB")
	}
	frags, err := fragmentAll(t, synthTS(t, gops(0, 52, 52, 40*time.Millisecond, 1<<20)), 20*time.Second)
	if !errors.Is(err, ErrFragmentTooLarge) || len(frags) != 0 {
		t.Fatalf("%d fragments, %v", len(frags), err)
	}
}

// TestMuxedSizeErrsHigh: the size counted for a fragment is at least what mux writes, and not far over it.
func TestMuxedSizeErrsHigh(t *testing.T) {
	for _, n := range []int{1, 10, 100, 1000} {
		var pes []pesData
		est := 2 * astits.MpegTsPacketSize
		for i := range n {
			key := i%50 == 0
			data := make([]byte, rand.IntN(3)*rand.IntN(5000))
			pes = append(pes, pesData{pid: mkvVideoPID, key: key, pes: pesPacket(0xE0, data, time.Duration(i)*time.Second, time.Duration(i)*time.Second-time.Millisecond)})
			est += muxedSize(len(data), pesHeaderBytes, key)
		}
		data, err := mux(context.Background(), map[uint16]astits.StreamType{mkvVideoPID: astits.StreamTypeH264Video}, mkvVideoPID, pes)
		if err != nil {
			t.Fatal(err)
		}
		if est < len(data) || est > len(data)+len(data)/10+2*188 {
			t.Fatalf("%d frames: %d bytes counted, %d written", n, est, len(data))
		}
	}
}

// TestCuttingDoesNotAllocatePerFrame: counting a frame's size and time costs no allocation beyond the frame kept.
func TestCuttingDoesNotAllocatePerFrame(t *testing.T) {
	c := cutter[int]{target: time.Hour, write: func([]int, Fragment) error { return nil }, items: make([]int, 0, 2000)}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		if err := c.video(i, time.Duration(i)*time.Millisecond, i%100 == 0, 200); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations a frame", allocs)
	}
}
