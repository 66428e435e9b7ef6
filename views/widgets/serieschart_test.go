package widgets

import (
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestSeriesChartGolden: a line per group over time with its legend, then the same chart as top-k bars.
func TestSeriesChartGolden(t *testing.T) {
	test.NewTempApp(t)
	c := NewSeriesChart()
	c.Location = time.UTC // the time axis reads the same in every zone
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	series := map[string][]SeriesPoint{}
	for i := range 30 {
		ts := base.Add(time.Duration(i) * 10 * time.Second)
		series["/checkout"] = append(series["/checkout"], SeriesPoint{ts, float64(40 + i*3)})
		series["/home"] = append(series["/home"], SeriesPoint{ts, float64(100 - i*2)})
		if i > 10 {
			series["/search"] = append(series["/search"], SeriesPoint{ts, float64(20 + (i%5)*8)})
		}
	}
	c.SetSeries("views per window", []string{"/checkout", "/home", "/search"}, series)
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(520, 200))
	test.AssertImageMatches(t, "serieschart-lines.png", w.Canvas().Capture())
	if c.Title() != "views per window" || len(c.Series()) != 3 {
		t.Fatalf("%q %v", c.Title(), c.Series())
	}
	c.SetBars("top pages in the newest window", []Bar{{"/checkout", 120}, {"/home", 80}, {"/search", 35}})
	test.AssertImageMatches(t, "serieschart-bars.png", w.Canvas().Capture())
}

// TestSeriesChartSkipsNonFiniteValues: an infinite or NaN value (a sum over a division by zero) is left out
// instead of sending the line drawing off the image.
func TestSeriesChartSkipsNonFiniteValues(t *testing.T) {
	test.NewTempApp(t)
	c := NewSeriesChart()
	c.Location = time.UTC // the time axis reads the same in every zone
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c.SetSeries("x", []string{"a"}, map[string][]SeriesPoint{"a": {{base, 1}, {base.Add(time.Second), math.Inf(1)},
		{base.Add(2 * time.Second), math.NaN()}, {base.Add(3 * time.Second), 3}}})
	img := c.draw(200, 100)
	if img.Bounds().Dx() != 200 {
		t.Fatal(img.Bounds())
	}
	if _, _, _, hi := c.scale(); hi != 3 {
		t.Fatalf("scale top %v", hi)
	}
}
