package delivery

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine"
)

func lineCount(t *testing.T, dir string) int {
	n := 0
	for _, lines := range readObjects(t, dir) {
		n += len(lines)
	}
	return n
}

// TestManagerKeepsDeliveryStreamsAcrossRestarts: an ACTIVE delivery stream resumes after the engine and manager
// are reopened, a STOPPED one stays stopped, export and import round-trip, and one whose source stream is
// deleted turns FAILED with the reason.
func TestManagerKeepsDeliveryStreamsAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardlab.db")
	eng := openEngine(t, path)
	n := 2
	eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n})
	dir := t.TempDir()
	spec := Spec{Name: "to-folder", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Newline}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Folder, Path: dir}}}
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(spec, true); !errors.Is(err, ErrExists) {
		t.Fatalf("creating twice: %v", err)
	}
	putEvents(t, eng, 0, 300)
	waitFor(t, "300 delivered", func() bool { return lineCount(t, dir) == 300 })
	m.Close()
	putEvents(t, eng, 300, 400)
	eng.Close()

	eng = openEngine(t, path)
	m, err = OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if info, _ := m.Get("to-folder"); info.State != StateActive {
		t.Fatalf("after a restart: %s", info.State)
	}
	waitFor(t, "the 100 put while closed", func() bool { return lineCount(t, dir) == 400 })

	if err := m.Stop("to-folder"); err != nil {
		t.Fatal(err)
	}
	if info, _ := m.Get("to-folder"); info.State != StateStopped {
		t.Fatalf("after Stop: %s", info.State)
	}
	exported, err := m.Export("to-folder")
	if err != nil || !strings.Contains(string(exported), `"name": "to-folder"`) {
		t.Fatalf("export: %s, %v", exported, err)
	}
	copySpec := strings.Replace(string(exported), `"name": "to-folder"`, `"name": "copy"`, 1)
	if _, err := m.Import([]byte(copySpec)); err != nil {
		t.Fatal(err)
	}
	if err := m.Start("copy"); err != nil {
		t.Fatal(err)
	}
	if err := eng.DeleteStream(bg, engine.DeleteStreamInput{StreamRef: engine.StreamRef{StreamName: "events"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "copy to fail once its source is gone", func() bool {
		info, _ := m.Get("copy")
		return info.State == StateFailed && strings.Contains(info.Error, "events")
	})
	if err := m.Delete("copy"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get("copy"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
}
