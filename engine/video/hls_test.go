package video

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/video/container"
	"github.com/shardlab/shardlab/samples"
)

// ingestSample puts the sample clip into a new stream through Ingest, twice in a row (a producer restarting 30 s
// later), and returns the store and the acknowledgements.
func ingestSample(t *testing.T) (*Store, []Ack, time.Time) {
	t.Helper()
	eng := openEngine(t, filepath.Join(t.TempDir(), "shardlab.db"))
	s, err := Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateStream(CreateInput{Name: "cam", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	data, _ := samples.FS.ReadFile("testpattern.ts")
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var acks []Ack
	for _, at := range []time.Time{base, base.Add(30 * time.Second)} {
		if err := s.Ingest(context.Background(), "cam", bytes.NewReader(data), at, func(a Ack) { acks = append(acks, a) }); err != nil {
			t.Fatal(err)
		}
	}
	return s, acks, base
}

// TestIngestAcknowledgesEachFragment: every fragment is acknowledged BUFFERING, RECEIVED, then PERSISTED with its
// number; a bad stream ends with an ERROR ack and stores nothing more.
func TestIngestAcknowledgesEachFragment(t *testing.T) {
	s, acks, _ := ingestSample(t)
	if len(acks) != 30 {
		t.Fatalf("%d acks, want BUFFERING, RECEIVED and PERSISTED for 10 fragments", len(acks))
	}
	for i := 0; i < len(acks); i += 3 {
		b, r, p := acks[i], acks[i+1], acks[i+2]
		if b.EventType != AckBuffering || r.EventType != AckReceived || p.EventType != AckPersisted ||
			p.FragmentNumber != uint64(i/3+1) || b.FragmentTimecode != r.FragmentTimecode {
			t.Fatalf("acks %d–%d: %+v %+v %+v", i, i+2, b, r, p)
		}
	}
	var last Ack
	err := s.Ingest(context.Background(), "cam", strings.NewReader("garbage, not a transport stream at all"), time.Now(), func(a Ack) { last = a })
	if err == nil || last.EventType != AckError {
		t.Fatalf("garbage: %v, last ack %+v", err, last)
	}
	if st, _ := s.DescribeStream("cam"); st.Fragments != 10 {
		t.Fatalf("%d fragments after the garbage", st.Fragments)
	}
}

type playlist struct {
	target   int
	sequence uint64
	segments []float64
	dates    []time.Time
	ended    bool
	breaks   int
}

func parsePlaylist(t *testing.T, text string) playlist {
	t.Helper()
	if !strings.HasPrefix(text, "#EXTM3U\n") {
		t.Fatalf("not a playlist: %q", text)
	}
	var p playlist
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		switch {
		case strings.HasPrefix(line, "#EXT-X-TARGETDURATION:"):
			p.target, _ = strconv.Atoi(strings.TrimPrefix(line, "#EXT-X-TARGETDURATION:"))
		case strings.HasPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"):
			p.sequence, _ = strconv.ParseUint(strings.TrimPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"), 10, 64)
		case strings.HasPrefix(line, "#EXTINF:"):
			d, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(line, "#EXTINF:"), ","), 64)
			p.segments = append(p.segments, d)
		case strings.HasPrefix(line, "#EXT-X-PROGRAM-DATE-TIME:"):
			ts, err := time.Parse("2006-01-02T15:04:05.000Z", strings.TrimPrefix(line, "#EXT-X-PROGRAM-DATE-TIME:"))
			if err != nil {
				t.Fatal(err)
			}
			p.dates = append(p.dates, ts)
		case line == "#EXT-X-ENDLIST":
			p.ended = true
		case line == "#EXT-X-DISCONTINUITY":
			p.breaks++
		}
	}
	return p
}

// TestPlaylistsValidate: segment durations within the target duration, the media sequence of the first segment,
// dates on every segment, an end for ON_DEMAND only, the producer's restart marked as a discontinuity, and LIVE a
// window of the newest five.
func TestPlaylistsValidate(t *testing.T) {
	s, _, base := ingestSample(t)
	url := func(f FragmentInfo) string { return fmt.Sprintf("fragment.ts?n=%d", f.Number) }
	text, err := s.Playlist("cam", OnDemand, base, base.Add(time.Minute), url)
	if err != nil {
		t.Fatal(err)
	}
	p := parsePlaylist(t, text)
	if !p.ended || p.sequence != 1 || len(p.segments) != 10 || len(p.dates) != 10 || p.breaks != 1 || p.target != 2 {
		t.Fatalf("on demand %+v\n%s", p, text)
	}
	for i, d := range p.segments {
		if d > float64(p.target) || d <= 0 {
			t.Fatalf("segment %d lasts %v, target %d", i, d, p.target)
		}
	}
	if !p.dates[0].Equal(base) || !p.dates[5].Equal(base.Add(30*time.Second)) {
		t.Fatalf("dates %v", p.dates)
	}
	text, _ = s.Playlist("cam", Live, time.Time{}, time.Time{}, url)
	if p = parsePlaylist(t, text); p.ended || p.sequence != 6 || len(p.segments) != 5 {
		t.Fatalf("live %+v", p)
	}
	text, _ = s.Playlist("cam", LiveReplay, base.Add(5*time.Second), time.Time{}, url)
	if p = parsePlaylist(t, text); p.ended || p.sequence != 3 || len(p.segments) != 8 {
		t.Fatalf("live replay %+v\n%s", p, text)
	}
	for _, bad := range []struct {
		mode       string
		start, end time.Time
	}{{OnDemand, base, time.Time{}}, {LiveReplay, time.Time{}, time.Time{}}, {"REWIND", base, base}} {
		if _, err := s.Playlist("cam", bad.mode, bad.start, bad.end, url); err == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
}

// TestLiveReplayPlaylistKeepsGrowingPastItsCap: a LIVE_REPLAY playlist over more fragments than a playlist lists
// slides to the newest, so a player following it keeps getting new segments; ON_DEMAND keeps the first ones.
func TestLiveReplayPlaylistKeepsGrowingPastItsCap(t *testing.T) {
	s, err := Open(openEngine(t, filepath.Join(t.TempDir(), "shardlab.db")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateStream(CreateInput{Name: "long", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for i := range maxPlaylist + 10 {
		f := container.Fragment{Start: time.Duration(i) * time.Second, Duration: time.Second, Data: []byte{0x47}, Frames: 1}
		if _, _, err := s.PutFragment("long", f, base.Add(f.Start)); err != nil {
			t.Fatal(err)
		}
	}
	url := func(f FragmentInfo) string { return fmt.Sprintf("fragment.ts?n=%d", f.Number) }
	text, _ := s.Playlist("long", LiveReplay, base, time.Time{}, url)
	if p := parsePlaylist(t, text); len(p.segments) != maxPlaylist || p.sequence != 11 || p.ended {
		t.Fatalf("live replay past the cap: %d segments from %d", len(p.segments), p.sequence)
	}
	text, _ = s.Playlist("long", OnDemand, base, base.Add(time.Hour), url)
	if p := parsePlaylist(t, text); len(p.segments) != maxPlaylist || p.sequence != 1 || !p.ended {
		t.Fatalf("on demand past the cap: %d segments from %d", len(p.segments), p.sequence)
	}
}

// TestPlaylistOfFragmentsByNumber: the app's sessions name fragments by number: a closed range ends with ENDLIST,
// an open one follows the stream; producer times play no part.
func TestPlaylistOfFragmentsByNumber(t *testing.T) {
	s, _, _ := ingestSample(t)
	url := func(f FragmentInfo) string { return fmt.Sprintf("fragment.ts?n=%d", f.Number) }
	text, err := s.PlaylistOfFragments("cam", 3, 7, url)
	if p := parsePlaylist(t, text); err != nil || p.sequence != 3 || len(p.segments) != 5 || !p.ended || p.breaks != 1 {
		t.Fatalf("fragments 3–7: %+v, %v", p, err)
	}
	text, _ = s.PlaylistOfFragments("cam", 8, 0, url)
	if p := parsePlaylist(t, text); p.sequence != 8 || len(p.segments) != 3 || p.ended {
		t.Fatalf("from fragment 8 on: %+v", p)
	}
}
