package widgets

import (
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// LagChartPoints is how many samples a line keeps: five minutes at one a second.
const LagChartPoints = 300

// seriesColors tell up to eight consumers apart; they avoid the utilisation scale's red, which means "over".
var seriesColors = []color.NRGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0x94, 0x67, 0xbd, 0xff},
	{0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

// SeriesColor is the colour of the i-th line, shared with anything that names the consumers beside the chart.
func SeriesColor(i int) color.NRGBA { return seriesColors[i%len(seriesColors)] }

// LagChart draws each consumer's lag (seconds behind) over the last five minutes, one line per consumer, on one
// scale that grows with the largest lag shown. Push adds a sample for every consumer at once.
type LagChart struct {
	widget.BaseWidget

	mu     sync.Mutex
	names  []string
	series map[string][]float64 // oldest first, at most LagChartPoints
}

// NewLagChart returns an empty chart.
func NewLagChart() *LagChart {
	c := &LagChart{series: map[string][]float64{}}
	c.ExtendBaseWidget(c)
	return c
}

// Push adds one sample a consumer (seconds behind); consumers missing from it are dropped from the chart.
func (c *LagChart) Push(sample map[string]float64) {
	c.mu.Lock()
	names := make([]string, 0, len(sample))
	for name, v := range sample {
		names = append(names, name)
		s := append(c.series[name], v)
		if len(s) > LagChartPoints {
			s = s[len(s)-LagChartPoints:]
		}
		c.series[name] = s
	}
	for name := range c.series {
		if _, ok := sample[name]; !ok {
			delete(c.series, name)
		}
	}
	slices.Sort(names)
	c.names = names
	c.mu.Unlock()
	c.Refresh()
}

// Names are the consumers drawn, in the order of their colours.
func (c *LagChart) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.names)
}

func (c *LagChart) top() float64 {
	top := 1.0
	for _, s := range c.series {
		for _, v := range s {
			top = max(top, v)
		}
	}
	return top
}

// draw renders the lines into a w×h image: time runs left to right, the newest sample at the right edge.
func (c *LagChart) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w < 2 || h < 2 {
		return img
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	drawGrid(img, w, h)
	thick := lineThickness()
	top := c.top()
	for i, name := range c.names {
		s := c.series[name]
		col := SeriesColor(i)
		px := func(j int) (int, int) {
			x := w - 1 - (len(s)-1-j)*(w-1)/(LagChartPoints-1)
			y := h - 1 - int(s[j]/top*float64(h-2))
			return x, y
		}
		for j := 1; j < len(s); j++ {
			x0, y0 := px(j - 1)
			x1, y1 := px(j)
			line(img, x0, y0, x1, y1, col, thick)
		}
		if len(s) == 1 {
			x, y := px(0)
			img.SetNRGBA(x, y, col)
		}
	}
	return img
}

// drawGrid draws a chart's three faint horizontal lines, at quarters of its height.
func drawGrid(img *image.NRGBA, w, h int) {
	grid := color.NRGBA{0x80, 0x80, 0x80, 0x40}
	for i := 1; i < 4; i++ {
		y := h * i / 4
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, grid)
		}
	}
}

// lineThickness is a chart line's thickness in pixels: two, readable on a projector, and twice that when
// presentation mode doubles the theme's line thickness.
func lineThickness() int { return 2 * max(1, int(theme.Size(theme.SizeNameSeparatorThickness))) }

// line draws a segment (Bresenham) thick pixels thick.
func line(img *image.NRGBA, x0, y0, x1, y1 int, col color.NRGBA, thick int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	for {
		for t := range thick {
			img.SetNRGBA(x0, y0-t, col)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

func (c *LagChart) CreateRenderer() fyne.WidgetRenderer {
	raster := canvas.NewRaster(c.draw)
	small := func() *canvas.Text {
		t := canvas.NewText("", theme.Color(theme.ColorNameForeground))
		t.TextSize = SmallText()
		return t
	}
	r := &lagChartRenderer{c: c, raster: raster, topLabel: small(), span: small()}
	r.span.Text = "the last 5 minutes, newest at the right"
	r.legend = container.NewHBox()
	return r
}

type lagChartRenderer struct {
	c           *LagChart
	raster      *canvas.Raster
	topLabel    *canvas.Text
	span        *canvas.Text
	legend      *fyne.Container
	legendNames string
}

func (r *lagChartRenderer) Layout(size fyne.Size) {
	lh := r.topLabel.MinSize().Height
	r.topLabel.Move(fyne.NewPos(0, 0))
	r.legend.Resize(r.legend.MinSize())
	r.legend.Move(fyne.NewPos(size.Width-r.legend.MinSize().Width, 0))
	r.raster.Move(fyne.NewPos(0, lh+2))
	r.raster.Resize(fyne.NewSize(size.Width, size.Height-2*lh-4))
	r.span.Move(fyne.NewPos(size.Width-r.span.MinSize().Width, size.Height-lh))
}

func (r *lagChartRenderer) MinSize() fyne.Size { return fyne.NewSize(300, 120) }

func (r *lagChartRenderer) Refresh() {
	r.c.mu.Lock()
	top := r.c.top()
	names := slices.Clone(r.c.names)
	r.c.mu.Unlock()
	r.topLabel.Text = fmt.Sprintf("lag, seconds behind (top %s)", trimFloat(top))
	r.topLabel.Refresh()
	if key := strings.Join(names, "\x00"); key != r.legendNames { // rebuild only when the consumers change
		r.legendNames = key
		r.legend.RemoveAll()
		for i, n := range names {
			t := canvas.NewText("— "+n, SeriesColor(i))
			t.TextSize = SmallText()
			t.TextStyle.Bold = true
			r.legend.Add(t)
		}
		r.Layout(r.c.Size())
	}
	r.raster.Refresh()
}

func trimFloat(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f s", v)
	}
	return fmt.Sprintf("%.1f s", v)
}

func (r *lagChartRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.raster, r.topLabel, r.legend, r.span}
}

func (r *lagChartRenderer) Destroy() {}
