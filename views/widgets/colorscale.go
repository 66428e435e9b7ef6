// Package widgets holds Shardlab's custom Fyne widgets: the shard heatmap, the hash-key-space map and their shared
// utilisation colour scale. Each draws its dense part into one reused image and keeps labels as a few text objects.
package widgets

import (
	"image/color"
	"math"
)

// Utilisation is a share of a shard's limit: 0 idle, 1 at the limit, above 1 over it (throttling).
//
// One colour scale serves every view: viridis from idle to the limit (perceptually even, and readable to
// colour-blind viewers and on washed-out projectors), then orange to red for traffic over the limit, so the limit is
// the one point where the hue turns warm. ScaleMax is where the scale saturates: close above the limit, because a
// shard asked for even 10 % more than it may take is throttling, and the room should see it at once.
const ScaleMax = 1.25

var scaleStops = []struct {
	at float64
	c  color.NRGBA
}{
	{0, color.NRGBA{0x44, 0x01, 0x54, 0xff}},
	{0.25, color.NRGBA{0x3b, 0x52, 0x8b, 0xff}},
	{0.5, color.NRGBA{0x21, 0x91, 0x8c, 0xff}},
	{0.75, color.NRGBA{0x5e, 0xc9, 0x62, 0xff}},
	{1, color.NRGBA{0xfd, 0xe7, 0x25, 0xff}},
	{1.1, color.NRGBA{0xf9, 0x8e, 0x09, 0xff}},
	{ScaleMax, color.NRGBA{0xd6, 0x1f, 0x1f, 0xff}},
}

// scaleTable holds the scale sampled finely, so drawing a cell is a table lookup, not an interpolation.
var scaleTable = func() [1024]color.NRGBA {
	var t [1024]color.NRGBA
	for i := range t {
		t[i] = interpolate(float64(i) / float64(len(t)-1) * ScaleMax)
	}
	return t
}()

func interpolate(u float64) color.NRGBA {
	for i := 1; i < len(scaleStops); i++ {
		a, b := scaleStops[i-1], scaleStops[i]
		if u <= b.at {
			f := (u - a.at) / (b.at - a.at)
			lerp := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*f)) }
			return color.NRGBA{lerp(a.c.R, b.c.R), lerp(a.c.G, b.c.G), lerp(a.c.B, b.c.B), 0xff}
		}
	}
	return scaleStops[len(scaleStops)-1].c
}

// UtilisationColor returns the scale's colour for u (clamped to 0…ScaleMax; NaN counts as idle).
func UtilisationColor(u float64) color.NRGBA {
	if !(u > 0) {
		return scaleTable[0]
	}
	i := int(u / ScaleMax * float64(len(scaleTable)-1))
	if i >= len(scaleTable) {
		i = len(scaleTable) - 1
	}
	return scaleTable[i]
}

// markColor is the throttle mark and the selection outline: black or white, whichever stands out against c.
func markColor(c color.NRGBA) color.NRGBA {
	if 0.299*float64(c.R)+0.587*float64(c.G)+0.114*float64(c.B) > 140 {
		return color.NRGBA{0, 0, 0, 0xff}
	}
	return color.NRGBA{0xff, 0xff, 0xff, 0xff}
}
