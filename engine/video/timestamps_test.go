package video

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/video/container"
	"github.com/shardlab/shardlab/samples"
)

// TestTimestampsSelectTheirOwnFragments: timestamps are kept to the millisecond, as KVS keeps and reports them,
// so a time read back from a listing selects exactly its fragment.
func TestTimestampsSelectTheirOwnFragments(t *testing.T) {
	s, _, _ := ingestSample(t)
	frags, err := s.ListFragments("cam", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frags {
		if f.ProducerTimestamp.Nanosecond()%int(time.Millisecond) != 0 || f.ServerTimestamp.Nanosecond()%int(time.Millisecond) != 0 {
			t.Fatalf("fragment %d keeps sub-millisecond times: %v, %v", f.Number, f.ProducerTimestamp, f.ServerTimestamp)
		}
		at := f.ProducerTimestamp
		got, err := s.ListFragments("cam", at, at)
		if err != nil || len(got) != 1 || got[0].Number != f.Number {
			t.Fatalf("listing at fragment %d's own producer time found %v, %v", f.Number, numbers(got), err)
		}
		served, err := s.ListFragmentsPage(ListFragmentsInput{StreamName: "cam", FragmentSelector: &FragmentSelector{
			FragmentSelectorType: ServerTimestamp, StartTimestamp: f.ServerTimestamp, EndTimestamp: f.ServerTimestamp}})
		if err != nil || len(served.Fragments) == 0 || served.Fragments[0].Number > f.Number {
			t.Fatalf("listing at fragment %d's own server time found %v, %v", f.Number, numbers(served.Fragments), err)
		}
	}
}

// TestGetMediaFromAServerTimeOfABatchUpload: fragments uploaded in a batch arrive milliseconds apart whatever their
// media's length; a server time starts with the fragment that arrived by then, not an earlier one whose media is
// longer than the gap.
func TestGetMediaFromAServerTimeOfABatchUpload(t *testing.T) {
	s, _, _ := ingestSample(t)
	frags, _ := s.ListFragments("cam", time.Time{}, time.Time{})
	for _, k := range []int{0, 3, 9} {
		got, _, err := getMedia(t, s, GetMediaInput{StreamName: "cam", IdleTimeout: 50 * time.Millisecond,
			StartSelector: StartSelector{StartSelectorType: ServerTimestamp, StartTimestamp: frags[k].ServerTimestamp}})
		// fragments stored within the same millisecond share a server time: the start is the last of them
		first := k
		for first+1 < len(frags) && frags[first+1].ServerTimestamp.Equal(frags[k].ServerTimestamp) {
			first++
		}
		if err != nil || len(got) == 0 || got[0] != frags[first].Number || got[len(got)-1] != 10 {
			t.Fatalf("from fragment %d's server time: %v, %v", frags[k].Number, got, err)
		}
	}
}

// TestProducerTimestampsOutOfRangeAreRefused: a start past the year 9999 is refused before anything is stored;
// nothing is acknowledged that is not stored. (kinesisvideoapi's TestPutMediaRefusesProducerStartsOutOfRange
// sends such starts as PutMedia's header.)
func TestProducerTimestampsOutOfRangeAreRefused(t *testing.T) {
	s, _ := newStore(t, "cam")
	clip, _ := samples.FS.ReadFile("testpattern.ts")
	if err := s.IngestWith(context.Background(), "cam", bytes.NewReader(clip), IngestOptions{ProducerStart: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)}, func(Ack) {}); err == nil || !strings.Contains(err.Error(), "ProducerStart") {
		t.Fatalf("a start in the year 12000: %v", err)
	}
	if _, _, err := s.PutFragment("cam", container.Fragment{Duration: time.Second, Data: []byte{0x47}}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("a fragment of the year 10000 was stored")
	}
	if st, _ := s.DescribeStream("cam"); st.Fragments != 0 || st.Bytes != 0 {
		t.Fatalf("counters moved for nothing stored: %+v", st)
	}
}

// TestIngestErrorsNameTheirCause: the ERROR ack says why, with KVS's code: a stream deleted under a producer is
// STREAM_NOT_ACTIVE, bad media INVALID_MKV_DATA, with the timecode of the fragment being cut.
func TestIngestErrorsNameTheirCause(t *testing.T) {
	s, _ := newStore(t, "cam")
	clip, _ := samples.FS.ReadFile("testpattern.ts")
	var last Ack
	err := s.Ingest(context.Background(), "cam", bytes.NewReader(clip), time.Now(), func(a Ack) {
		last = a
		if a.EventType == AckPersisted && a.FragmentNumber == 2 {
			if err := s.DeleteStream("cam"); err != nil {
				t.Error(err)
			}
		}
	})
	if err == nil || last.EventType != AckError || last.ErrorCode != ErrorStreamNotActive || last.FragmentTimecode == 0 {
		t.Fatalf("a stream deleted while ingesting: %v, last ack %+v", err, last)
	}
	if ackErrorCode(container.ErrTruncated) != ErrorInvalidMKVData || ackErrorCode(errArchival) != ErrorArchival ||
		ackErrorCode(fmt.Errorf("cut: %w", container.ErrFragmentTooLong)) != ErrorMaxFragmentDuration || ackErrorCode(container.ErrFragmentTooLarge) != ErrorMaxFragmentSize {
		t.Fatal("codes of bad media and of a failed store")
	}
}

// TestThirtyFramesASecondFragmentsDoNotOverlap: at 30 frames/s a fragment's duration is not a whole number of
// milliseconds; cut like its start, it never seems to end after the next fragment starts, so a fragment's own
// time selects it and not the one before.
func TestThirtyFramesASecondFragmentsDoNotOverlap(t *testing.T) {
	s, _ := newStore(t, "cam")
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	d := 2*time.Second + 33_333_333*time.Nanosecond/10 // 61 frames at 30 frames/s, more or less
	for i := range 6 {
		if _, _, err := s.PutFragment("cam", container.Fragment{Start: time.Duration(i) * d, Duration: d, Data: []byte{0x47}, Frames: 61},
			base.Add(time.Duration(i)*d)); err != nil {
			t.Fatal(err)
		}
	}
	frags, _ := s.ListFragments("cam", time.Time{}, time.Time{})
	for i := 1; i < len(frags); i++ {
		if end := frags[i-1].ProducerTimestamp.Add(frags[i-1].Duration); end.After(frags[i].ProducerTimestamp) {
			t.Fatalf("fragment %d ends at %v, after fragment %d starts at %v", i, end, i+1, frags[i].ProducerTimestamp)
		}
	}
	text, err := s.Playlist("cam", OnDemand, frags[2].ProducerTimestamp, frags[5].ProducerTimestamp, func(f FragmentInfo) string { return fmt.Sprint(f.Number) })
	if p := parsePlaylist(t, text); err != nil || p.sequence != 3 {
		t.Fatalf("on demand from fragment 3's own time starts at %d: %v", p.sequence, err)
	}
	got, _, _ := getMedia(t, s, GetMediaInput{StreamName: "cam", IdleTimeout: 50 * time.Millisecond,
		StartSelector: StartSelector{StartSelectorType: ProducerTimestamp, StartTimestamp: frags[2].ProducerTimestamp}})
	if len(got) == 0 || got[0] != 3 {
		t.Fatalf("GetMedia from fragment 3's own time: %v", got)
	}
	got, _, _ = getMedia(t, s, GetMediaInput{StreamName: "cam", IdleTimeout: 50 * time.Millisecond,
		StartSelector: StartSelector{StartSelectorType: StartFragmentNumber, AfterFragmentNumber: math.MaxUint64}})
	if len(got) != 0 {
		t.Fatalf("GetMedia after the largest fragment number: %v", got)
	}
}

// TestProducerYearsAreUTCYears: a producer time in the first second of 1970 UTC is fine wherever the clock is
// read.
func TestProducerYearsAreUTCYears(t *testing.T) {
	ny := time.FixedZone("EST", -5*3600)
	if err := (IngestOptions{ProducerStart: time.Unix(1, 0).In(ny)}).Validate(); err != nil {
		t.Fatalf("1970-01-01T00:00:01Z read in New York: %v", err)
	}
	s, _ := newStore(t, "cam")
	if _, _, err := s.PutFragment("cam", container.Fragment{Duration: time.Second, Data: []byte{0x47}}, time.Unix(1, 0).In(ny)); err != nil {
		t.Fatalf("a fragment of 1970 UTC: %v", err)
	}
}

// TestTrimTakesEverythingExpiredAtOnce: a trim deletes every expired fragment, in batches, not one batch a minute.
func TestTrimTakesEverythingExpiredAtOnce(t *testing.T) {
	s, _ := newStore(t)
	if _, err := s.CreateStream(CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	n := trimBatch*2 + 500
	for i := range n {
		if _, _, err := s.PutFragment("cam", container.Fragment{Duration: time.Second, Data: []byte{0x47}, Frames: 1}, time.Now().Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if trimmed, err := s.Trim(time.Now().Add(2 * time.Hour)); trimmed != n || err != nil {
		t.Fatalf("trimmed %d of %d: %v", trimmed, n, err)
	}
	if st, _ := s.DescribeStream("cam"); st.Fragments != 0 || st.Bytes != 0 {
		t.Fatalf("after the trim: %+v", st)
	}
}

// failingReader gives the first n bytes of data, then fails as a dropped connection does.
type failingReader struct {
	data []byte
	n    int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("connection reset by peer")
	}
	k := copy(p, f.data[:min(f.n, len(p), len(f.data))])
	f.data, f.n = f.data[k:], f.n-k
	return k, nil
}

// TestIngestReadErrorsAreStreamReadErrors: a producer whose connection fails gets STREAM_READ_ERROR (4000), not a
// verdict on its media; the fragments acknowledged before stay.
func TestIngestReadErrorsAreStreamReadErrors(t *testing.T) {
	s, _ := newStore(t, "cam")
	clip, _ := samples.FS.ReadFile("testpattern.ts")
	var last Ack
	persisted := 0
	err := s.Ingest(context.Background(), "cam", &failingReader{data: clip, n: 300_000}, time.Now(), func(a Ack) {
		last = a
		if a.EventType == AckPersisted {
			persisted++
		}
	})
	if err == nil || last.ErrorCode != ErrorStreamRead || persisted == 0 {
		t.Fatalf("a dropped producer: %v, %d persisted, last ack %+v", err, persisted, last)
	}
	if st, _ := s.DescribeStream("cam"); st.Fragments != persisted {
		t.Fatalf("%d stored, %d acknowledged", st.Fragments, persisted)
	}
}
