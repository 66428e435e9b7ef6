package widgets

import (
	"image"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// SeriesPoint is one value of a series at a time (a window's end).
type SeriesPoint struct {
	T time.Time
	V float64
}

// Bar is one bar of a bar chart: a label and its value.
type Bar struct {
	Label string
	Value float64
}

// SeriesChart draws an analytics query's results: a line per group over time (numeric aggregates), or bars (a
// top-k). Lines are drawn into one image; the scale starts at zero unless a value is negative.
type SeriesChart struct {
	widget.BaseWidget

	// Location is the zone of the time axis; nil is the local zone (tests pin it).
	Location *time.Location

	mu     sync.Mutex
	title  string
	names  []string // series in colour order
	series map[string][]SeriesPoint
	bars   []Bar
}

// NewSeriesChart returns an empty chart.
func NewSeriesChart() *SeriesChart {
	c := &SeriesChart{series: map[string][]SeriesPoint{}}
	c.ExtendBaseWidget(c)
	return c
}

// SetSeries shows lines: names fixes their order (and colours); title names what is drawn.
func (c *SeriesChart) SetSeries(title string, names []string, series map[string][]SeriesPoint) {
	c.mu.Lock()
	c.title, c.names, c.series, c.bars = title, slices.Clone(names), series, nil
	c.mu.Unlock()
	c.Refresh()
}

// SetBars shows bars, largest first as given.
func (c *SeriesChart) SetBars(title string, bars []Bar) {
	c.mu.Lock()
	c.title, c.bars, c.names, c.series = title, slices.Clone(bars), nil, map[string][]SeriesPoint{}
	c.mu.Unlock()
	c.Refresh()
}

// Title is what the chart says it draws.
func (c *SeriesChart) Title() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.title
}

// Series are the names of the lines drawn, in colour order.
func (c *SeriesChart) Series() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.names)
}

// scale is the lines' time and value range.
func (c *SeriesChart) scale() (t0, t1 time.Time, lo, hi float64) {
	lo, hi = 0, 1
	first := true
	for _, s := range c.series {
		for _, p := range s {
			if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				continue
			}
			if first || p.T.Before(t0) {
				t0 = p.T
			}
			if first || p.T.After(t1) {
				t1 = p.T
			}
			first = false
			lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
		}
	}
	return t0, t1, lo, hi
}

func (c *SeriesChart) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w < 4 || h < 4 {
		return img
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	drawGrid(img, w, h)
	thick := lineThickness()
	if len(c.bars) > 0 {
		top := 0.0
		for _, b := range c.bars {
			top = math.Max(top, b.Value)
		}
		rowH := h / len(c.bars)
		for i, b := range c.bars {
			bw := 0
			if top > 0 {
				bw = int(b.Value / top * float64(w-1))
			}
			col := SeriesColor(i)
			for y := i*rowH + 2; y < (i+1)*rowH-2; y++ {
				for x := 0; x < bw; x++ {
					img.SetNRGBA(x, y, col)
				}
			}
		}
		return img
	}
	t0, t1, lo, hi := c.scale()
	span := t1.Sub(t0)
	for i, name := range c.names {
		s := c.series[name]
		col := SeriesColor(i)
		px := func(p SeriesPoint) (int, int) {
			x := w - 1
			if span > 0 {
				x = int(float64(p.T.Sub(t0)) / float64(span) * float64(w-1))
			}
			y := h - 1 - int((p.V-lo)/(hi-lo)*float64(h-2))
			return min(max(x, 0), w-1), min(max(y, 0), h-1) // a point never drives the line drawing off the image
		}
		s = slices.DeleteFunc(slices.Clone(s), func(p SeriesPoint) bool { return math.IsNaN(p.V) || math.IsInf(p.V, 0) })
		for j := 1; j < len(s); j++ {
			x0, y0 := px(s[j-1])
			x1, y1 := px(s[j])
			line(img, x0, y0, x1, y1, col, thick)
		}
		if len(s) == 1 {
			x, y := px(s[0])
			line(img, max(0, x-2), y, x, y, col, thick)
		}
	}
	return img
}

func (c *SeriesChart) CreateRenderer() fyne.WidgetRenderer {
	small := func() *canvas.Text {
		t := canvas.NewText("", theme.Color(theme.ColorNameForeground))
		t.TextSize = SmallText()
		return t
	}
	return &seriesChartRenderer{c: c, raster: canvas.NewRaster(c.draw), title: small(), legend: container.NewVBox(),
		axis: [3]*canvas.Text{small(), small(), small()}}
}

type seriesChartRenderer struct {
	c      *SeriesChart
	raster *canvas.Raster
	title  *canvas.Text
	legend *fyne.Container
	axis   [3]*canvas.Text // the time axis under the lines: first, middle and last window end
	shown  string
}

func (r *seriesChartRenderer) Layout(size fyne.Size) {
	lh := r.title.MinSize().Height
	legendW := float32(150)
	r.title.Move(fyne.NewPos(0, 0))
	r.raster.Move(fyne.NewPos(0, lh+2))
	plot := fyne.NewSize(size.Width-legendW-4, size.Height-2*lh-4)
	r.raster.Resize(plot)
	for i, t := range r.axis {
		w := t.MinSize().Width
		x := [3]float32{0, (plot.Width - w) / 2, plot.Width - w}[i]
		t.Move(fyne.NewPos(max(0, x), lh+4+plot.Height))
		t.Resize(t.MinSize())
	}
	r.legend.Move(fyne.NewPos(size.Width-legendW, lh+2))
	r.legend.Resize(fyne.NewSize(legendW, size.Height-lh-2))
}

func (r *seriesChartRenderer) MinSize() fyne.Size { return fyne.NewSize(360, 140) }

func (r *seriesChartRenderer) Refresh() {
	c := r.c
	c.mu.Lock()
	r.title.Text = c.title
	var labels []string
	if len(c.bars) > 0 {
		for _, b := range c.bars {
			labels = append(labels, b.Label+": "+formatValue(b.Value))
		}
	} else {
		labels = slices.Clone(c.names)
		if len(c.names) > 0 {
			_, _, _, hi := c.scale()
			r.title.Text += " · top " + formatValue(hi)
		}
	}
	axis := [3]string{}
	if t0, t1, _, _ := c.scale(); len(c.bars) == 0 && !t0.IsZero() {
		for i, at := range []time.Time{t0, t0.Add(t1.Sub(t0) / 2), t1} {
			loc := c.Location
			if loc == nil {
				loc = time.Local
			}
			axis[i] = at.In(loc).Format("15:04:05")
		}
		if !t1.After(t0) {
			axis[0], axis[1] = "", ""
		}
	}
	c.mu.Unlock()
	key := ""
	for _, l := range labels {
		key += l + "\x00"
	}
	if key != r.shown { // the legend is rebuilt only when it changes
		r.shown = key
		r.legend.Objects = nil
		for i, l := range labels {
			sw := canvas.NewRectangle(SeriesColor(i))
			sw.SetMinSize(fyne.NewSize(10, 10))
			t := canvas.NewText(l, theme.Color(theme.ColorNameForeground))
			t.TextSize = SmallText()
			r.legend.Add(container.NewHBox(container.NewCenter(sw), t))
		}
		r.legend.Refresh()
	}
	for i, t := range r.axis {
		t.Text = axis[i]
		t.Refresh()
	}
	r.Layout(r.c.Size())
	r.title.Refresh()
	r.raster.Refresh()
}

func (r *seriesChartRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.raster, r.title, r.legend, r.axis[0], r.axis[1], r.axis[2]}
}

func (r *seriesChartRenderer) Destroy() {}

// formatValue shows a value in a few significant digits.
func formatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
