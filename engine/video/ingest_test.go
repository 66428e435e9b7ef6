package video

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/video/container"
	"github.com/shardlab/shardlab/samples"
)

// TestIngestTellsContainersApart: Ingest takes Matroska and MPEG-TS alike, told apart by their first bytes, and
// refuses anything else saying what it saw; the target fragment duration applies to both.
func TestIngestTellsContainersApart(t *testing.T) {
	s, _ := newStore(t, "cam")
	ts, _ := samples.FS.ReadFile("testpattern.ts")
	mkv := sampleMKV(t)
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		data   []byte
		target time.Duration
		want   int
	}{
		{"matroska", mkv, 0, 5},
		{"mpeg-ts", ts, 0, 5},
		{"matroska, 4 s", mkv, 4 * time.Second, 3},
		{"mpeg-ts, 4 s", ts, 4 * time.Second, 3},
		{"matroska, 10 s", mkv, 10 * time.Second, 1},
	} {
		persisted := 0
		err := s.IngestWith(context.Background(), "cam", bytes.NewReader(c.data),
			IngestOptions{ProducerStart: base, FragmentDuration: c.target}, func(a Ack) {
				if a.EventType == AckPersisted {
					persisted++
				}
			})
		if err != nil || persisted != c.want {
			t.Fatalf("%s: %d fragments persisted, want %d (%v)", c.name, persisted, c.want, err)
		}
	}
	for _, c := range []struct {
		data []byte
		is   error
		say  string
	}{
		{[]byte("RIFF\x00\x00\x00\x00AVI LIST"), ErrUnknownContainer, "starts with 52 49 46 46"},
		{[]byte{0x1A, 0x45, 0xDF}, container.ErrTruncated, "element ID"},
		{nil, ErrUnknownContainer, "empty"},
	} {
		var last Ack
		err := s.Ingest(context.Background(), "cam", bytes.NewReader(c.data), base, func(a Ack) { last = a })
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.say) || last.EventType != AckError || last.ErrorCode != ErrorInvalidMKVData {
			t.Fatalf("%q: %v, last ack %+v", c.data, err, last)
		}
	}
	for _, d := range []time.Duration{500 * time.Millisecond, 21 * time.Second, -time.Second} {
		err := s.IngestWith(context.Background(), "cam", bytes.NewReader(ts), IngestOptions{FragmentDuration: d}, func(Ack) {})
		if err == nil || !strings.Contains(err.Error(), "FragmentDuration") || !strings.Contains(err.Error(), "1s–20s") {
			t.Fatalf("fragment duration %v: %v", d, err)
		}
	}
}

// TestIngestM2TS: MPEG-TS with 192-byte packets (a 4-byte timestamp before each, as Blu-ray and some cameras
// write it) is taken like plain MPEG-TS.
func TestIngestM2TS(t *testing.T) {
	s, _ := newStore(t, "cam")
	ts, _ := samples.FS.ReadFile("testpattern.ts")
	var m2ts []byte
	for i := 0; i+188 <= len(ts); i += 188 {
		m2ts = append(m2ts, 0, 0, 0, 0)
		m2ts = append(m2ts, ts[i:i+188]...)
	}
	persisted := 0
	err := s.Ingest(context.Background(), "cam", bytes.NewReader(m2ts), time.Now(), func(a Ack) {
		if a.EventType == AckPersisted {
			persisted++
		}
	})
	if err != nil || persisted != 5 {
		t.Fatalf("M2TS: %d fragments, %v", persisted, err)
	}
}

// TestIngestKVSStreamsOneAfterAnother: two Matroska streams with absolute timecodes one after the other on one
// connection, as a producer restarting sends them: each cluster's timecode is its fragment's producer timestamp.
func TestIngestKVSStreamsOneAfterAnother(t *testing.T) {
	s, _ := newStore(t, "cam")
	twice := append(testMedia(t, "kvs.mkv"), testMedia(t, "kvs-later.mkv")...)
	var persisted []Ack
	err := s.IngestWith(context.Background(), "cam", bytes.NewReader(twice), IngestOptions{AbsoluteTimecodes: true},
		func(a Ack) {
			if a.EventType == AckPersisted {
				persisted = append(persisted, a)
			}
		})
	if err != nil || len(persisted) != 10 {
		t.Fatalf("%d fragments persisted, %v", len(persisted), err)
	}
	for i, a := range persisted {
		want := fixtureEpoch.Add(time.Duration(i%5)*2*time.Second + time.Duration(i/5)*time.Minute + 21*time.Millisecond)
		if !a.ProducerTimestamp.Equal(want) {
			t.Fatalf("fragment %d: producer timestamp %v, want %v", i+1, a.ProducerTimestamp, want)
		}
	}
}
