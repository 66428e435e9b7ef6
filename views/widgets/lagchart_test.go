package widgets

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestLagChartGoldenAndScale: two consumers, one falling behind and catching up; the scale follows the larger lag
// and a consumer that disappears loses its line.
func TestLagChartGoldenAndScale(t *testing.T) {
	test.NewTempApp(t)
	c := NewLagChart()
	for i := range 120 {
		lag := float64(0)
		if i > 40 && i < 90 {
			lag = float64(i-40) / 5 // ten seconds behind at the worst, then caught up
		}
		c.Push(map[string]float64{"analytics": lag, "archiver": 0.5})
	}
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(420, 180))
	test.AssertImageMatches(t, "lagchart.png", w.Canvas().Capture())
	if got := c.top(); got < 9.7 || got > 10 {
		t.Fatalf("scale top %v, want the largest lag, ~9.8 s", got)
	}
	img := c.draw(300, 100)
	found := false
	for x := 0; x < 300 && !found; x++ {
		for y := 0; y < 100; y++ {
			if img.At(x, y) == color.Color(SeriesColor(0)) {
				found = true
				break
			}
		}
	}
	if !found {
		t.Fatal("the first consumer's line is not drawn")
	}
	c.Push(map[string]float64{"archiver": 1})
	if names := c.Names(); len(names) != 1 || names[0] != "archiver" {
		t.Fatalf("lines after analytics left: %v", names)
	}
}
