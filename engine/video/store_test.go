package video

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/video/container"
	"github.com/shardlab/shardlab/samples"
)

func openEngine(t *testing.T, path string) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(engine.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// newStore opens a store on a fresh database with streams of the given names (retention 24 h).
func newStore(t *testing.T, names ...string) (*Store, *engine.Engine) {
	t.Helper()
	eng := openEngine(t, filepath.Join(t.TempDir(), "shardlab.db"))
	s, err := Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if _, err := s.CreateStream(CreateInput{Name: name, RetentionHours: 24}); err != nil {
			t.Fatal(err)
		}
	}
	return s, eng
}

// TestStreamsAndFragmentsSurviveARestart: streams are created, described, listed; the sample's fragments are
// stored and read back after the engine reopens; retention trims the old ones; delete removes the rest.
func TestStreamsAndFragmentsSurviveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardlab.db")
	eng := openEngine(t, path)
	s, err := Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []CreateInput{{Name: ""}, {Name: "a b"}, {Name: "x", RetentionHours: 87_601}, {Name: "x", RetentionHours: -1}} {
		if _, err := s.CreateStream(bad); err == nil {
			t.Fatalf("%+v was accepted", bad)
		}
	}
	if _, err := s.CreateStream(CreateInput{Name: "cam", MediaType: "video/h264", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateStream(CreateInput{Name: "cam"}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a second cam: %v", err)
	}
	if _, err := s.CreateStream(CreateInput{Name: "live-only"}); err != nil {
		t.Fatal(err)
	}
	data, _ := samples.FS.ReadFile("testpattern.ts")
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var frags []container.Fragment
	if err := (container.Fragmenter{}).Run(context.Background(), bytes.NewReader(data), func(f container.Fragment) error {
		frags = append(frags, f)
		for _, name := range []string{"cam", "live-only"} {
			if _, persisted, err := s.PutFragment(name, f, base.Add(f.Start)); err != nil || persisted != (name == "cam") {
				t.Fatalf("%s: persisted %v, %v", name, persisted, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	eng.Close()

	eng = openEngine(t, path)
	s, err = Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.DescribeStream("cam"); st.Fragments != 5 || st.Bytes == 0 || st.NextFragment != 6 || !strings.HasPrefix(st.ARN, "arn:aws:kinesisvideo:") {
		t.Fatalf("%+v", st)
	}
	if list := s.ListStreams(); len(list) != 2 || list[0].Name != "cam" {
		t.Fatalf("%+v", list)
	}
	all, err := s.ListFragments("cam", time.Time{}, time.Time{})
	if err != nil || len(all) != 5 {
		t.Fatalf("%d fragments, %v", len(all), err)
	}
	some, _ := s.ListFragments("cam", base.Add(frags[1].Start), base.Add(frags[3].Start))
	if len(some) != 3 || some[0].Number != 2 {
		t.Fatalf("by time: %+v", some)
	}
	media, err := s.FragmentMedia("cam", 3)
	if err != nil || !bytes.Equal(media, frags[2].Data) {
		t.Fatalf("fragment 3: %d bytes, %v", len(media), err)
	}
	if got, _ := s.ListFragments("live-only", time.Time{}, time.Time{}); len(got) != 0 {
		t.Fatalf("retention 0 stored %d fragments", len(got))
	}
	if n, err := s.Trim(time.Now().Add(2 * time.Hour)); err != nil || n != 5 {
		t.Fatalf("trimmed %d, %v", n, err)
	}
	if st, _ := s.DescribeStream("cam"); st.Fragments != 0 || st.Bytes != 0 {
		t.Fatalf("after trim %+v", st)
	}
	if _, err := s.FragmentMedia("cam", 3); err == nil {
		t.Fatal("a trimmed fragment is still served")
	}
	if err := s.DeleteStream("cam"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DescribeStream("cam"); err == nil {
		t.Fatal("deleted stream still described")
	}
}
