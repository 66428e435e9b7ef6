package dashboard

import (
	"strconv"

	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/views/ui"
)

var shardColumns = []ui.Column{{Title: "Shard", Width: 110}, {Title: "Hash key range", Width: 260}, {Title: "Records/s", Width: 100}, {Title: "KiB/s", Width: 100}, {Title: "% of write limit", Width: 130},
	{Title: "Write throttles (1 min)", Width: 175}, {Title: "Read throttles (1 min)", Width: 170}, {Title: "Injected (1 min)", Width: 125}, {Title: "Iterator age", Width: 105}, {Title: "Top partition keys", Width: 360}}

// newShardTable lists every shard of the model, open ones first; a row tapped selects that shard.
func (d *Dashboard) newShardTable() *widget.Table {
	rows := func() []shardRow {
		if d.model == nil {
			return nil
		}
		return d.model.Rows
	}
	t := ui.NewColumnTable(shardColumns, func() int { return len(rows()) },
		func(row, col int) string { return shardCell(&rows()[row], col) })
	t.OnSelected = func(id widget.TableCellID) {
		if rs := rows(); id.Row < len(rs) {
			d.selectShard(rs[id.Row].ID)
		}
	}
	return t
}

func shardCell(r *shardRow, col int) string {
	switch col {
	case 0:
		if !r.Open {
			return r.Number + " (closed)"
		}
		return r.Number
	case 1:
		return r.Range
	case 2:
		return ui.Thousands(int64(r.Records + 0.5))
	case 3:
		return strconv.FormatFloat(r.KiB, 'f', 1, 64)
	case 4:
		return ui.Percent(r.Util)
	case 5:
		return ui.Thousands(int64(r.WriteThrottles))
	case 6:
		return ui.Thousands(int64(r.ReadThrottles))
	case 7:
		return ui.Thousands(int64(r.Injected))
	case 8:
		return ui.Thousands(r.IterAge) + " ms"
	case 9:
		return topKeysText(r.TopKeys, 3)
	}
	return ""
}
