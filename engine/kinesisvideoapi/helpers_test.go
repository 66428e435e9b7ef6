package kinesisvideoapi

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/engine/video/container"
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
func newStore(t *testing.T, names ...string) (*video.Store, *engine.Engine) {
	t.Helper()
	eng := openEngine(t, filepath.Join(t.TempDir(), "shardlab.db"))
	s, err := video.Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if _, err := s.CreateStream(video.CreateInput{Name: name, RetentionHours: 24}); err != nil {
			t.Fatal(err)
		}
	}
	return s, eng
}

// The test media is engine/video's (see its media_test.go): the sample clip and fixtures made from it.
var fixtureEpoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func testMedia(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "video", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sampleMKV(t testing.TB) []byte { return testMedia(t, "testsrc.mkv") }

// putSpaced stores n short fragments 30 ms apart, with producer timestamps running backwards a minute each (so a
// producer range and a server range pick different fragments), and returns their descriptions.
func putSpaced(t *testing.T, s *video.Store, name string, n int, base time.Time) []video.FragmentInfo {
	t.Helper()
	var infos []video.FragmentInfo
	for i := range n {
		if i > 0 {
			time.Sleep(30 * time.Millisecond)
		}
		info, _, err := s.PutFragment(name, container.Fragment{Duration: 10 * time.Millisecond, Data: []byte{byte(i)}, Frames: 1},
			base.Add(-time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	return infos
}
