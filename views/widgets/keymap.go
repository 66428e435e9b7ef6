package widgets

import (
	"image"
	"image/color"
	"math"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// KeySegment is one shard's place on the hash-key-space map.
type KeySegment struct {
	ID         string
	Label      string  // short, drawn inside the segment when it fits (the shard's number)
	Start, End float64 // the shard's range as fractions of the key space, End exclusive
	Util       float64 // utilisation, as on the colour scale
	Open       bool
	Throttled  bool
}

// KeyMap draws the 128-bit hash-key space as a band, one segment per open shard sized by its range and coloured by
// utilisation; closed shards (when shown) sit in a thinner strip below. A layout change (split, merge, scale)
// cross-fades from the old band to the new one, so the room sees which shards were replaced.
type KeyMap struct {
	widget.BaseWidget

	// OnHover is called with the segment under the pointer, or nil when it leaves the band.
	OnHover func(seg *KeySegment)
	// OnTapped is called with the segment tapped.
	OnTapped func(seg KeySegment)
	pointer  fyne.Position // absolute, where the pointer last moved over the map

	segs       []KeySegment // open first, in key order; then closed
	prev       []KeySegment // the layout being faded out, nil when no animation runs
	fade       float32      // 0 = prev only … 1 = segs only
	anim       *fyne.Animation
	selected   string
	marker     float64 // a highlighted key's position, or -1
	showClosed bool
	img        *image.RGBA
	band       fyne.Size
}

// NewKeyMap returns an empty map.
func NewKeyMap() *KeyMap {
	k := &KeyMap{marker: -1}
	k.ExtendBaseWidget(k)
	return k
}

// layoutAnimation is how long the cross-fade to a new shard layout takes.
const layoutAnimation = 800 * time.Millisecond

// SetSegments replaces the shards shown. When the set of open shards changed, the map fades to the new layout.
func (k *KeyMap) SetSegments(segs []KeySegment) {
	sorted := make([]KeySegment, len(segs))
	copy(sorted, segs)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Open != sorted[j].Open {
			return sorted[i].Open
		}
		return sorted[i].Start < sorted[j].Start
	})
	if k.segs != nil && !sameOpenLayout(k.segs, sorted) {
		k.prev = k.segs
		k.fade = 0
		if k.anim != nil {
			k.anim.Stop()
		}
		k.anim = fyne.NewAnimation(layoutAnimation, func(f float32) {
			k.fade = f
			if f >= 1 {
				k.prev = nil
			}
			k.Refresh()
		})
		k.anim.Start()
	}
	k.segs = sorted
	k.Refresh()
}

// Segments returns the shards shown, open ones first in key order.
func (k *KeyMap) Segments() []KeySegment { return k.segs }

func sameOpenLayout(a, b []KeySegment) bool {
	ids := map[string]bool{}
	for _, s := range a {
		if s.Open {
			ids[s.ID] = true
		}
	}
	n := 0
	for _, s := range b {
		if s.Open {
			if !ids[s.ID] {
				return false
			}
			n++
		}
	}
	return n == len(ids)
}

// Select outlines the shard with id (empty: none).
func (k *KeyMap) Select(id string) {
	if id == k.selected {
		return
	}
	k.selected = id
	k.Refresh()
}

// Selected returns the outlined shard's id.
func (k *KeyMap) Selected() string { return k.selected }

// SetMarker highlights a hash key's position, as a fraction of the key space; a negative value removes it.
func (k *KeyMap) SetMarker(at float64) {
	if at == k.marker || at < 0 && k.marker < 0 {
		return
	}
	k.marker = at
	k.Refresh()
}

// ShowClosed switches the strip of closed shards on or off.
func (k *KeyMap) ShowClosed(on bool) {
	k.showClosed = on
	k.Refresh()
}

const (
	keyMapAxisHeight = 18
	keyMapBandHeight = 56
	keyMapClosedGap  = 6
)

func (k *KeyMap) segmentAt(p fyne.Position) *KeySegment {
	if k.band.Width <= 0 || p.Y < keyMapAxisHeight || p.Y > keyMapAxisHeight+k.band.Height || p.X < 0 || p.X > k.band.Width {
		return nil
	}
	f := float64(p.X / k.band.Width)
	inClosed := k.showClosed && p.Y > keyMapAxisHeight+keyMapBandHeight
	for i := len(k.segs) - 1; i >= 0; i-- {
		s := &k.segs[i]
		if s.Open != inClosed && f >= s.Start && f < s.End {
			return s
		}
	}
	// The band's last pixel is f = 1, past every End: it belongs to the shard that ends the key space.
	if !inClosed && f >= 1 {
		for i := range k.segs {
			if k.segs[i].Open && k.segs[i].End >= 1 {
				return &k.segs[i]
			}
		}
	}
	return nil
}

// Pointer is where the pointer last moved over the map, as an absolute position.
func (k *KeyMap) Pointer() fyne.Position { return k.pointer }

// MouseIn implements desktop.Hoverable.
func (k *KeyMap) MouseIn(e *desktop.MouseEvent) { k.MouseMoved(e) }

// MouseMoved implements desktop.Hoverable.
func (k *KeyMap) MouseMoved(e *desktop.MouseEvent) {
	k.pointer = e.AbsolutePosition
	if k.OnHover != nil {
		k.OnHover(k.segmentAt(e.Position))
	}
}

// MouseOut implements desktop.Hoverable.
func (k *KeyMap) MouseOut() {
	if k.OnHover != nil {
		k.OnHover(nil)
	}
}

// Tapped implements fyne.Tappable: it selects the shard and reports it.
func (k *KeyMap) Tapped(e *fyne.PointEvent) {
	if s := k.segmentAt(e.Position); s != nil {
		k.Select(s.ID)
		if k.OnTapped != nil {
			k.OnTapped(*s)
		}
	}
}

// CreateRenderer implements fyne.Widget.
func (k *KeyMap) CreateRenderer() fyne.WidgetRenderer {
	r := &keyMapRenderer{k: k}
	r.raster = canvas.NewRaster(k.draw)
	r.raster.ScaleMode = canvas.ImageScalePixels
	for _, text := range []string{"0", "2¹²⁶", "2¹²⁷", "3·2¹²⁶", "2¹²⁸−1"} {
		t := canvas.NewText(text, theme.Color(theme.ColorNameForeground))
		t.TextSize = SmallText()
		r.axis = append(r.axis, t)
	}
	r.Refresh()
	return r
}

func (k *KeyMap) draw(w, h int) image.Image {
	if k.img == nil || k.img.Rect.Dx() != w || k.img.Rect.Dy() != h {
		k.img = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	scale := float64(h) / float64(max(1, k.band.Height))
	if k.band.Height <= 0 {
		scale = 1
	}
	DrawKeyMap(k.img, KeyMapFrame{Segments: k.segs, Previous: k.prev, Fade: float64(k.fade), Selected: k.selected,
		Marker: k.marker, ShowClosed: k.showClosed, OpenHeight: int(keyMapBandHeight * scale)})
	return k.img
}

// KeyMapFrame is everything one frame of the map depends on.
type KeyMapFrame struct {
	Segments, Previous []KeySegment
	Fade               float64
	Selected           string
	Marker             float64
	ShowClosed         bool
	OpenHeight         int // pixels of the open band; the closed strip takes what is left below a gap
}

// DrawKeyMap paints a frame over the whole of img (exported for the rendering benchmark).
func DrawKeyMap(img *image.RGBA, f KeyMapFrame) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	clear(img.Pix)
	if w == 0 || h == 0 {
		return
	}
	openH := min(h, f.OpenHeight)
	if !f.ShowClosed || openH <= 0 {
		openH = h
	}
	line := make([]byte, w*4)
	paintBand(line, f.Segments, true, w)
	if f.Previous != nil && f.Fade < 1 {
		old := make([]byte, w*4)
		paintBand(old, f.Previous, true, w)
		for i := range line {
			line[i] = uint8(float64(old[i])*(1-f.Fade) + float64(line[i])*f.Fade)
		}
	}
	for y := range openH {
		copy(img.Pix[y*img.Stride:], line)
	}
	if f.ShowClosed && h-openH > keyMapClosedGap {
		paintBand(line, f.Segments, false, w)
		for y := openH + keyMapClosedGap; y < h; y++ {
			copy(img.Pix[y*img.Stride:], line)
		}
	}
	for _, s := range f.Segments {
		if s.ID == f.Selected && s.Open {
			outline(img, int(s.Start*float64(w)), 0, int(math.Ceil(s.End*float64(w))), openH, 3)
		}
	}
	if f.Marker >= 0 && f.Marker <= 1 {
		x := min(w-1, int(f.Marker*float64(w)))
		for y := range openH {
			for dx := -1; dx <= 1; dx++ {
				if xx := x + dx; xx >= 0 && xx < w {
					c := color.NRGBA{0xff, 0xff, 0xff, 0xff}
					if dx == 0 {
						c = color.NRGBA{0, 0, 0, 0xff}
					}
					setPixel(img, xx, y, c)
				}
			}
		}
	}
}

// paintBand fills one pixel line with the open (or closed) segments' colours and a dark line at every boundary.
func paintBand(line []byte, segs []KeySegment, open bool, w int) {
	clear(line)
	for _, s := range segs {
		if s.Open != open {
			continue
		}
		c := UtilisationColor(s.Util)
		if !open {
			c = desaturate(c)
		}
		x0, x1 := int(s.Start*float64(w)), int(math.Ceil(s.End*float64(w)))
		for x := max(0, x0); x < min(w, x1); x++ {
			o := x * 4
			line[o], line[o+1], line[o+2], line[o+3] = c.R, c.G, c.B, 0xff
		}
		if x0 > 0 && x0 < w {
			o := x0 * 4
			line[o], line[o+1], line[o+2], line[o+3] = 0x10, 0x10, 0x10, 0xff
		}
	}
}

func desaturate(c color.NRGBA) color.NRGBA {
	g := uint8((uint16(c.R) + uint16(c.G) + uint16(c.B)) / 3)
	mix := func(v uint8) uint8 { return uint8((uint16(v) + 2*uint16(g)) / 3) }
	return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}

func setPixel(img *image.RGBA, x, y int, c color.NRGBA) {
	o := y*img.Stride + x*4
	img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = c.R, c.G, c.B, c.A
}

// outline draws a border of thickness t inside the rectangle, in the colour that stands out against what it covers.
func outline(img *image.RGBA, x0, y0, x1, y1, t int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if x < x0+t || x >= x1-t || y < y0+t || y >= y1-t {
				o := y*img.Stride + x*4
				c := markColor(color.NRGBA{img.Pix[o], img.Pix[o+1], img.Pix[o+2], 0xff})
				setPixel(img, x, y, c)
			}
		}
	}
}

type keyMapRenderer struct {
	k      *KeyMap
	raster *canvas.Raster
	axis   []*canvas.Text
	labels []*canvas.Text
}

func (r *keyMapRenderer) Layout(size fyne.Size) {
	r.k.band = fyne.NewSize(size.Width, size.Height-keyMapAxisHeight)
	r.raster.Move(fyne.NewPos(0, keyMapAxisHeight))
	r.raster.Resize(r.k.band)
	r.place()
}

func (r *keyMapRenderer) MinSize() fyne.Size {
	h := float32(keyMapAxisHeight + keyMapBandHeight)
	if r.k.showClosed {
		h += keyMapClosedGap + 20
	}
	return fyne.NewSize(200, h)
}

func (r *keyMapRenderer) Refresh() {
	r.place()
	r.raster.Refresh()
}

// place positions the axis ticks and the shard numbers that fit inside their segments.
func (r *keyMapRenderer) place() {
	fg := theme.Color(theme.ColorNameForeground)
	w := r.k.band.Width
	for i, t := range r.axis {
		t.Color = fg
		s := t.MinSize()
		x := w * float32(i) / float32(len(r.axis)-1)
		x = min(max(0, x-s.Width/2), w-s.Width)
		t.Move(fyne.NewPos(x, 0))
		t.Resize(s)
		t.Refresh()
	}
	bandH := r.k.band.Height
	if r.k.showClosed {
		bandH = keyMapBandHeight
	}
	used := 0
	if r.k.prev == nil {
		for _, s := range r.k.segs {
			if !s.Open || s.Label == "" {
				continue
			}
			x0, x1 := float32(s.Start)*w, float32(s.End)*w
			if used == len(r.labels) {
				t := canvas.NewText("", fg)
				t.TextSize = SmallText() * 12 / 11
				t.TextStyle.Bold = true
				r.labels = append(r.labels, t)
			}
			t := r.labels[used]
			t.Text = s.Label
			size := t.MinSize()
			if x1-x0 < size.Width+6 {
				continue
			}
			used++
			mc := markColor(UtilisationColor(s.Util))
			t.Color = mc
			t.Hidden = false
			t.Move(fyne.NewPos((x0+x1)/2-size.Width/2, keyMapAxisHeight+bandH/2-size.Height/2))
			t.Resize(size)
			t.Refresh()
		}
	}
	for _, t := range r.labels[used:] {
		t.Hidden = true
	}
}

func (r *keyMapRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.raster}
	for _, t := range r.axis {
		objs = append(objs, t)
	}
	for _, t := range r.labels {
		objs = append(objs, t)
	}
	return objs
}

func (r *keyMapRenderer) Destroy() {
	if r.k.anim != nil {
		r.k.anim.Stop()
	}
}
