package delivery

import (
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
)

// TestNodeCountsAndPreview: each processor and destination counts what went in, out and failed, and a preview
// shows the latest records before and after each node once someone asks for it.
func TestNodeCountsAndPreview(t *testing.T) {
	eng := openEngine(t, "")
	n := 2
	eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n})
	dir := t.TempDir()
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	spec := Spec{Name: "counted", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{
			{Kind: Filter, Expr: "data.n % 2 == 0"},                       // drops half
			{Kind: Transform, Expr: `data.n % 10 == 4 ? data.x.y : data`}, // fails on a fifth of what is left
			{Kind: Newline},
		},
		Buffer: Buffer{IntervalSeconds: zero()}, Destinations: []Destination{{Kind: Folder, Path: dir}}}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	if s, err := m.Preview("counted", SourceRef); err != nil || len(s) != 0 {
		t.Fatalf("preview before any record: %v %v", s, err)
	}
	putEvents(t, eng, 0, 1000)
	var info Info
	waitFor(t, "1000 read and delivered", func() bool {
		info, _ = m.Get("counted")
		return info.Metrics.Delivered+info.Metrics.ProcessingFailed == 400+100
	})
	p := info.Metrics.Processors
	if len(p) != 3 || p[0] != (StageMetrics{1000, 500, 0}) || p[1] != (StageMetrics{500, 400, 100}) || p[2] != (StageMetrics{400, 400, 0}) {
		t.Fatalf("processor counts %+v", p)
	}
	if d := info.Metrics.Destinations; len(d) != 1 || d[0].In != 400 || d[0].Out != 400 || info.Metrics.Buffered != 400 {
		t.Fatalf("destination counts %+v, buffered %d", d, info.Metrics.Buffered)
	}

	waitFor(t, "samples at every node", func() bool {
		putEvents(t, eng, 1000, 1010) // sampling starts with the first Preview: later records fill it
		for _, ref := range []string{SourceRef, ProcessorRef(0), ProcessorRef(1), ProcessorRef(2), DestinationRef(0)} {
			if s, _ := m.Preview("counted", ref); len(s) == 0 {
				return false
			}
		}
		return true
	})
	for _, s := range mustPreview(t, m, SourceRef) {
		if string(s.Before) != string(s.After) || !strings.Contains(string(s.Before), `"n":`) {
			t.Fatalf("source sample %+v", s)
		}
	}
	for _, s := range mustPreview(t, m, ProcessorRef(1)) {
		switch s.Result {
		case ResultOk:
			if !strings.Contains(string(s.Before), `"n":`) || !strings.Contains(string(s.After), `"n":`) {
				t.Fatalf("sample %+v", s)
			}
		case ResultProcessingFailed:
			if s.After != nil || s.Error == "" {
				t.Fatalf("failed sample %+v", s)
			}
		default:
			t.Fatalf("sample result %q", s.Result)
		}
	}
	for _, s := range mustPreview(t, m, ProcessorRef(2)) {
		if string(s.After) != string(s.Before)+"\n" {
			t.Fatalf("newline sample %q then %q", s.Before, s.After)
		}
	}
	for _, s := range mustPreview(t, m, DestinationRef(0)) {
		if !strings.HasSuffix(string(s.Before), "\n") || s.Object == "" || s.Result != ResultOk {
			t.Fatalf("destination sample %+v", s)
		}
	}
	if s := mustPreview(t, m, ProcessorRef(0)); len(s) > previewDepth {
		t.Fatalf("%d samples kept", len(s))
	}
}

func mustPreview(t *testing.T, m *Manager, ref string) []Sample {
	t.Helper()
	s, err := m.Preview("counted", ref)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestManagerUpdateKeepsCheckpoints: saving a changed pipeline restarts it from where it was, under the new spec.
func TestManagerUpdateKeepsCheckpoints(t *testing.T) {
	eng := openEngine(t, "")
	n := 1
	eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n})
	dir := t.TempDir()
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	spec := Spec{Name: "updated", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Newline}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Folder, Path: dir}}}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	putEvents(t, eng, 0, 100)
	waitFor(t, "100 lines", func() bool { return lineCount(t, dir) == 100 })
	spec.Processors = []Processor{{Kind: Transform, Expr: `"updated"`}, {Kind: Newline}}
	if err := m.Update(spec); err != nil {
		t.Fatal(err)
	}
	putEvents(t, eng, 100, 150)
	waitFor(t, "150 lines", func() bool { return lineCount(t, dir) == 150 })
	updated := 0
	for _, lines := range readObjects(t, dir) {
		for _, l := range lines {
			if l == "updated" {
				updated++
			}
		}
	}
	if info, _ := m.Get("updated"); updated != 50 || info.State != StateActive {
		t.Fatalf("%d lines by the new spec, state %s", updated, info.State)
	}
	spec.Name = "missing"
	if err := m.Update(spec); err == nil {
		t.Fatal("updating a missing delivery stream worked")
	}
}

// TestUpdateRacingStartLeavesOneDelivery: a Start landing while an Update stops and restarts the delivery (a double
// click on Run) must not leave a second, untracked delivery running after Stop.
func TestUpdateRacingStartLeavesOneDelivery(t *testing.T) {
	eng := openEngine(t, "")
	n := 1
	eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n})
	dir := t.TempDir()
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	spec := Spec{Name: "raced", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Newline}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Folder, Path: dir}}}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 5 {
				m.Update(spec)
				m.Start("raced")
			}
		}()
	}
	<-done
	<-done
	if err := m.Stop("raced"); err != nil {
		t.Fatal(err)
	}
	putEvents(t, eng, 0, 20)
	time.Sleep(500 * time.Millisecond) // a delivery left running would write these within a few polls
	if got := lineCount(t, dir); got != 0 {
		t.Fatalf("%d records written after Stop", got)
	}
}

// TestUpdateToAnotherSourceForgetsTheOld: changing the source stream starts the new one from the spec's position
// and leaves no consumer application behind on the old one.
func TestUpdateToAnotherSourceForgetsTheOld(t *testing.T) {
	eng := openEngine(t, "")
	n := 1
	eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "events", ShardCount: &n})
	eng.CreateStream(bg, engine.CreateStreamInput{StreamName: "other", ShardCount: &n})
	m, err := OpenManager(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	spec := Spec{Name: "moved", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Newline}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Folder, Path: t.TempDir()}}}
	if err := m.Create(spec, true); err != nil {
		t.Fatal(err)
	}
	putEvents(t, eng, 0, 10)
	waitFor(t, "10 delivered", func() bool { info, _ := m.Get("moved"); return info.Metrics.Delivered == 10 })
	spec.Source.Stream = "other"
	if err := m.Update(spec); err != nil {
		t.Fatal(err)
	}
	apps, err := consumer.Applications(bg, eng, engine.StreamARN(eng.DefaultScope(), "events"))
	if err != nil || len(apps) != 0 {
		t.Fatalf("applications left on the old source: %v %v", apps, err)
	}
}
