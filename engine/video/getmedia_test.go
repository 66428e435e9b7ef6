package video

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// getMedia runs GetMedia and returns the fragment numbers sent, checking each one's media is the stored media.
func getMedia(t *testing.T, s *Store, in GetMediaInput) ([]uint64, string, error) {
	t.Helper()
	var got []uint64
	token, err := s.GetMedia(context.Background(), in, func(f FragmentInfo, media []byte) error {
		if f.Size != len(media) {
			t.Errorf("fragment %d: %d bytes of media, its size %d", f.Number, len(media), f.Size)
		}
		got = append(got, f.Number)
		return nil
	})
	return got, token, err
}

// TestGetMediaStartSelectors: each start selector starts where KVS's does, and a continuation token resumes after
// the last fragment sent.
func TestGetMediaStartSelectors(t *testing.T) {
	s, _, base := ingestSample(t) // 10 fragments of 2 s: producer times base+0…8 s and base+30…38 s
	idle := 100 * time.Millisecond
	for _, c := range []struct {
		sel  StartSelector
		want []uint64
	}{
		{StartSelector{StartSelectorType: StartEarliest}, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{StartSelector{StartSelectorType: StartNow}, nil},
		{StartSelector{StartSelectorType: StartFragmentNumber, AfterFragmentNumber: 7}, []uint64{8, 9, 10}},
		{StartSelector{StartSelectorType: ProducerTimestamp, StartTimestamp: base.Add(5 * time.Second)}, []uint64{3, 4, 5, 6, 7, 8, 9, 10}},
		{StartSelector{StartSelectorType: ProducerTimestamp, StartTimestamp: base.Add(20 * time.Second)}, []uint64{6, 7, 8, 9, 10}},
		{StartSelector{StartSelectorType: ProducerTimestamp, StartTimestamp: base.Add(time.Hour)}, nil},
		{StartSelector{StartSelectorType: StartContinuationToken, ContinuationToken: ContinuationToken("cam", 8)}, []uint64{9, 10}},
	} {
		got, token, err := getMedia(t, s, GetMediaInput{StreamName: "cam", StartSelector: c.sel, IdleTimeout: idle})
		if err != nil || !slices.Equal(got, c.want) || token != ContinuationToken("cam", 10) {
			t.Fatalf("%+v: %v, token %q, %v", c.sel, got, token, err)
		}
	}
	// server timestamps, on short fragments stored 30 ms apart
	if _, err := s.CreateStream(CreateInput{Name: "spaced", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	spaced := putSpaced(t, s, "spaced", 4, base)
	got, _, _ := getMedia(t, s, GetMediaInput{StreamName: "spaced", IdleTimeout: idle,
		StartSelector: StartSelector{StartSelectorType: ServerTimestamp, StartTimestamp: spaced[2].ServerTimestamp.Add(time.Millisecond)}})
	if !slices.Equal(got, []uint64{3, 4}) {
		t.Fatalf("by server time: %v", got)
	}
	for _, c := range []struct {
		sel StartSelector
		say string
	}{
		{StartSelector{}, "StartSelector.StartSelectorType: required"},
		{StartSelector{StartSelectorType: "LATEST"}, `StartSelector.StartSelectorType: "LATEST" is not one of NOW, EARLIEST`},
		{StartSelector{StartSelectorType: StartFragmentNumber}, "StartSelector.AfterFragmentNumber: required"},
		{StartSelector{StartSelectorType: ServerTimestamp}, "StartSelector.StartTimestamp: required"},
		{StartSelector{StartSelectorType: StartContinuationToken}, "StartSelector.ContinuationToken: required"},
		{StartSelector{StartSelectorType: StartContinuationToken, ContinuationToken: ContinuationToken("other", 3)}, "StartSelector.ContinuationToken"},
		{StartSelector{StartSelectorType: StartContinuationToken, ContinuationToken: "x.y"}, "StartSelector.ContinuationToken"},
	} {
		if _, _, err := getMedia(t, s, GetMediaInput{StreamName: "cam", StartSelector: c.sel}); err == nil || !strings.Contains(err.Error(), c.say) {
			t.Fatalf("%+v: %v", c.sel, err)
		}
	}
	if _, _, err := getMedia(t, s, GetMediaInput{StreamName: "nope", StartSelector: StartSelector{StartSelectorType: StartNow}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown stream: %v", err)
	}
}

// TestGetMediaFollowsTheStream: after the stored fragments GetMedia waits for new ones and sends them as they are
// stored, also for a stream that keeps none (retention 0); it ends when the stream idles, when the reader fails
// (its token then resumes with the fragment it did not take) or when its context ends.
func TestGetMediaFollowsTheStream(t *testing.T) {
	s, _ := newStore(t, "cam")
	if _, err := s.CreateStream(CreateInput{Name: "live-only"}); err != nil {
		t.Fatal(err)
	}
	base := time.Now()
	for _, name := range []string{"cam", "live-only"} {
		sel := StartSelector{StartSelectorType: StartNow}
		if name == "cam" {
			putSpaced(t, s, name, 2, base)
			sel = StartSelector{StartSelectorType: StartEarliest}
		}
		type result struct {
			got []uint64
			err error
		}
		done := make(chan result)
		go func() {
			got, _, err := getMedia(t, s, GetMediaInput{StreamName: name, StartSelector: sel, IdleTimeout: 500 * time.Millisecond})
			done <- result{got, err}
		}()
		time.Sleep(150 * time.Millisecond) // GetMedia has started, and waits
		putSpaced(t, s, name, 3, base)
		start := time.Now()
		r := <-done
		want := []uint64{1, 2, 3, 4, 5}
		if name == "live-only" {
			want = []uint64{1, 2, 3}
		}
		if r.err != nil || !slices.Equal(r.got, want) || time.Since(start) < 400*time.Millisecond {
			t.Fatalf("%s: %v, %v, ended %v after the last fragment", name, r.got, r.err, time.Since(start))
		}
	}
	stop := errors.New("the reader went away")
	token, err := s.GetMedia(context.Background(), GetMediaInput{StreamName: "cam", StartSelector: StartSelector{StartSelectorType: StartEarliest}},
		func(f FragmentInfo, _ []byte) error {
			if f.Number == 3 {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) || token != ContinuationToken("cam", 2) {
		t.Fatalf("a failed reader: token %q, %v", token, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var media bytes.Buffer
	_, err = s.GetMedia(ctx, GetMediaInput{StreamName: "cam", IdleTimeout: -1, StartSelector: StartSelector{StartSelectorType: StartNow}},
		func(_ FragmentInfo, m []byte) error { media.Write(m); return nil })
	if !errors.Is(err, context.DeadlineExceeded) || media.Len() != 0 {
		t.Fatalf("no idle timeout: %v, %d bytes", err, media.Len())
	}
}
