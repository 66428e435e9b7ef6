package widgets

import (
	"image"
	"image/color"
	"math"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// HeatmapRow is one shard's line of the heatmap.
type HeatmapRow struct {
	Label string // the axis label, short (the shard's number)
	// Util holds one utilisation per column, oldest first; NaN marks seconds before the shard existed or after it
	// closed, drawn as empty background.
	Util      []float32
	Throttled []bool // seconds with at least one write refused over the limit (a dot); may be nil
	// ReadThrottled marks seconds with a GetRecords call refused over the read limit (a bar along the cell's
	// bottom, so it reads apart from the write dot without colour); may be nil.
	ReadThrottled []bool
}

// HeatmapData is what a Heatmap shows: rows of shards by columns of seconds, the last column ending at End.
type HeatmapData struct {
	Rows    []HeatmapRow
	Columns int
	End     time.Time
}

// Heatmap draws shards × seconds as coloured cells on the write-utilisation scale; seconds with writes throttled
// carry a dot and seconds with reads throttled a bar along the bottom, so both read without colour. Dense data goes into one reused image, so 500 shards × 300 seconds costs one texture upload.
type Heatmap struct {
	widget.BaseWidget

	// OnHover is called with the row and column under the pointer, or ok=false when it leaves the cells.
	OnHover func(row, col int, ok bool)
	// OnTapped is called with the row tapped.
	OnTapped func(row int)

	data    *HeatmapData
	img     *image.RGBA
	plot    fyne.Size     // the cell area's size, set by the renderer's layout
	first   int           // the first row shown, when more rows than fit at minRowHeight() scroll
	pointer fyne.Position // absolute, where the pointer last moved over the heatmap (for a tooltip beside it)
}

// Pointer is where the pointer last moved over the heatmap, as an absolute position.
func (h *Heatmap) Pointer() fyne.Position { return h.pointer }

// NewHeatmap returns an empty heatmap.
func NewHeatmap() *Heatmap {
	h := &Heatmap{}
	h.ExtendBaseWidget(h)
	return h
}

// SetData replaces what the heatmap shows. The heatmap keeps d; the caller must not change it afterwards.
func (h *Heatmap) SetData(d *HeatmapData) {
	h.data = d
	h.clampFirst()
	h.Refresh()
}

// visibleRows is how many rows fit in the plot at the minimum row height (all of them when they fit).
func (h *Heatmap) visibleRows() int {
	if h.data == nil {
		return 0
	}
	n := len(h.data.Rows)
	if fit := int(h.plot.Height / minRowHeight()); fit >= 1 && fit < n {
		return fit
	}
	return n
}

// VisibleRows reports the rows shown: the first one's index and how many (for tests and the hover text).
func (h *Heatmap) VisibleRows() (first, n int) { return h.first, h.visibleRows() }

func (h *Heatmap) clampFirst() {
	rows := 0
	if h.data != nil {
		rows = len(h.data.Rows)
	}
	h.first = min(max(h.first, 0), max(0, rows-h.visibleRows()))
}

// shown is the data cut to the rows in view.
func (h *Heatmap) shown() *HeatmapData {
	d := h.data
	if d == nil {
		return nil
	}
	n := h.visibleRows()
	if n == len(d.Rows) {
		return d
	}
	part := *d
	part.Rows = d.Rows[h.first : h.first+n]
	return &part
}

// Scrolled implements fyne.Scrollable: with more shards than fit at a readable row height, the wheel moves
// through them a row per notch.
func (h *Heatmap) Scrolled(e *fyne.ScrollEvent) {
	if h.data == nil || h.visibleRows() == len(h.data.Rows) {
		return
	}
	step := 1
	if e.Scrolled.DY > 0 {
		step = -1
	}
	before := h.first
	h.first += step * max(1, int(math.Abs(float64(e.Scrolled.DY)/float64(minRowHeight()))))
	h.clampFirst()
	if h.first != before {
		h.Refresh()
	}
}

const (
	heatmapLabelWidth  = 44
	heatmapAxisHeight  = 20
	heatmapLabelMinGap = 16 // vertical space one row label needs
)

// minRowHeight keeps every row tall enough to label and to point at; more shards than fit scroll.
func minRowHeight() float32 { return max(heatmapLabelMinGap, SmallText()*1.45) }

// CreateRenderer implements fyne.Widget.
func (h *Heatmap) CreateRenderer() fyne.WidgetRenderer {
	r := &heatmapRenderer{h: h}
	r.raster = canvas.NewRaster(h.draw)
	r.raster.ScaleMode = canvas.ImageScalePixels
	r.title = canvas.NewText("shard", theme.Color(theme.ColorNameForeground))
	r.title.TextSize = SmallText()
	r.thumb = canvas.NewRectangle(theme.Color(theme.ColorNameScrollBar))
	r.thumb.Hide()
	r.Refresh()
	return r
}

// cellAt maps a position inside the widget to a row and column.
func (h *Heatmap) cellAt(p fyne.Position) (row, col int, ok bool) {
	d := h.data
	if d == nil || len(d.Rows) == 0 || d.Columns == 0 || h.plot.Width <= 0 || h.plot.Height <= 0 {
		return 0, 0, false
	}
	x, y := p.X-heatmapLabelWidth, p.Y
	if x < 0 || y < 0 || x >= h.plot.Width || y >= h.plot.Height {
		return 0, 0, false
	}
	n := h.visibleRows()
	return h.first + min(n-1, int(y/h.plot.Height*float32(n))), int(x / h.plot.Width * float32(d.Columns)), true
}

// MouseIn implements desktop.Hoverable.
func (h *Heatmap) MouseIn(e *desktop.MouseEvent) { h.MouseMoved(e) }

// MouseMoved implements desktop.Hoverable.
func (h *Heatmap) MouseMoved(e *desktop.MouseEvent) {
	h.pointer = e.AbsolutePosition
	if h.OnHover != nil {
		row, col, ok := h.cellAt(e.Position)
		h.OnHover(row, col, ok)
	}
}

// MouseOut implements desktop.Hoverable.
func (h *Heatmap) MouseOut() {
	if h.OnHover != nil {
		h.OnHover(0, 0, false)
	}
}

// Tapped implements fyne.Tappable.
func (h *Heatmap) Tapped(e *fyne.PointEvent) {
	if row, _, ok := h.cellAt(e.Position); ok && h.OnTapped != nil {
		h.OnTapped(row)
	}
}

// draw renders the cells at w×h pixels into the reused image. It works a pixel line at a time: a line is computed
// once per row (and once more for the row's mark line) and copied down, so the cost is the image's size, not the
// number of cells.
func (h *Heatmap) draw(w, ht int) image.Image {
	if h.img == nil || h.img.Rect.Dx() != w || h.img.Rect.Dy() != ht {
		h.img = image.NewRGBA(image.Rect(0, 0, w, ht))
	}
	// Presentation mode doubles the theme's line thickness; the throttle marks grow with it so a room sees them.
	weight := max(1, int(theme.Size(theme.SizeNameSeparatorThickness)))
	DrawHeatmapMarked(h.img, h.shown(), weight)
	return h.img
}

// DrawHeatmap paints d's cells over the whole of img with marks of the normal weight (exported for the rendering
// benchmark and the app's screenshots).
func DrawHeatmap(img *image.RGBA, d *HeatmapData) { DrawHeatmapMarked(img, d, 1) }

// DrawHeatmapMarked is DrawHeatmap with the throttle marks weight times as large (2 in presentation mode), within
// the cell.
func DrawHeatmapMarked(img *image.RGBA, d *HeatmapData, weight int) {
	w, ht := img.Rect.Dx(), img.Rect.Dy()
	clear(img.Pix)
	if d == nil || len(d.Rows) == 0 || d.Columns == 0 || w == 0 || ht == 0 {
		return
	}
	rows, cols := len(d.Rows), d.Columns
	colOf := make([]int, w)
	for x := range w {
		colOf[x] = x * cols / w
	}
	cellW := float64(w) / float64(cols)
	cellH := float64(ht) / float64(rows)
	gap := cellH >= 6 // a 1-pixel gap between rows, once rows are tall enough to spare it
	markable := cellW >= 3 && cellH >= 3
	stride := img.Stride
	base := make([]byte, w*4)
	mark := make([]byte, w*4)
	readMark := make([]byte, w*4)
	for r := range rows {
		y0 := int(math.Round(float64(r) * cellH))
		y1 := int(math.Round(float64(r+1) * cellH))
		if y1 <= y0 {
			continue
		}
		row := &d.Rows[r]
		fillLine(base, row, colOf, nil, cellW, false, weight)
		hasMark, hasReadMark := false, false
		if markable && row.Throttled != nil {
			hasMark = fillLine(mark, row, colOf, row.Throttled, cellW, false, weight)
		}
		if markable && row.ReadThrottled != nil {
			hasReadMark = fillLine(readMark, row, colOf, row.ReadThrottled, cellW, true, weight)
		}
		// The dot is one or two pixel lines in the row's middle, weight times as many, never more than a third
		// of the row.
		dotLines := 1
		if cellH >= 8 {
			dotLines = 2
		}
		dotLines = max(1, min(dotLines*weight, (y1-y0)/3))
		midTop := y0 + (y1-y0-dotLines)/2
		midBottom := midTop + dotLines - 1
		last := y1
		if gap {
			last--
		}
		// The read bar is the row's last two pixel lines above the gap (one when rows are short), weight times as
		// many within a quarter of the row.
		barLines := 2
		if cellH < 8 {
			barLines = 1
		}
		barLines = max(1, min(barLines*weight, (y1-y0)/4))
		barTop := last - barLines
		for y := y0; y < last && y < ht; y++ {
			line := base
			switch {
			case hasReadMark && y >= barTop:
				line = readMark
			case hasMark && y >= midTop && y <= midBottom:
				line = mark
			}
			copy(img.Pix[y*stride:y*stride+w*4], line)
		}
	}
}

// fillLine writes one pixel line of a row; with throttled set it writes a mark line instead — a dot in the middle of
// each throttled cell, weight thirds wide, or with bar the cell's middle two thirds (all of it at weight 2) — and
// reports whether any cell had one.
func fillLine(line []byte, row *HeatmapRow, colOf []int, throttled []bool, cellW float64, bar bool, weight int) bool {
	any := false
	dot := max(1, min(int(cellW)-1, int(cellW*float64(weight)/3)))
	if bar {
		dot = max(1, min(int(cellW), int(cellW*float64(weight+1)/3)))
	}
	prevC, prevPx := -1, color.NRGBA{}
	for x, c := range colOf {
		var px color.NRGBA
		if c == prevC && throttled == nil {
			px = prevPx
		} else if c < len(row.Util) && !math.IsNaN(float64(row.Util[c])) {
			px = UtilisationColor(float64(row.Util[c]))
			prevC, prevPx = c, px
			if throttled != nil && c < len(throttled) && throttled[c] {
				start := int(math.Ceil(float64(c) * cellW))
				end := int(math.Ceil(float64(c+1)*cellW)) - 1
				mid := (start + end) / 2
				if x >= mid-(dot-1)/2 && x < mid-(dot-1)/2+dot {
					px = markColor(px)
					any = true
				}
			}
		}
		o := x * 4
		line[o], line[o+1], line[o+2], line[o+3] = px.R, px.G, px.B, px.A
	}
	return any
}

type heatmapRenderer struct {
	h         *Heatmap
	raster    *canvas.Raster
	title     *canvas.Text
	thumb     *canvas.Rectangle // where the rows in view lie among all, while they scroll
	rowLabels []*canvas.Text
}

func (r *heatmapRenderer) Layout(size fyne.Size) {
	plot := fyne.NewSize(max(0, size.Width-heatmapLabelWidth), max(0, size.Height-heatmapAxisHeight))
	r.h.plot = plot
	r.h.clampFirst()
	r.raster.Move(fyne.NewPos(heatmapLabelWidth, 0))
	r.raster.Resize(plot)
	r.placeLabels()
}

// placeThumb draws a scroll thumb along the plot's right edge when not every row is in view.
func (r *heatmapRenderer) placeThumb() {
	d, plot := r.h.data, r.h.plot
	first, n := r.h.first, r.h.visibleRows()
	if d == nil || n == 0 || n >= len(d.Rows) {
		r.thumb.Hide()
		return
	}
	total := float32(len(d.Rows))
	r.thumb.FillColor = theme.Color(theme.ColorNameScrollBar)
	r.thumb.Move(fyne.NewPos(heatmapLabelWidth+plot.Width-4, plot.Height*float32(first)/total))
	r.thumb.Resize(fyne.NewSize(4, max(8, plot.Height*float32(n)/total)))
	r.thumb.Show()
	r.thumb.Refresh()
}

func (r *heatmapRenderer) MinSize() fyne.Size {
	return fyne.NewSize(heatmapLabelWidth+160, heatmapAxisHeight+80)
}

func (r *heatmapRenderer) Refresh() {
	fg := theme.Color(theme.ColorNameForeground)
	r.title.Color = fg
	r.placeLabels()
	r.raster.Refresh()
}

// placeLabels keeps the shard axis readable from 1 to 500 shards: it labels every k-th row, k the smallest of
// 1, 2, 5, 10, 20, 50… that leaves room for the text.
func (r *heatmapRenderer) placeLabels() {
	r.placeThumb()
	d := r.h.shown()
	plot := r.h.plot
	fg := theme.Color(theme.ColorNameForeground)
	used := 0
	label := func(text string, pos fyne.Position, align fyne.TextAlign) {
		if used == len(r.rowLabels) {
			t := canvas.NewText("", fg)
			t.TextSize = SmallText()
			r.rowLabels = append(r.rowLabels, t)
		}
		t := r.rowLabels[used]
		used++
		t.Text, t.Color, t.Alignment, t.TextSize = text, fg, align, SmallText()
		t.Hidden = false
		size := t.MinSize()
		switch align {
		case fyne.TextAlignTrailing:
			pos.X -= size.Width
		case fyne.TextAlignCenter:
			pos.X -= size.Width / 2
		}
		t.Move(fyne.NewPos(pos.X, pos.Y-size.Height/2))
		t.Resize(size)
		t.Refresh()
	}
	if d != nil && len(d.Rows) > 0 && plot.Height > 0 {
		rowH := plot.Height / float32(len(d.Rows))
		step := labelStep(rowH)
		for i := 0; i < len(d.Rows); i += step {
			label(d.Rows[i].Label, fyne.NewPos(heatmapLabelWidth-6, (float32(i)+0.5)*rowH), fyne.TextAlignTrailing)
		}
	}
	if d != nil && d.Columns > 0 && plot.Width > 0 {
		colW := plot.Width / float32(d.Columns)
		y := plot.Height + heatmapAxisHeight/2
		step := 60
		if d.Columns <= 120 {
			step = 30
		}
		for back := 0; back < d.Columns; back += step {
			c := d.Columns - 1 - back
			text := "now"
			if back > 0 {
				text = "−" + strconv.Itoa(back/60) + ":" + pad2(back%60)
			}
			align := fyne.TextAlignCenter
			if back == 0 {
				align = fyne.TextAlignTrailing
			}
			x := heatmapLabelWidth + (float32(c)+0.5)*colW
			if back == 0 {
				x = heatmapLabelWidth + plot.Width
			}
			label(text, fyne.NewPos(x, y), align)
		}
	}
	for _, t := range r.rowLabels[used:] {
		t.Hidden = true
	}
	r.title.Move(fyne.NewPos(2, plot.Height+4))
	r.title.Resize(r.title.MinSize())
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func labelStep(rowH float32) int {
	for _, s := range []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		if rowH*float32(s) >= minRowHeight() {
			return s
		}
	}
	return 1000
}

func (r *heatmapRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.raster, r.title, r.thumb}
	for _, t := range r.rowLabels {
		objs = append(objs, t)
	}
	return objs
}

func (r *heatmapRenderer) Destroy() {}
