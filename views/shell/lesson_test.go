package shell

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/lessons"
	"github.com/shardlab/shardlab/views/dashboard"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

// TestALessonFromTheListToATick takes the first lesson as a learner would: F2 opens the Lessons screen, Start
// lesson sets it up and puts its steps beside the stream's dashboard, Show me does step 1 and it turns ✓, the
// Right arrow key moves on, and End lesson removes the lesson's stream again.
func TestALessonFromTheListToATick(t *testing.T) {
	env := fullEnv(t)
	s, win := openShell(t, test.NewTempApp(t), env, DefaultWindowSize)
	uitest.UI(func() { pressKey(win, fyne.KeyF2) }) // bare keys reach the canvas's typed-key handler
	var list *widget.List
	uitest.UI(func() { list, _ = uitest.Find(s.centre, func(*widget.List) bool { return true }) })
	if s.shownID != navLessons || list == nil || list.Length() < 12 {
		t.Fatalf("F2 showed %q with a list of %v lessons; want the Lessons screen with at least 12", s.shownID, list)
	}
	all, err := lessons.BuiltIn() // the screen lists them in this order
	if err != nil {
		t.Fatal(err)
	}
	keys := slices.IndexFunc(all, func(l *lessons.Lesson) bool { return l.ID == "keys-to-shards" })
	uitest.UI(func() {
		list.Select(keys)
		test.Tap(uitest.Button(t, s.centre, "Start lesson"))
	})
	uitest.Eventually(t, "the lesson's panel and its stream's dashboard", func() bool {
		_, ok := s.current.(*dashboard.Dashboard) // Eventually holds the UI lock while it asks
		return ok && s.lesson != nil && s.shownID == navStream+"lesson-keys"
	})
	panel := s.lesson.Content()
	uitest.UI(func() { test.Tap(uitest.Button(t, panel, "Show me")) })
	uitest.Eventually(t, "step 1 ticked and step 2 open", func() bool { return hasLabel(panel, "✓ 1") && hasLabel(panel, "2. The same key") })
	uitest.UI(func() { pressKey(win, fyne.KeyRight) })
	uitest.Eventually(t, "step 3 open after the Right key", func() bool { return hasLabel(panel, "3. Four keys") })
	uitest.UI(func() { pressKey(win, fyne.KeyLeft) })
	uitest.Eventually(t, "step 2 open again after the Left key", func() bool { return hasLabel(panel, "2. The same key") })
	uitest.UI(func() { test.Tap(uitest.Button(t, panel, "End lesson")) })
	uitest.Eventually(t, "the lesson ended and its stream gone", func() bool {
		_, err := env.Engine.Shards(t.Context(), engine.StreamRef{StreamName: "lesson-keys"})
		return s.lesson == nil && err != nil
	})
	checkFits(t, win, "the Lessons screen")
}

// hasLabel reports whether a label under o has text containing part; call it holding the UI lock (Eventually does).
func hasLabel(o fyne.CanvasObject, part string) bool {
	_, found := uitest.Find(o, func(l *widget.Label) bool { return strings.Contains(l.Text, part) })
	return found
}

// pressKey sends a bare key to the window as the driver does when no widget has focus.
func pressKey(win fyne.Window, key fyne.KeyName) {
	win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: key})
}
