package views

import (
	"strconv"

	"fyne.io/fyne/v2/widget"
)

var shardColumns = []column{{"Shard", 70}, {"Hash key range", 260}, {"Records/s", 100}, {"KiB/s", 100}, {"% of write limit", 130},
	{"Throttles (1 min)", 130}, {"Injected (1 min)", 125}, {"Iterator age", 105}, {"Top partition keys", 360}}

// newShardTable lists every shard of the model, open ones first; a row tapped selects that shard.
func (d *Dashboard) newShardTable() *widget.Table {
	rows := func() []shardRow {
		if d.model == nil {
			return nil
		}
		return d.model.Rows
	}
	t := newColumnTable(shardColumns, func() int { return len(rows()) },
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
		return thousands(int64(r.Records + 0.5))
	case 3:
		return strconv.FormatFloat(r.KiB, 'f', 1, 64)
	case 4:
		return percent(r.Util)
	case 5:
		return thousands(int64(r.Throttles))
	case 6:
		return thousands(int64(r.Injected))
	case 7:
		return thousands(r.IterAge) + " ms"
	case 8:
		return topKeysText(r.TopKeys, 3)
	}
	return ""
}
