package ui

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/theme"
	"github.com/shardlab/shardlab/internal/numfmt"
)

// Thousands formats n with thousands separators, as every number on screen is.
func Thousands(n int64) string { return numfmt.Thousands(n) }

// Rate formats a per-second figure with its unit: "12,400 rec/s", "512.0 KiB/s".
func Rate(v float64, unit string) string {
	if unit == "KiB/s" {
		if v >= 10*1024 {
			return fmt.Sprintf("%.1f MiB/s", v/1024)
		}
		return fmt.Sprintf("%.1f KiB/s", v)
	}
	return Thousands(int64(v+0.5)) + " " + unit
}

// Percent formats a share 0…1 (or above) as a whole percentage.
func Percent(f float64) string { return strconv.Itoa(int(f*100+0.5)) + " %" }

// ShortID keeps a shard id's number: "shardId-000000000012" reads as "12".
func ShortID(id string) string {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return id
	}
	n := strings.TrimLeft(id[i+1:], "0")
	if n == "" {
		return "0"
	}
	return n
}

// AbbrevHex shortens a 32-digit hash key to its first and last digits, enough to tell ranges apart on screen.
func AbbrevHex(h string) string {
	if len(h) <= 12 {
		return "0x" + h
	}
	return "0x" + h[:6] + "…" + h[len(h)-4:]
}

// Plural writes a count with its noun: "1 open shard", "4 open shards".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return Thousands(int64(n)) + " " + noun + "s"
}

// ByteRate formats bytes per second in the largest unit that keeps it readable: "1 MiB/s", "512 KiB/s".
func ByteRate(bps float64) string {
	switch {
	case bps >= 1<<20:
		return strconv.FormatFloat(bps/(1<<20), 'f', -1, 64) + " MiB/s"
	case bps >= 1<<10:
		return strconv.FormatFloat(bps/(1<<10), 'f', -1, 64) + " KiB/s"
	}
	return strconv.FormatFloat(bps, 'f', -1, 64) + " B/s"
}

// Scaled is a width in pixels at Fyne's 14 px text, made as much wider as the theme's text is now (Settings' text
// size, presentation mode): fixed-width fields keep room for what they hold.
func Scaled(px float32) float32 { return px * theme.Size(theme.SizeNameText) / 14 }

// ReadsThrottledNote says that an application of the app's own was refused reads, and why that happens: a shard
// serves 5 GetRecords calls a second to all its readers together.
func ReadsThrottledNote(n uint64) string {
	return fmt.Sprintf("Source reads throttled: %s (a shard serves 5 GetRecords calls a second to all its readers "+
		"together; more readers than that, or one reading faster, get refused and retry)", Thousands(int64(n)))
}
