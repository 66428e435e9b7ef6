package lifecycle

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// fakeRun is a runner the test ends by hand.
type fakeRun struct {
	spec    string
	done    chan struct{}
	once    sync.Once
	err     error
	stopped bool
}

func (r *fakeRun) Done() <-chan struct{} { return r.done }
func (r *fakeRun) Err() error            { return r.err }
func (r *fakeRun) end(err error)         { r.once.Do(func() { r.err = err; close(r.done) }) }

var (
	errNotFound = errors.New("thing not found")
	errExists   = errors.New("thing already exists")
	errClosed   = errors.New("things are closed")
)

type progress struct {
	Upto int `json:"upto,omitempty"`
}

// harness opens registries of "things" over one database, recording every start, stop and forget.
type harness struct {
	t      *testing.T
	eng    *engine.Engine
	mu     sync.Mutex
	starts []*fakeRun
	forgot []string
	refuse string // a spec Start refuses
}

func newHarness(t *testing.T) *harness {
	eng, err := engine.Open(engine.Options{Path: filepath.Join(t.TempDir(), "shardlab.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return &harness{t: t, eng: eng}
}

func (h *harness) kind() Kind[string, progress, *fakeRun] {
	return Kind[string, progress, *fakeRun]{
		Records: Records[string, progress]{DB: h.eng, Namespace: "things", Noun: "thing"},
		States:  States{Running: "RUNNING", Stopped: "STOPPED", Failed: "FAILED", Finished: "DONE"},
		Resume:  []string{"RUNNING"},
		Start: func(name, spec string, _ progress) (*fakeRun, error) {
			if spec == h.refuse {
				return nil, errors.New("spec " + spec + " refused")
			}
			r := &fakeRun{spec: spec, done: make(chan struct{})}
			h.mu.Lock()
			h.starts = append(h.starts, r)
			h.mu.Unlock()
			return r, nil
		},
		Stop: func(r *fakeRun) { r.stopped = true; r.end(nil) },
		Forget: func(name, _ string) error {
			h.forgot = append(h.forgot, name)
			return nil
		},
		ErrNotFound: errNotFound, ErrExists: errExists, ErrClosed: errClosed,
	}
}

func (h *harness) open() *Registry[string, progress, *fakeRun] {
	return h.openKind(h.kind())
}

func (h *harness) openKind(kind Kind[string, progress, *fakeRun]) *Registry[string, progress, *fakeRun] {
	g, err := Open(kind)
	if err != nil {
		h.t.Fatal(err)
	}
	g.Resume()
	return g
}

func state(t *testing.T, g *Registry[string, progress, *fakeRun], name string) Item[string, progress, *fakeRun] {
	t.Helper()
	it, err := g.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// eventually waits for a state the registry's watch goroutine sets.
func eventually(t *testing.T, g *Registry[string, progress, *fakeRun], name, want string) Item[string, progress, *fakeRun] {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if it := state(t, g, name); it.State == want {
			return it
		} else if time.Now().After(deadline) {
			t.Fatalf("%s is %s, want %s", name, it.State, want)
		}
	}
}

func TestRegistryStatesSurviveAReopen(t *testing.T) {
	h := newHarness(t)
	g := h.open()
	if err := g.Create("a", "spec-a", true); err != nil {
		t.Fatal(err)
	}
	if err := g.Create("b", "spec-b", false); err != nil {
		t.Fatal(err)
	}
	if err := g.Create("a", "again", false); !errors.Is(err, errExists) || !strings.Contains(err.Error(), "a") {
		t.Fatalf("a second a: %v", err)
	}
	if it := state(t, g, "a"); it.State != "RUNNING" || it.Run == nil || it.Created.IsZero() {
		t.Fatalf("a: %+v", it)
	}
	if it := state(t, g, "b"); it.State != "STOPPED" || it.Run != nil || it.Last != nil {
		t.Fatalf("b: %+v", it)
	}
	if _, err := g.Get("c"); !errors.Is(err, errNotFound) {
		t.Fatalf("c: %v", err)
	}
	g.Close()
	if !h.starts[0].stopped {
		t.Fatal("Close left a running")
	}
	if err := g.Start("b"); !errors.Is(err, errClosed) {
		t.Fatalf("a start after Close: %v", err)
	}
	g = h.open() // a running before Close runs again; b stays stopped
	if it := state(t, g, "a"); it.State != "RUNNING" || it.Run == nil || len(h.starts) != 2 {
		t.Fatalf("after reopening, a: %+v (%d starts)", it, len(h.starts))
	}
	if names := []string{g.List()[0].Name, g.List()[1].Name}; names[0] != "a" || names[1] != "b" {
		t.Fatalf("listed %v", names)
	}
	g.Close()
}

func TestRegistryNotResumedComesBackStopped(t *testing.T) {
	h := newHarness(t)
	kind := h.kind()
	kind.Resume = nil // producers: nothing starts writing until a person says so
	g := h.openKind(kind)
	if err := g.Create("p", "spec", true); err != nil {
		t.Fatal(err)
	}
	g.Close()
	g = h.openKind(kind)
	if it := state(t, g, "p"); it.State != "STOPPED" || it.Run != nil || len(h.starts) != 1 {
		t.Fatalf("p after reopening: %+v, %d starts", it, len(h.starts))
	}
}

func TestRegistryWatchesARunnerThatEndsByItself(t *testing.T) {
	h := newHarness(t)
	g := h.open()
	defer g.Close()
	for _, name := range []string{"fails", "finishes"} {
		if err := g.Create(name, name, true); err != nil {
			t.Fatal(err)
		}
	}
	h.starts[0].end(errors.New("source stream deleted"))
	h.starts[1].end(nil)
	if it := eventually(t, g, "fails", "FAILED"); it.Error != "source stream deleted" || it.Run != nil || it.Last != h.starts[0] {
		t.Fatalf("fails: %+v", it)
	}
	if it := eventually(t, g, "finishes", "DONE"); it.Error != "" || it.Run != nil {
		t.Fatalf("finishes: %+v", it)
	}
	// the failed state is stored: a reopened registry shows it, and does not start it
	g2 := h.open()
	if it := state(t, g2, "fails"); it.State != "FAILED" || it.Error != "source stream deleted" || it.Run != nil {
		t.Fatalf("reopened: %+v", it)
	}
	// Start clears the failure
	if err := g.Start("fails"); err != nil {
		t.Fatal(err)
	}
	if it := state(t, g, "fails"); it.State != "RUNNING" || it.Error != "" {
		t.Fatalf("restarted: %+v", it)
	}
}

// TestRegistryAnEarlierRunNeverTouchesALaterOne: a runner stopped by hand whose end is seen after a new start
// must not mark the new run stopped or failed.
func TestRegistryAnEarlierRunNeverTouchesALaterOne(t *testing.T) {
	h := newHarness(t)
	kind := h.kind()
	kind.Stop = func(r *fakeRun) {} // ends later, by the test, with an error
	g := h.openKind(kind)
	if err := g.Create("x", "spec", true); err != nil {
		t.Fatal(err)
	}
	if err := g.Stop("x"); err != nil {
		t.Fatal(err)
	}
	if err := g.Start("x"); err != nil {
		t.Fatal(err)
	}
	h.starts[0].end(errors.New("late"))
	time.Sleep(20 * time.Millisecond)
	if it := state(t, g, "x"); it.State != "RUNNING" || it.Run != h.starts[1] {
		t.Fatalf("x: %+v", it)
	}
}

func TestRegistryStartFailureIsKept(t *testing.T) {
	h := newHarness(t)
	h.refuse = "bad"
	g := h.open()
	defer g.Close()
	if err := g.Create("x", "bad", true); err != nil {
		t.Fatalf("Create of an item that cannot start: %v", err)
	}
	if it := state(t, g, "x"); it.State != "FAILED" || it.Error != "spec bad refused" {
		t.Fatalf("x: %+v", it)
	}
	if err := g.Start("x"); err == nil || err.Error() != "spec bad refused" {
		t.Fatalf("Start: %v", err)
	}
}

func TestRegistryUpdateRestartsWithTheNewSpec(t *testing.T) {
	h := newHarness(t)
	g := h.open()
	defer g.Close()
	if err := g.Create("x", "v1", true); err != nil {
		t.Fatal(err)
	}
	if err := g.SaveProgress("x", progress{Upto: 7}); err != nil {
		t.Fatal(err)
	}
	var saw Record[string, progress]
	err := g.Update("x", "v2", func(old Record[string, progress]) (progress, error) {
		saw = old
		if !h.starts[0].stopped {
			t.Error("replace called before the old run stopped")
		}
		return progress{Upto: old.Progress.Upto + 1}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if saw.Spec != "v1" || saw.Progress.Upto != 7 {
		t.Fatalf("replace saw %+v", saw)
	}
	it := state(t, g, "x")
	if it.Spec != "v2" || it.Progress.Upto != 8 || it.State != "RUNNING" || it.Run.spec != "v2" {
		t.Fatalf("after Update: %+v", it)
	}
	if err := g.Update("x", "v3", func(Record[string, progress]) (progress, error) { return progress{}, errors.New("no") }); err == nil {
		t.Fatal("a refused replace was applied")
	}
	if err := g.Update("y", "v1", nil); !errors.Is(err, errNotFound) {
		t.Fatalf("Update of y: %v", err)
	}
	// a stopped item stays stopped
	if err := g.Stop("x"); err != nil {
		t.Fatal(err)
	}
	if err := g.Update("x", "v4", nil); err != nil {
		t.Fatal(err)
	}
	if it := state(t, g, "x"); it.State != "STOPPED" || it.Spec != "v4" || it.Progress.Upto != 8 {
		t.Fatalf("stopped update: %+v", it)
	}
	recs, err := h.kind().Load()
	if err != nil || recs["x"].Spec != "v4" || recs["x"].Progress.Upto != 8 {
		t.Fatalf("stored: %+v %v", recs, err)
	}
}

func TestRegistryDeleteForgetsEverything(t *testing.T) {
	h := newHarness(t)
	g := h.open()
	defer g.Close()
	if err := g.Create("x", "v1", true); err != nil {
		t.Fatal(err)
	}
	if err := g.Delete("x"); err != nil {
		t.Fatal(err)
	}
	if !h.starts[0].stopped || len(h.forgot) != 1 || h.forgot[0] != "x" {
		t.Fatalf("stopped %v, forgot %v", h.starts[0].stopped, h.forgot)
	}
	if err := g.Delete("x"); !errors.Is(err, errNotFound) {
		t.Fatalf("a second delete: %v", err)
	}
	if recs, err := h.kind().Load(); err != nil || len(recs) != 0 {
		t.Fatalf("stored after delete: %v %v", recs, err)
	}
	if err := g.Create("x", "v2", false); err != nil {
		t.Fatalf("a new x: %v", err)
	}
}

func TestRecordsRefuseACorruptValue(t *testing.T) {
	h := newHarness(t)
	if err := h.eng.PutCheckpoint(context.Background(), engine.Checkpoint{Namespace: "things", Key: "x", Value: []byte("{not json")}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(h.kind()); err == nil || !strings.Contains(err.Error(), "thing x") || !strings.Contains(err.Error(), "shardlab.db") {
		t.Fatalf("a corrupt record: %v", err)
	}
}

func TestMemoryRecordsKeepNothing(t *testing.T) {
	h := newHarness(t)
	kind := h.kind()
	kind.Records = Records[string, progress]{Noun: "job"}
	g := h.openKind(kind)
	if err := g.Create("replay", "file", true); err != nil {
		t.Fatal(err)
	}
	g.Close()
	if g = h.openKind(kind); len(g.List()) != 0 {
		t.Fatalf("a memory registry reopened with %v", g.List())
	}
	if raw, _ := h.eng.Checkpoints(context.Background(), "things"); len(raw) != 0 {
		t.Fatalf("stored %v", raw)
	}
}
