package shell

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/views/ui/uitest"
)

// TestNoTextIsCutAtTheDefaultSize opens every screen and every tab of a live stream's dashboard in a window of the
// size the app opens at and checks that no label showing is cut with "…" before anyone has pointed at anything: a
// learner reads the hints whole. (Hover details may be cut; their tooltip shows them in full.)
func TestNoTextIsCutAtTheDefaultSize(t *testing.T) {
	env := fullEnv(t)
	createStream(t, env.Engine, "cut", 4)
	uitest.PutJSON(t, env.Engine, "cut", 100)
	s, win := openShell(t, test.NewTempApp(t), env, DefaultWindowSize)
	check := func(what string, o func() fyne.CanvasObject) {
		time.Sleep(1200 * time.Millisecond) // a poll or two, so live content has arrived
		var cut []string
		uitest.UI(func() {
			win.Resize(DefaultWindowSize)
			cut = cutLabels(o())
		})
		for _, text := range cut {
			t.Errorf("%s at %v: %s: cut with …", what, DefaultWindowSize, text)
		}
	}
	for _, id := range []string{navStreams, navDelivery, navAnalytics, navVideo, navFiles, navLessons, navSettings} {
		uitest.UI(func() { s.Select(id) })
		check(id, win.Content)
	}
	uitest.UI(func() { s.Select(navStream + "cut") })
	tabs := dashboardTabs(t, s)
	for i, item := range tabs.Items {
		uitest.UI(func() { tabs.SelectIndex(i) })
		check(item.Text+" tab", win.Content)
	}
}

// cutLabels lists the texts of the showing labels under o that truncate and do not fit their width.
func cutLabels(o fyne.CanvasObject) []string {
	if !o.Visible() {
		return nil
	}
	var cut []string
	switch c := o.(type) {
	case *widget.Label:
		if c.Truncation != fyne.TextTruncateOff && c.Text != "" {
			style := c.TextStyle
			size := theme.SizeForWidget(theme.SizeNameText, c)
			room := c.Size().Width - 2*theme.InnerPadding()
			if fyne.MeasureText(c.Text, size, style).Width > room+0.5 {
				cut = append(cut, fmt.Sprintf("%q needs %.0f px of %.0f", c.Text, fyne.MeasureText(c.Text, size, style).Width, room))
			}
		}
	case *fyne.Container:
		for _, ch := range c.Objects {
			cut = append(cut, cutLabels(ch)...)
		}
	case fyne.Widget:
		for _, ch := range test.WidgetRenderer(c).Objects() {
			cut = append(cut, cutLabels(ch)...)
		}
	}
	return cut
}
