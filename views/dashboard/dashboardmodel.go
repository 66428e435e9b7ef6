package dashboard

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// heatmapSeconds is the heatmap's window: the last five minutes.
const heatmapSeconds = 300

// smoothSeconds is how many complete seconds the map's colours and the table's rates average over, so a colour does
// not flicker with each second's jitter.
const smoothSeconds = 3

// shardRow is one line of the shard table.
type shardRow struct {
	ID      string
	Number  string
	Open    bool
	Range   string  // abbreviated hex
	Records float64 // records/s in
	KiB     float64 // KiB/s in
	Util    float64 // share of the write limit (the larger of bytes and records)
	// WriteThrottles and ReadThrottles are the last minute's refusals: records (and calls) over the write limit,
	// and GetRecords calls over the read limit. They are apart because a busy reader never slows a producer.
	WriteThrottles int
	ReadThrottles  int
	Injected       int   // faults injected in the last minute
	IterAge        int64 // iterator age, ms (the largest of the last few seconds)
	TopKeys        []engine.KeyShare
	Start          float64 // key-space fraction, for sorting and the map
	Hottest        *engine.KeyShare
	KeyRange       hashkey.Range
}

// dashModel is everything one dashboard frame shows, computed off the UI goroutine from one metrics snapshot.
type dashModel struct {
	Summary        *engine.StreamSummary
	Heatmap        *widgets.HeatmapData
	Segments       []widgets.KeySegment
	Rows           []shardRow // open shards first, in key order; then closed ones
	InRecords      float64    // whole stream, records/s
	InBytes        float64
	WriteThrottled int // records and calls refused over the write limit in the last complete second
	ReadThrottled  int // GetRecords calls refused over the read limit in the last complete second
	Injected       int // faults injected in the last complete second
	Faults         map[string]engine.FaultSpec
	Err            error
}

// utilisation is a second's write demand as a share of the limit: the larger of bytes/s and records/s against
// theirs. Records refused by throttling count too, because accepted traffic alone can never pass the limit: a shard
// asked for 1,300 records/s reads as 130 %, not as a calm 100 %. The engine counts refused records, not their
// bytes, so those are estimated at the second's average accepted record size.
func utilisation(bytes, records, throttled uint32, l engine.ThroughputLimits) float64 {
	demandBytes := float64(bytes)
	if records > 0 {
		demandBytes += float64(throttled) * float64(bytes) / float64(records)
	}
	var u float64
	if l.WriteBytesPerSec > 0 {
		u = demandBytes / l.WriteBytesPerSec
	}
	if l.WriteRecordsPerSec > 0 {
		u = max(u, float64(records+throttled)/l.WriteRecordsPerSec)
	}
	return u
}

// buildDashModel turns a snapshot and the shard list into what the widgets draw. Columns are complete seconds: the
// snapshot's last (partial) second is left out so the right edge does not flicker low.
func buildDashModel(snap *engine.MetricsSnapshot, shards []engine.ShardInfo) *dashModel {
	m := &dashModel{}
	info := make(map[string]*engine.ShardInfo, len(shards))
	for i := range shards {
		info[shards[i].ShardId] = &shards[i]
	}
	cols := max(0, snap.Seconds-1)
	end := snap.End.Add(-time.Second)
	m.Heatmap = &widgets.HeatmapData{Columns: cols, End: end}
	windowStart := end.Add(-time.Duration(cols-1) * time.Second)
	type heatRow struct {
		row     widgets.HeatmapRow
		start   float64
		created time.Time
	}
	var heat []heatRow
	for i := range snap.Shards {
		sm := &snap.Shards[i]
		si := info[sm.ShardId]
		series := sm.Series
		row := shardRow{ID: sm.ShardId, Number: ui.ShortID(sm.ShardId), Open: sm.Open, TopKeys: sm.TopKeys, KeyRange: sm.Range,
			Start: sm.Range.Start.Fraction(), Range: ui.AbbrevHex(sm.Range.Start.Hex()) + " – " + ui.AbbrevHex(sm.Range.End.Hex())}
		if len(sm.TopKeys) > 0 {
			row.Hottest = &sm.TopKeys[0]
		}
		n := min(smoothSeconds, cols)
		var segThrottled bool
		for c := cols - n; c < cols; c++ {
			row.Records += float64(series[engine.IncomingRecords][c]) / float64(n)
			row.KiB += float64(series[engine.IncomingBytes][c]) / 1024 / float64(n)
			row.Util += utilisation(series[engine.IncomingBytes][c], series[engine.IncomingRecords][c], series[engine.WriteProvisionedThroughputExceeded][c], snap.Limits) / float64(n)
			row.IterAge = max(row.IterAge, int64(series[engine.IteratorAgeMilliseconds][c]))
			if series[engine.WriteProvisionedThroughputExceeded][c] > 0 {
				segThrottled = true
			}
		}
		for c := max(0, cols-60); c < cols; c++ {
			row.WriteThrottles += int(series[engine.WriteProvisionedThroughputExceeded][c])
			row.ReadThrottles += int(series[engine.ReadProvisionedThroughputExceeded][c])
			row.Injected += int(series[engine.InjectedFaults][c])
		}
		if cols > 0 {
			last := cols - 1
			m.InRecords += float64(series[engine.IncomingRecords][last])
			m.InBytes += float64(series[engine.IncomingBytes][last])
			m.WriteThrottled += int(series[engine.WriteProvisionedThroughputExceeded][last])
			m.ReadThrottled += int(series[engine.ReadProvisionedThroughputExceeded][last])
			m.Injected += int(series[engine.InjectedFaults][last])
		}
		m.Rows = append(m.Rows, row)

		// A closed shard stays on the heatmap while its last traffic is inside the window.
		var created, closed time.Time
		if si != nil {
			created, closed = si.Created, si.Closed
		}
		if !sm.Open && !closed.IsZero() && closed.Before(windowStart) {
			continue
		}
		hr := widgets.HeatmapRow{Label: row.Number, Util: make([]float32, cols), Throttled: make([]bool, cols),
			ReadThrottled: make([]bool, cols)}
		for c := range cols {
			at := windowStart.Add(time.Duration(c) * time.Second)
			if at.Before(snap.Started) || (!created.IsZero() && at.Add(time.Second).Before(created)) || (!closed.IsZero() && at.After(closed)) {
				hr.Util[c] = float32(math.NaN())
				continue
			}
			hr.Util[c] = float32(utilisation(series[engine.IncomingBytes][c], series[engine.IncomingRecords][c], series[engine.WriteProvisionedThroughputExceeded][c], snap.Limits))
			hr.Throttled[c] = series[engine.WriteProvisionedThroughputExceeded][c] > 0
			hr.ReadThrottled[c] = series[engine.ReadProvisionedThroughputExceeded][c] > 0
		}
		heat = append(heat, heatRow{row: hr, start: row.Start, created: created})

		end := 1.0
		if sm.Range.End.Cmp(hashkey.Max) < 0 {
			end = sm.Range.End.Add1().Fraction()
		}
		m.Segments = append(m.Segments, widgets.KeySegment{ID: sm.ShardId, Label: row.Number, Start: row.Start, End: end,
			Util: row.Util, Open: sm.Open, Throttled: segThrottled})
	}
	// Rows in key order, a parent above its children: a split reads as one line ending and two starting below it.
	sort.SliceStable(heat, func(i, j int) bool {
		if heat[i].start != heat[j].start {
			return heat[i].start < heat[j].start
		}
		return heat[i].created.Before(heat[j].created)
	})
	for _, h := range heat {
		m.Heatmap.Rows = append(m.Heatmap.Rows, h.row)
	}
	sort.SliceStable(m.Rows, func(i, j int) bool {
		if m.Rows[i].Open != m.Rows[j].Open {
			return m.Rows[i].Open
		}
		return m.Rows[i].Start < m.Rows[j].Start
	})
	return m
}

// topKeysText lists a shard's heavy keys with their shares: "user-0001 62 %, user-0042 4 %".
func topKeysText(keys []engine.KeyShare, n int) string {
	var parts []string
	for i, k := range keys {
		if i == n || k.Share < 0.01 {
			break
		}
		parts = append(parts, k.Key+" "+ui.Percent(k.Share))
	}
	return strings.Join(parts, ", ")
}

// sameHeatmap reports whether two frames would draw the same, so an idle dashboard skips the redraw.
func sameHeatmap(a, b *widgets.HeatmapData) bool {
	if a == nil || b == nil || a.Columns != b.Columns || len(a.Rows) != len(b.Rows) {
		return false
	}
	for i := range a.Rows {
		ra, rb := &a.Rows[i], &b.Rows[i]
		if ra.Label != rb.Label || len(ra.Util) != len(rb.Util) {
			return false
		}
		for c := range ra.Util {
			ua, ub := ra.Util[c], rb.Util[c]
			if ua != ub && !(math.IsNaN(float64(ua)) && math.IsNaN(float64(ub))) || ra.Throttled[c] != rb.Throttled[c] ||
				ra.ReadThrottled[c] != rb.ReadThrottled[c] {
				return false
			}
		}
	}
	return true
}

// sameRows reports whether the shard table would show the same text.
func sameRows(a, b []shardRow) bool {
	return slices.EqualFunc(a, b, func(x, y shardRow) bool {
		for col := range shardColumns {
			if shardCell(&x, col) != shardCell(&y, col) {
				return false
			}
		}
		return true
	})
}

// quiet reports a stream with no traffic, throttling or injected faults in its last complete second.
func (m *dashModel) quiet() bool {
	return m.InRecords == 0 && m.WriteThrottled == 0 && m.ReadThrottled == 0 && m.Injected == 0
}
