package shell

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/views/ui/uitest"
	"github.com/shardlab/shardlab/views/widgets"
)

// TestConsumersTabGivesTheTableAndLagChartRoom opens the Consumers tab in a window of the size the app opens at and
// checks the table shows several rows and the lag chart is a chart, not a strip: a presenter at 1280×720 sees both.
func TestConsumersTabGivesTheTableAndLagChartRoom(t *testing.T) {
	env := fullEnv(t)
	createStream(t, env.Engine, "room", 4)
	s, win := openShell(t, test.NewTempApp(t), env, DefaultWindowSize)
	uitest.UI(func() { s.Select(navStream + "room") })
	tabs := dashboardTabs(t, s)
	var consumers fyne.CanvasObject
	for i, item := range tabs.Items {
		if item.Text == "Consumers" {
			uitest.UI(func() { tabs.SelectIndex(i) })
			consumers = item.Content
		}
	}
	if consumers == nil {
		t.Fatal("no Consumers tab")
	}
	uitest.UI(func() { test.Tap(uitest.Button(t, consumers, "Start two workers")) })
	uitest.Eventually(t, "the workers' leases", func() bool { return countTexts(consumers, "shard ") == 4 })
	var table, chart fyne.Size
	uitest.UI(func() {
		win.Resize(DefaultWindowSize)
		tb, _ := uitest.Find(consumers, func(*widget.Table) bool { return true })
		lc, _ := uitest.Find(consumers, func(*widgets.LagChart) bool { return true })
		if tb == nil || lc == nil {
			t.Fatal("the Consumers tab has no table or no lag chart")
		}
		table, chart = tb.Size(), lc.Size()
	})
	rowHeight := widget.NewLabel("0").MinSize().Height
	if table.Height < 6*rowHeight { // a header and at least five rows
		t.Errorf("the consumers table is %.0f px tall at %v: fewer than five rows show", table.Height, DefaultWindowSize)
	}
	if chart.Height < 150 || chart.Width < 400 {
		t.Errorf("the lag chart is %.0f×%.0f px at %v: a strip, not a chart", chart.Width, chart.Height, DefaultWindowSize)
	}
}
