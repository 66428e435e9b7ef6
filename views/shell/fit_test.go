package shell

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

func TestMain(m *testing.M) { uitest.Main(m) }

// maxMinSize is the largest minimum size a screen may ask of the window: a 1024×640 screen still shows all of it.
var maxMinSize = fyne.NewSize(1024, 640)

// fullEnv is an in-memory engine with every subsystem, so the navigation holds every screen.
func fullEnv(t *testing.T) ui.Env {
	env := uitest.NewEnv(t)
	var err error
	if env.Deliveries, err = delivery.OpenManager(env.Engine); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Deliveries.Close)
	if env.Analytics, err = analytics.OpenManager(env.Engine); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Analytics.Close)
	if env.Video, err = video.Open(env.Engine); err != nil {
		t.Fatal(err)
	}
	env.Cameras = loadgen.NewCameras(env.Video)
	t.Cleanup(env.Cameras.StopAll)
	return env
}

// TestNoScreenWidensTheWindow opens every screen and every dashboard tab, on streams of 8 and of 64 open shards with
// the workshop's two workers holding their leases, and checks none asks the window for more than 1024×640; then lays
// the window out at 1280×720 and 1024×640 and checks nothing is placed past its right or bottom edge.
func TestNoScreenWidensTheWindow(t *testing.T) {
	for _, shards := range []int{8, 64} {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			env := fullEnv(t)
			stream := fmt.Sprintf("wide-%d", shards)
			createStream(t, env.Engine, stream, shards)
			uitest.PutJSON(t, env.Engine, stream, 300)
			id, err := env.Generators.Add(loadgen.Config{Stream: stream, Name: "load", Template: "clickstream",
				Rate: 50, Keys: loadgen.KeyDistribution{Kind: "uniform", Keys: 100}})
			if err != nil {
				t.Fatal(err)
			}
			if err := env.Generators.Start(id); err != nil {
				t.Fatal(err)
			}
			s, win := openShell(t, test.NewTempApp(t), env, fyne.NewSize(1280, 720))
			screens := []string{navStreams, navDelivery, navAnalytics, navVideo, navFiles, navLessons, navSettings}
			for _, id := range screens {
				uitest.UI(func() { s.Select(id) })
				checkFits(t, win, id)
			}
			uitest.UI(func() { s.Select(navStream + stream) })
			tabs := dashboardTabs(t, s)
			for i, item := range tabs.Items {
				uitest.UI(func() { tabs.SelectIndex(i) })
				if item.Text == "Consumers" {
					uitest.UI(func() { test.Tap(uitest.Button(t, item.Content, "Start two workers")) })
					uitest.Eventually(t, "the workers' leases", func() bool {
						return countTexts(item.Content, "shard ") == shards
					})
				}
				time.Sleep(1200 * time.Millisecond) // a poll or two, so live content has arrived
				checkFits(t, win, "dashboard "+item.Text)
			}
		})
	}
}

// openShell opens the whole window on env at size and starts it; the test's end stops it.
func openShell(t *testing.T, a fyne.App, env ui.Env, size fyne.Size) (*Shell, fyne.Window) {
	t.Helper()
	win := a.NewWindow("Shardlab")
	var s *Shell
	uitest.UI(func() {
		s = New(a, win, env)
		win.SetContent(s.Content())
		win.Resize(size)
		s.Start()
	})
	t.Cleanup(func() { uitest.UI(s.Stop) })
	return s, win
}

// dashboardTabs is the open stream dashboard's tabs.
func dashboardTabs(t *testing.T, s *Shell) *container.AppTabs {
	t.Helper()
	var tabs *container.AppTabs
	uitest.UI(func() { tabs, _ = uitest.Find(s.centre, func(*container.AppTabs) bool { return true }) })
	if tabs == nil {
		t.Fatal("the dashboard has no tabs")
	}
	return tabs
}

func checkFits(t *testing.T, win fyne.Window, what string) {
	t.Helper()
	for _, size := range []fyne.Size{fyne.NewSize(1280, 720), maxMinSize} {
		var min fyne.Size
		uitest.UI(func() {
			win.Resize(size)
			min = win.Content().MinSize()
		})
		if min.Width > maxMinSize.Width || min.Height > maxMinSize.Height {
			t.Errorf("%s asks the window for %.0f×%.0f at %.0f×%.0f; at most %.0f×%.0f fits a small screen", what,
				min.Width, min.Height, size.Width, size.Height, maxMinSize.Width, maxMinSize.Height)
		}
	}
}

// countTexts counts the canvas texts under o that start with prefix (the workshop's lease cards are drawn so).
func countTexts(o fyne.CanvasObject, prefix string) int {
	n := 0
	if t, ok := o.(*canvas.Text); ok && strings.HasPrefix(t.Text, prefix) {
		n++
	}
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			n += countTexts(ch, prefix)
		}
	case fyne.Widget:
		for _, ch := range test.WidgetRenderer(c).Objects() {
			n += countTexts(ch, prefix)
		}
	}
	return n
}

func createStream(t *testing.T, eng *engine.Engine, name string, shards int) {
	t.Helper()
	ctx := context.Background()
	if err := eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: name, ShardCount: &shards}); err != nil {
		t.Fatal(err)
	}
}
