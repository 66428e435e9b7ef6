package delivery

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// TestAStopMidRetryLosesNothing: while a flush is retrying a failing destination, readers buffer more pages
// (including the last page of a split's parent and an all-dropped page); a stop that cannot write any of it
// checkpoints none of it, so a later run with a working destination delivers every record, the parent's before
// its children's.
func TestAStopMidRetryLosesNothing(t *testing.T) {
	eng := openEngine(t, "")
	newStream(t, eng, "events", 1)
	putEvents(t, eng, 0, 10)
	if err := eng.SplitShard(bg, engine.SplitShardInput{StreamRef: engine.StreamRef{StreamName: "events"},
		ShardToSplit: "shardId-000000000000", NewStartingHashKey: "170141183460469231731687303715884105728"}); err != nil {
		t.Fatal(err)
	}
	putEvents(t, eng, 10, 20)
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "blocked"), []byte("a file where a folder should be"), 0o644)
	long := 100
	spec := Spec{Name: "d", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Newline}}, Buffer: Buffer{IntervalSeconds: zero()}, RetrySeconds: &long,
		Destinations: []Destination{{Kind: Folder, Path: broken, Prefix: "blocked/"}}}
	d, err := Start(eng, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the flush retrying", func() bool { return d.Metrics().Retries > 0 })
	time.Sleep(300 * time.Millisecond) // more pages come and wait
	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	d.Stop(ctx)
	cancel()
	if m := d.Metrics(); m.Delivered != 0 {
		t.Fatalf("delivered %d through a broken folder", m.Delivered)
	}

	good := t.TempDir()
	spec.Destinations = []Destination{{Kind: Folder, Path: good}}
	d, err = Start(eng, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all 20 records", func() bool { return lineCount(t, good) >= 20 })
	d.Stop(bg)
	if n := lineCount(t, good); n != 20 {
		t.Fatalf("%d records delivered, want 20", n)
	}
}

// TestDeleteForgetsTheLeasesOfAGoneStream: a delivery deleted after its source stream was deleted leaves no leases
// behind for a new delivery of the same name on a new stream of the same name.
func TestDeleteForgetsTheLeasesOfAGoneStream(t *testing.T) {
	eng := openEngine(t, "")
	newStream(t, eng, "events", 1)
	putEvents(t, eng, 0, 30)
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dir := t.TempDir()
	spec := Spec{Name: "d", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Newline}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Folder, Path: dir}}}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "30 delivered", func() bool { return lineCount(t, dir) == 30 })
	if err := eng.DeleteStream(bg, engine.DeleteStreamInput{StreamRef: engine.StreamRef{StreamName: "events"},
		EnforceConsumerDeletion: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete("d"); err != nil {
		t.Fatal(err)
	}
	newStream(t, eng, "events", 1)
	putEvents(t, eng, 100, 110)
	dir2 := t.TempDir()
	spec.Destinations = []Destination{{Kind: Folder, Path: dir2}}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new stream's 10 records", func() bool { return lineCount(t, dir2) == 10 })
}
