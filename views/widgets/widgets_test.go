package widgets

import (
	"image"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// fixedHeatmap is 6 shards × 60 seconds: shard 2 runs hot and is throttled in its last 20 seconds, shard 5 opens
// halfway (a split's child).
func fixedHeatmap() *HeatmapData {
	d := &HeatmapData{Columns: 60, End: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	for r := range 6 {
		row := HeatmapRow{Label: strconv.Itoa(r), Util: make([]float32, 60), Throttled: make([]bool, 60)}
		for c := range 60 {
			u := 0.1 + 0.05*float64(r) + 0.002*float64(c)
			if r == 2 {
				u = 0.4 + float64(c)/40
				row.Throttled[c] = c >= 40
			}
			if r == 5 && c < 30 {
				u = math.NaN()
			}
			row.Util[c] = float32(u)
		}
		d.Rows = append(d.Rows, row)
	}
	return d
}

func fixedSegments() []KeySegment {
	return []KeySegment{
		{ID: "shardId-000000000000", Label: "0", Start: 0, End: 0.25, Util: 0.2, Open: true},
		{ID: "shardId-000000000001", Label: "1", Start: 0.25, End: 0.5, Util: 1.3, Open: true, Throttled: true},
		{ID: "shardId-000000000002", Label: "2", Start: 0.5, End: 0.75, Util: 0.6, Open: true},
		{ID: "shardId-000000000003", Label: "3", Start: 0.75, End: 1, Util: 0.05, Open: true},
	}
}

func TestHeatmapGoldenAndHover(t *testing.T) {
	test.NewTempApp(t)
	h := NewHeatmap()
	h.SetData(fixedHeatmap())
	w := test.NewTempWindow(t, h)
	w.Resize(fyne.NewSize(420, 220))
	test.AssertImageMatches(t, "heatmap.png", w.Canvas().Capture())

	var gotRow, gotCol int
	var gotOK bool
	h.OnHover = func(row, col int, ok bool) { gotRow, gotCol, gotOK = row, col, ok }
	// The cell area starts after the label gutter; aim at row 2, the last column.
	plot := h.plot
	test.MoveMouse(w.Canvas(), fyne.NewPos(heatmapLabelWidth+plot.Width-2, plot.Height*2.5/6))
	if !gotOK || gotRow != 2 || gotCol != 59 {
		t.Errorf("hover = row %d col %d ok %v, want row 2 col 59", gotRow, gotCol, gotOK)
	}
	test.MoveMouse(w.Canvas(), fyne.NewPos(5, 5)) // over the labels, not a cell
	if gotOK {
		t.Error("hover over the axis labels reported a cell")
	}
	tapped := -1
	h.OnTapped = func(row int) { tapped = row }
	test.TapCanvas(w.Canvas(), fyne.NewPos(heatmapLabelWidth+10, plot.Height*4.5/6))
	if tapped != 4 {
		t.Errorf("tapped row %d, want 4", tapped)
	}
}

func TestHeatmapThrottledCellsCarryAMark(t *testing.T) {
	d := fixedHeatmap()
	img := image.NewRGBA(image.Rect(0, 0, 600, 300))
	DrawHeatmap(img, d)
	// Row 2's cells 40–59 are throttled: the middle pixel of such a cell differs from its corner.
	cellW, cellH := 600/60, 300/6
	cx, cy := 50*cellW+cellW/2, 2*cellH+cellH/2
	if img.RGBAAt(cx, cy) == img.RGBAAt(50*cellW+1, 2*cellH+1) {
		t.Error("throttled cell has no mark")
	}
	cx = 10*cellW + cellW/2
	if img.RGBAAt(cx, cy) != img.RGBAAt(10*cellW+1, 2*cellH+1) {
		t.Error("unthrottled cell is marked")
	}
	// Row 5 did not exist for its first 30 seconds: those cells are empty.
	if img.RGBAAt(5*cellW, 5*cellH+cellH/2).A != 0 {
		t.Error("a second before the shard existed is painted")
	}
}

// A read throttle is a bar along the cell's bottom, apart from the write dot in its middle.
func TestHeatmapReadThrottlesCarryABarNotADot(t *testing.T) {
	d := fixedHeatmap()
	row := &d.Rows[1]
	row.ReadThrottled = make([]bool, len(row.Util))
	row.ReadThrottled[20] = true
	img := image.NewRGBA(image.Rect(0, 0, 600, 300))
	DrawHeatmap(img, d)
	cellW, cellH := 600/60, 300/6
	x0, y0 := 20*cellW, 1*cellH
	corner := img.RGBAAt(x0+1, y0+1)
	if img.RGBAAt(x0+cellW/2, y0+cellH/2) != corner {
		t.Error("a read-throttled second carries the write dot")
	}
	// The bar sits on the row's last lines above the 1-pixel gap.
	if img.RGBAAt(x0+cellW/2, y0+cellH-2) == corner {
		t.Error("a read-throttled second has no bar")
	}
	if img.RGBAAt(21*cellW+cellW/2, y0+cellH-2) != img.RGBAAt(21*cellW+1, y0+1) {
		t.Error("the next second, not read-throttled, has a bar")
	}
}

// Presentation mode's heavier weight draws both throttle marks larger, still inside their cell.
func TestHeatmapMarksGrowWithTheirWeight(t *testing.T) {
	d := fixedHeatmap()
	row := &d.Rows[1]
	row.ReadThrottled = make([]bool, len(row.Util))
	row.ReadThrottled[20] = true
	cellW, cellH := 600/60, 300/6
	marked := func(weight, x0, y0 int) int {
		img := image.NewRGBA(image.Rect(0, 0, 600, 300))
		DrawHeatmapMarked(img, d, weight)
		corner, n := img.RGBAAt(x0+1, y0+1), 0
		for y := y0; y < y0+cellH; y++ {
			for x := x0; x < x0+cellW; x++ {
				if c := img.RGBAAt(x, y); c != corner && c.A != 0 {
					n++
				}
			}
		}
		return n
	}
	for _, m := range []struct {
		name   string
		x0, y0 int
	}{{"write dot", 50 * cellW, 2 * cellH}, {"read bar", 20 * cellW, 1 * cellH}} {
		normal, bold := marked(1, m.x0, m.y0), marked(2, m.x0, m.y0)
		if normal == 0 || bold < 2*normal {
			t.Errorf("%s: %d marked pixels at weight 1, %d at weight 2; want at least twice as many", m.name, normal, bold)
		}
		if bold >= cellW*cellH/2 {
			t.Errorf("%s: %d of the cell's %d pixels marked at weight 2; the cell's colour must still show", m.name, bold, cellW*cellH)
		}
	}
}

func TestHeatmapLabelsStayReadableAt500Shards(t *testing.T) {
	test.NewTempApp(t)
	h := NewHeatmap()
	d := &HeatmapData{Columns: 300}
	for r := range 500 {
		d.Rows = append(d.Rows, HeatmapRow{Label: strconv.Itoa(r), Util: make([]float32, 300)})
	}
	h.SetData(d)
	w := test.NewTempWindow(t, h)
	w.Resize(fyne.NewSize(800, 520))
	r := test.WidgetRenderer(h).(*heatmapRenderer)
	var prevY float32 = -100
	shown := 0
	for _, l := range r.rowLabels {
		if l.Hidden || l.Position().Y > h.plot.Height {
			continue
		}
		if l.Position().Y-prevY < heatmapLabelMinGap-1 {
			t.Fatalf("labels %q overlap the one above (y %.1f after %.1f)", l.Text, l.Position().Y, prevY)
		}
		prevY = l.Position().Y
		shown++
	}
	if shown < 10 || shown > 40 {
		t.Errorf("%d shard labels for 500 rows in ~500 px", shown)
	}
}

func TestKeyMapGoldenHoverAndTap(t *testing.T) {
	test.NewTempApp(t)
	k := NewKeyMap()
	k.SetSegments(fixedSegments())
	k.SetMarker(0.6)
	w := test.NewTempWindow(t, k)
	w.Resize(fyne.NewSize(500, 100))
	test.AssertImageMatches(t, "keymap.png", w.Canvas().Capture())

	var hovered *KeySegment
	k.OnHover = func(s *KeySegment) { hovered = s }
	test.MoveMouse(w.Canvas(), fyne.NewPos(k.band.Width*0.3, keyMapAxisHeight+10))
	if hovered == nil || hovered.ID != "shardId-000000000001" {
		t.Fatalf("hover at 30 %% of the key space = %+v, want shard 1", hovered)
	}
	test.MoveMouse(w.Canvas(), fyne.NewPos(k.band.Width, keyMapAxisHeight+10)) // the band's last pixel
	if hovered == nil || hovered.ID != "shardId-000000000003" {
		t.Errorf("hover at the right edge = %+v, want the shard ending the key space", hovered)
	}
	test.MoveMouse(w.Canvas(), fyne.NewPos(10, 2)) // on the axis
	if hovered != nil {
		t.Error("hover on the axis reported a shard")
	}
	var tapped KeySegment
	k.OnTapped = func(s KeySegment) { tapped = s }
	test.TapCanvas(w.Canvas(), fyne.NewPos(k.band.Width*0.9, keyMapAxisHeight+10))
	if tapped.ID != "shardId-000000000003" || k.Selected() != tapped.ID {
		t.Errorf("tap selected %q (reported %q), want shard 3", k.Selected(), tapped.ID)
	}
	test.AssertImageMatches(t, "keymap_selected.png", w.Canvas().Capture())
}

func TestKeyMapFadesToANewLayout(t *testing.T) {
	test.NewTempApp(t)
	k := NewKeyMap()
	k.SetSegments(fixedSegments())
	if k.anim != nil {
		t.Fatal("first layout animated")
	}
	segs := fixedSegments()
	segs[1].Util = 0.9 // same shards, new colours: no fade
	k.SetSegments(segs)
	if k.anim != nil {
		t.Fatal("a utilisation change started a layout fade")
	}
	split := append(fixedSegments()[:1], fixedSegments()[2:]...)
	split = append(split,
		KeySegment{ID: "shardId-000000000004", Start: 0.25, End: 0.375, Open: true},
		KeySegment{ID: "shardId-000000000005", Start: 0.375, End: 0.5, Open: true},
		KeySegment{ID: "shardId-000000000001", Start: 0.25, End: 0.5})
	k.SetSegments(split)
	if k.anim == nil {
		t.Fatal("a split did not start the fade")
	}
	if got := k.Segments(); !got[0].Open || got[len(got)-1].Open || got[1].ID != "shardId-000000000004" {
		t.Errorf("segments not ordered open-first by key: %+v", got)
	}
}

func TestUtilisationScale(t *testing.T) {
	if UtilisationColor(math.NaN()) != UtilisationColor(0) || UtilisationColor(-1) != UtilisationColor(0) {
		t.Error("NaN or negative utilisation is not idle")
	}
	if UtilisationColor(99) != UtilisationColor(ScaleMax) {
		t.Error("utilisation above the scale does not saturate")
	}
	// The scale turns warm at the limit: red dominates blue above it, not below.
	below, above := UtilisationColor(0.9), UtilisationColor(1.15)
	if below.G < below.R/2 || above.R <= above.B || above.R < 200 {
		t.Errorf("below limit %v, above %v", below, above)
	}
}

func bench500(b *testing.B) *HeatmapData {
	d := &HeatmapData{Columns: 300}
	for r := range 500 {
		row := HeatmapRow{Label: strconv.Itoa(r), Util: make([]float32, 300), Throttled: make([]bool, 300)}
		for c := range 300 {
			row.Util[c] = float32((r*7+c*3)%150) / 100
			row.Throttled[c] = row.Util[c] > 1
		}
		d.Rows = append(d.Rows, row)
	}
	return d
}

// BenchmarkHeatmapFrame500x300 draws one frame of 500 shards × 300 seconds at a full-HD dashboard's size.
func BenchmarkHeatmapFrame500x300(b *testing.B) {
	d := bench500(b)
	img := image.NewRGBA(image.Rect(0, 0, 1600, 700))
	b.ReportAllocs()
	for b.Loop() {
		DrawHeatmap(img, d)
	}
}

// BenchmarkKeyMapFrame500 draws one frame of the key-space map with 500 open and 499 closed shards, mid-fade.
func BenchmarkKeyMapFrame500(b *testing.B) {
	var segs, prev []KeySegment
	for i := range 500 {
		segs = append(segs, KeySegment{ID: strconv.Itoa(i), Start: float64(i) / 500, End: float64(i+1) / 500,
			Util: float64(i%150) / 100, Open: true})
		if i < 499 {
			prev = append(prev, KeySegment{ID: "c" + strconv.Itoa(i), Start: float64(i) / 499, End: float64(i+1) / 499, Open: true})
			segs = append(segs, KeySegment{ID: "c" + strconv.Itoa(i), Start: float64(i) / 499, End: float64(i+1) / 499})
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 1600, 120))
	b.ReportAllocs()
	for b.Loop() {
		DrawKeyMap(img, KeyMapFrame{Segments: segs, Previous: prev, Fade: 0.5, Selected: "250", Marker: 0.3,
			ShowClosed: true, OpenHeight: 80})
	}
}

// BenchmarkHeatmapWidget500x300 is one dashboard frame of the heatmap widget, 500 shards × 300 seconds at 1600×700
// pixels: new data, the renderer's refresh (shard and time labels placed), and its raster drawn at pixel size — all
// the widget does on the CPU per frame; the GL driver then uploads the one image as a texture.
func BenchmarkHeatmapWidget500x300(b *testing.B) {
	test.NewTempApp(b)
	h := NewHeatmap()
	d := bench500(b)
	w := test.NewTempWindow(b, h)
	w.Resize(fyne.NewSize(1600, 720))
	r := test.WidgetRenderer(h).(*heatmapRenderer)
	b.ReportAllocs()
	for b.Loop() {
		h.SetData(d)
		r.raster.Generator(1600, 700)
	}
}

// BenchmarkKeyMapWidget500 is one frame of the key-space map widget with 500 open shards at 1600×74 pixels, one
// shard's colour changing each frame as live data brings.
func BenchmarkKeyMapWidget500(b *testing.B) {
	test.NewTempApp(b)
	var segs []KeySegment
	for i := range 500 {
		segs = append(segs, KeySegment{ID: strconv.Itoa(i), Label: strconv.Itoa(i), Start: float64(i) / 500,
			End: float64(i+1) / 500, Util: float64(i%150) / 100, Open: true})
	}
	k := NewKeyMap()
	k.SetSegments(segs)
	w := test.NewTempWindow(b, k)
	w.Resize(fyne.NewSize(1600, 74))
	r := test.WidgetRenderer(k).(*keyMapRenderer)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		segs[i%500].Util = float64(i%125) / 100
		k.SetSegments(segs)
		r.raster.Generator(1600, 56)
	}
}

// BenchmarkHeatmapCapture500x300 paints the whole window holding the heatmap with Fyne's software painter, the test
// driver's stand-in for the GPU: text rasterised and the image scaled on the CPU. For reference; the real driver does
// that part in GL.
func BenchmarkHeatmapCapture500x300(b *testing.B) {
	test.NewTempApp(b)
	h := NewHeatmap()
	h.SetData(bench500(b))
	w := test.NewTempWindow(b, h)
	w.Resize(fyne.NewSize(1200, 560))
	b.ReportAllocs()
	for b.Loop() {
		h.Refresh()
		w.Canvas().Capture()
	}
}

// The progress bar is empty at 0 and its fill follows the value; the track is not the fill's colour.
func TestProgressLooksEmptyAtZero(t *testing.T) {
	test.NewTempApp(t)
	p := NewProgress()
	w := test.NewTempWindow(t, p)
	w.Resize(fyne.NewSize(400, 40))
	r := test.WidgetRenderer(p).(*progressRenderer)
	if r.fill.Size().Width != 0 || r.label.Text != "0 %" || r.fill.FillColor == r.track.FillColor {
		t.Errorf("at 0: fill %v wide, label %q, fill colour %v on track %v", r.fill.Size().Width, r.label.Text,
			r.fill.FillColor, r.track.FillColor)
	}
	p.SetValue(0.25)
	if got := r.fill.Size().Width; got < p.Size().Width/4-1 || got > p.Size().Width/4+1 || r.label.Text != "25 %" {
		t.Errorf("at 0.25: fill %v of %v, label %q", got, p.Size().Width, r.label.Text)
	}
}

// With more shards than fit at a readable height, rows keep their minimum height, every row in view is labelled,
// and the wheel scrolls through them; hover and tap name the row under the pointer, not a row by proportion.
func TestHeatmapScrollsRowsItCannotLabel(t *testing.T) {
	test.NewTempApp(t)
	h := NewHeatmap()
	d := &HeatmapData{Columns: 60}
	for r := range 64 {
		d.Rows = append(d.Rows, HeatmapRow{Label: strconv.Itoa(r), Util: make([]float32, 60)})
	}
	h.SetData(d)
	w := test.NewTempWindow(t, h)
	w.Resize(fyne.NewSize(420, 220))
	first, n := h.VisibleRows()
	if first != 0 || n >= 64 || h.plot.Height/float32(n) < minRowHeight() {
		t.Fatalf("rows %d–%d in a %v-high plot", first, first+n, h.plot.Height)
	}
	labels := func() []string {
		var out []string
		for _, o := range test.WidgetRenderer(h).(*heatmapRenderer).rowLabels {
			if o.Visible() && !strings.HasPrefix(o.Text, "−") && o.Text != "now" {
				out = append(out, o.Text)
			}
		}
		return out
	}
	if got := labels(); len(got) != n || got[0] != "0" {
		t.Errorf("labels %v, want one per row in view", got)
	}
	h.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, -3*minRowHeight())})
	if first, _ = h.VisibleRows(); first != 3 {
		t.Fatalf("after scrolling three rows down the first row is %d", first)
	}
	if got := labels(); got[0] != "3" {
		t.Errorf("labels after scrolling start at %s", got[0])
	}
	var row int
	h.OnHover = func(r, _ int, ok bool) { row = r }
	test.MoveMouse(w.Canvas(), fyne.NewPos(heatmapLabelWidth+5, h.plot.Height/float32(n)*1.5))
	if row != 4 {
		t.Errorf("hover over the second row in view gave row %d, want 4", row)
	}
	for range 100 {
		h.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, -minRowHeight())})
	}
	if first, n = h.VisibleRows(); first+n != 64 {
		t.Errorf("scrolled to the end: rows %d–%d of 64", first, first+n)
	}
}
