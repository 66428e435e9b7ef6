package files

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestMain(m *testing.M) { uitest.Main(m) }

func TestFilesScreenReplaysThenCapturesAndReportsBadInput(t *testing.T) {
	test.NewTempApp(t)
	env := uitest.NewEnv(t)
	n := 2
	env.Engine.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: "logs", ShardCount: &n})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	os.WriteFile(in, []byte("{\"user\":\"a\",\"n\":1}\n{oops\n{\"user\":\"b\",\"n\":2}\n"), 0o644)
	win := test.NewTempWindow(t, widget.NewLabel(""))
	s := New(env, win)
	win.SetContent(s.Content())
	win.Resize(fyne.NewSize(1200, 740))
	s.Start()
	defer s.Stop()

	// The Stream fields offer the streams there are; the progress bar starts empty.
	uitest.Eventually(t, "the streams offered", func() bool {
		_, ok := uitest.Find(s.rStream, func(*widget.Button) bool { return true }) // the drop-down's button
		return ok && len(s.streams) == 1 && s.streams[0] == "logs"
	})
	if s.rBar.Value() != 0 {
		t.Errorf("progress before a replay: %v", s.rBar.Value())
	}
	uitest.UI(func() {
		s.rFile.SetText(in)
		s.rStream.SetText("logs")
		s.rKeyField.SetText("user")
		test.Tap(s.rStart)
	})
	uitest.Eventually(t, "the replay to finish", func() bool { return strings.Contains(s.rStatus.Text, "done") })
	uitest.UI(func() {
		if !strings.Contains(s.rStatus.Text, "2 records put") || !strings.Contains(s.rStatus.Text, "line 2:") {
			t.Errorf("replay status %q: want 2 put and line 2 listed as malformed", s.rStatus.Text)
		}
	})

	out := filepath.Join(dir, "out.ndjson")
	uitest.UI(func() {
		s.cStream.SetText("logs")
		s.cOut.SetText(out)
		test.Tap(s.cStart)
	})
	uitest.Eventually(t, "the capture to finish", func() bool { return strings.Contains(s.cStatus.Text, "done") })
	b, _ := os.ReadFile(out)
	if strings.Count(string(b), "\n") != 2 || !strings.Contains(string(b), `"key":"a"`) {
		t.Errorf("capture file:\n%s", b)
	}

	// Bad input changes nothing and says why.
	uitest.UI(func() {
		s.rSpeed.SetText("fast")
		test.Tap(s.rStart)
	})
	if win.Canvas().Overlays().Top() == nil {
		t.Error("a bad speed opened no dialog")
	}
}
