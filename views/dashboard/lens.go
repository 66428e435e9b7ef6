package dashboard

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/views/ui"
)

// lens answers "where does this partition key go?": its MD5 hash key and the shard whose range holds it,
// highlighted on the key-space map.
type lens struct {
	d      *Dashboard
	entry  *widget.Entry
	result *widget.Label
}

func newLens(d *Dashboard) *lens {
	l := &lens{d: d, entry: widget.NewEntry(), result: widget.NewLabel("")}
	l.result.Truncation = fyne.TextTruncateEllipsis
	l.entry.SetPlaceHolder("partition key, e.g. user-0001")
	l.entry.OnChanged = func(string) { l.update() }
	return l
}

func (l *lens) content() fyne.CanvasObject {
	entry := container.NewGridWrap(fyne.NewSize(ui.Scaled(230), l.entry.MinSize().Height), l.entry)
	return container.NewBorder(nil, nil, container.NewHBox(widget.NewLabel("Key lens"), entry), nil, l.result)
}

// update recomputes the answer; it runs on every frame too, because a reshard moves the key to another shard.
func (l *lens) update() {
	key := l.entry.Text
	if key == "" {
		ui.SetText(l.result, "")
		l.d.keyMap.SetMarker(-1)
		return
	}
	if len([]rune(key)) > 256 {
		ui.SetText(l.result, "too long: a partition key is 1–256 characters")
		l.d.keyMap.SetMarker(-1)
		return
	}
	h := hashkey.FromPartitionKey(key)
	l.d.keyMap.SetMarker(h.Fraction())
	shard := "no open shard"
	if m := l.d.model; m != nil {
		for _, r := range m.Rows {
			if r.Open && r.KeyRange.Contains(h) {
				shard = "shard " + r.Number + " (" + r.ID + ")"
				if r.Hottest != nil && r.Hottest.Key == key {
					shard += ", its hottest key"
				}
			}
		}
	}
	ui.SetText(l.result, "MD5 hash key "+ui.AbbrevHex(h.Hex())+" is in "+shard)
}
