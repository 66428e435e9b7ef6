// Package uitest holds what the screens' tests share: a UI goroutine stand-in, an in-memory engine and finders for
// widgets in a rendered screen. Only tests import it.
package uitest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/replay"
	"github.com/shardlab/shardlab/views/ui"
)

// uiMu stands in for the real driver's single UI goroutine: everything the views hand to the UI, and everything a
// test does to widgets while screens poll, holds it.
var uiMu sync.Mutex

// Main is a screen package's TestMain: it makes ui.OnUI hold the lock UI holds, then runs the tests.
func Main(m *testing.M) {
	ui.OnUI = func(f func()) {
		uiMu.Lock()
		defer uiMu.Unlock()
		f()
	}
	os.Exit(m.Run())
}

// UI runs a test's widget actions as the UI goroutine would.
func UI(f func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	f()
}

// NewEnv is an in-memory engine with a generator manager, closed when the test ends.
func NewEnv(t *testing.T) ui.Env {
	t.Helper()
	eng, err := engine.Open(engine.Options{InMemory: true, EnforceLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	gens, err := loadgen.OpenManager(eng, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gens.StopAll)
	files := replay.NewJobs(eng)
	t.Cleanup(files.StopAll)
	return ui.Env{Engine: eng, Generators: gens, Files: files, DataDir: t.TempDir(), Version: "test"}
}

// Eventually polls cond on the UI side; the deadline only bounds a broken run.
func Eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok := false
		UI(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Find returns the first object under o (depth first) that match accepts.
func Find[T fyne.CanvasObject](o fyne.CanvasObject, match func(T) bool) (T, bool) {
	if v, ok := o.(T); ok && match(v) {
		return v, true
	}
	var children []fyne.CanvasObject
	switch c := o.(type) {
	case *fyne.Container:
		children = c.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(c).Objects()
	}
	for _, ch := range children {
		if v, ok := Find(ch, match); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// Button is the first button under o with the text, or fails the test.
func Button(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	b, ok := Find(o, func(b *widget.Button) bool { return b.Text == text })
	if !ok {
		t.Fatalf("no %q button", text)
	}
	return b
}

// PutJSON writes n small JSON records to a stream, keyed over seven partition keys.
func PutJSON(t *testing.T, eng *engine.Engine, stream string, n int) {
	t.Helper()
	var entries []engine.PutRecordsEntry
	for i := range n {
		entries = append(entries, engine.PutRecordsEntry{PartitionKey: fmt.Sprint("user-", i%7),
			Data: fmt.Appendf(nil, `{"i":%d,"status":%d}`, i, 200+(i%4)*100)})
		if len(entries) == 500 || i == n-1 {
			if _, err := eng.PutRecords(context.Background(), engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: stream}, Records: entries}); err != nil {
				t.Fatal(err)
			}
			entries = nil
		}
	}
}
