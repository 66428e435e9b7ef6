package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
)

// Metric history: every shard's per-second counters are written to the database in the background, so the last
// hour survives a restart at 1-second resolution (the heatmaps and charts show it again) and 15 days survive as
// 1-minute rollups (CloudWatch's resolutions for Kinesis's metrics).
//
// A put only marks its minute's chunk dirty (one store to a line it already writes); the flusher copies dirty
// chunks under the shard's metrics lock and writes them in one transaction every HistoryFlushInterval. A crash
// loses at most that interval of metrics, never records.
const (
	HistoryFlushInterval = 5 * time.Second
	// MinuteHistory is how long 1-minute rollups are kept.
	MinuteHistory    = 15 * 24 * time.Hour
	historyPrefix    = "shard/"
	historyTrimEvery = time.Minute
)

func shardSeries(streamID uint64, shardIndex int) string {
	return historyPrefix + strconv.FormatUint(streamID, 10) + "/" + strconv.Itoa(shardIndex)
}

// encodeChunk writes a minute's per-second counters as uvarints (an idle second costs a byte a metric).
func encodeChunk(c *metricChunk) []byte {
	b := make([]byte, 0, chunkSeconds*int(NumMetrics))
	for s := range chunkSeconds {
		for k := range NumMetrics {
			b = binary.AppendUvarint(b, uint64(c.v[s][k]))
		}
	}
	return b
}

func decodeChunk(b []byte, c *metricChunk) bool {
	for s := range chunkSeconds {
		for k := range NumMetrics {
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return false
			}
			c.v[s][k], b = uint32(min(v, 1<<32-1)), b[n:]
		}
	}
	return true
}

// Rollup is one metric over one minute: the sum of its seconds, the smallest and largest second, and how many
// seconds had anything.
type Rollup struct {
	Sum      uint64
	Min, Max uint32
	Samples  uint32
}

func rollupChunk(c *metricChunk) (out [NumMetrics]Rollup) {
	for k := range NumMetrics {
		r := Rollup{Min: 1<<32 - 1}
		for s := range chunkSeconds {
			v := c.v[s][k]
			r.Sum += uint64(v)
			r.Min, r.Max = min(r.Min, v), max(r.Max, v)
			if v > 0 {
				r.Samples++
			}
		}
		out[k] = r
	}
	return out
}

func encodeRollup(r *[NumMetrics]Rollup) []byte {
	b := make([]byte, 0, int(NumMetrics)*8)
	for _, x := range r {
		b = binary.AppendUvarint(b, x.Sum)
		b = binary.AppendUvarint(b, uint64(x.Min))
		b = binary.AppendUvarint(b, uint64(x.Max))
		b = binary.AppendUvarint(b, uint64(x.Samples))
	}
	return b
}

func decodeRollup(b []byte) (out [NumMetrics]Rollup, ok bool) {
	for k := range NumMetrics {
		var vals [4]uint64
		for i := range vals {
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return out, false
			}
			vals[i], b = v, b[n:]
		}
		out[k] = Rollup{Sum: vals[0], Min: uint32(min(vals[1], 1<<32-1)), Max: uint32(min(vals[2], 1<<32-1)), Samples: uint32(min(vals[3], 1<<32-1))}
	}
	return out, true
}

// dirtyChunks copies the chunks changed since the last call and marks them clean.
func (m *shardMetrics) dirtyChunks() []metricChunk {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []metricChunk
	for _, c := range m.chunks {
		if c != nil && c.dirty {
			out = append(out, *c)
			c.dirty = false
		}
	}
	return out
}

// restore puts a stored minute back (a restart), unless the minute already holds newer counts.
func (m *shardMetrics) restore(c metricChunk) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := c.minute % int64(len(m.chunks))
	if cur := m.chunks[i]; cur != nil && cur.minute >= c.minute {
		return
	}
	c.dirty = false
	m.chunks[i] = &c
}

// historyLoop flushes dirty metric chunks every HistoryFlushInterval and trims old history once a minute.
func (e *Engine) historyLoop() {
	defer e.bg.Done()
	tick := time.NewTicker(HistoryFlushInterval)
	defer tick.Stop()
	lastTrim := e.now()
	for {
		select {
		case <-e.stopBg:
			_ = e.FlushHistory() // what the last interval counted is kept too
			return
		case <-tick.C:
		}
		_ = e.FlushHistory() // a failed flush loses nothing that matters: a minute still counting is written again
		if now := e.now(); now.Sub(lastTrim) >= historyTrimEvery {
			lastTrim = now
			_ = e.trimHistory(now)
		}
	}
}

// FlushHistory writes the metric chunks changed since the last flush (tests and tools may call it).
func (e *Engine) FlushHistory() error {
	type write struct {
		series  string
		minute  int64
		seconds []byte
		rollup  []byte
	}
	var writes []write
	for _, s := range e.allStreams() {
		s.mu.RLock()
		shards := append([]*shard(nil), s.shards...)
		s.mu.RUnlock()
		for _, sh := range shards {
			for _, c := range sh.metrics.dirtyChunks() {
				r := rollupChunk(&c)
				writes = append(writes, write{shardSeries(s.id, sh.index), c.minute, encodeChunk(&c), encodeRollup(&r)})
			}
		}
	}
	if len(writes) == 0 {
		return nil
	}
	return e.db.Update(func(tx *storage.Tx) error {
		for _, w := range writes {
			if err := tx.PutMetricMinute(w.series, w.minute, w.seconds, w.rollup); err != nil {
				return err
			}
		}
		return nil
	})
}

// trimHistory drops per-second chunks older than an hour and rollups older than MinuteHistory, and the history
// of streams that no longer exist.
func (e *Engine) trimHistory(now time.Time) error {
	known := map[uint64]bool{}
	for _, s := range e.allStreams() {
		known[s.id] = true
	}
	var series []string
	_ = e.db.View(func(tx *storage.ReadTx) error {
		series = tx.MetricSeries(historyPrefix)
		return nil
	})
	minute := now.Unix() / chunkSeconds
	return e.db.Update(func(tx *storage.Tx) error {
		for _, name := range series {
			id, _, _ := strings.Cut(strings.TrimPrefix(name, historyPrefix), "/")
			n, err := strconv.ParseUint(id, 10, 64)
			if err != nil || !known[n] {
				if err := tx.DeleteMetricSeries(name); err != nil {
					return err
				}
				continue
			}
			if err := tx.TrimMetrics(name, minute-metricsHistory/chunkSeconds, minute-int64(MinuteHistory/time.Minute)); err != nil {
				return err
			}
		}
		return nil
	})
}

// restoreHistory loads the last hour of every shard's per-second counters (at Open), and returns the first second
// it restored (zero when there was nothing).
func (e *Engine) restoreHistory() time.Time {
	from := e.now().Unix()/chunkSeconds - metricsHistory/chunkSeconds + 1
	var first int64 = -1
	_ = e.db.View(func(tx *storage.ReadTx) error {
		for _, s := range e.allStreams() {
			for _, sh := range s.shards {
				tx.MetricSeconds(shardSeries(s.id, sh.index), from, func(minute int64, b []byte) {
					c := metricChunk{minute: minute}
					if decodeChunk(b, &c) {
						sh.metrics.restore(c)
						if first < 0 || minute < first {
							first = minute
						}
					}
				})
			}
		}
		return nil
	})
	if first < 0 {
		return time.Time{}
	}
	return time.Unix(first*chunkSeconds, 0)
}

// MinuteStats is one minute of a shard metric from the stored rollups.
type MinuteStats struct {
	Minute time.Time
	Rollup
}

// ShardMinutes returns a shard's stored 1-minute rollups of metric between from and to (the minute being counted
// now is included from memory), oldest first; minutes without traffic are absent.
func (e *Engine) ShardMinutes(ctx context.Context, ref StreamRef, shardID string, metric Metric, from, to time.Time) ([]MinuteStats, error) {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	idx, ok := parseShardID(shardID)
	if !ok {
		return nil, newError(ErrInvalidArgument, "ShardId %s is not a shard id.", shardID)
	}
	if metric < 0 || metric >= NumMetrics {
		return nil, fmt.Errorf("no metric %d", metric)
	}
	// The last hour is in memory (and may be newer than what was flushed); older minutes come from the file.
	first, last := from.Unix()/chunkSeconds, (to.Unix()+chunkSeconds-1)/chunkSeconds
	memFrom := max(first, e.now().Unix()/chunkSeconds-metricsHistory/chunkSeconds+1)
	var out []MinuteStats
	if first < memFrom {
		err = e.db.View(func(tx *storage.ReadTx) error {
			tx.MetricMinutes(shardSeries(s.id, idx), first, min(last, memFrom), func(minute int64, b []byte) {
				if r, ok := decodeRollup(b); ok && r[metric].Sum > 0 {
					out = append(out, MinuteStats{Minute: time.Unix(minute*chunkSeconds, 0), Rollup: r[metric]})
				}
			})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	s.mu.RLock()
	sh := s.shardByIndex(idx)
	s.mu.RUnlock()
	if sh != nil {
		out = append(out, sh.metrics.minutes(memFrom, last, metric)...)
	}
	return out, nil
}

// minutes are the rollups of the minutes [from, to) held in memory, for metric, those with traffic only.
func (m *shardMetrics) minutes(from, to int64, metric Metric) []MinuteStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []MinuteStats
	for minute := from; minute < to; minute++ {
		c := m.chunks[minute%int64(len(m.chunks))]
		if c == nil || c.minute != minute {
			continue
		}
		if r := rollupChunk(c)[metric]; r.Sum > 0 {
			out = append(out, MinuteStats{Minute: time.Unix(minute*chunkSeconds, 0), Rollup: r})
		}
	}
	return out
}

// allStreams is every stream the engine holds now.
func (e *Engine) allStreams() []*stream {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]*stream, 0, len(e.byID))
	for _, s := range e.byID {
		out = append(out, s)
	}
	return out
}

// ShardSeconds calls fn with each shard's per-second values of one metric for the seconds [from, to) of the last
// hour (older seconds are zero: ShardMinutes has them as rollups), shard by shard in index order. values is reused
// between calls: fn copies what it keeps.
func (e *Engine) ShardSeconds(ctx context.Context, ref StreamRef, metric Metric, from, to time.Time, fn func(shardID string, open bool, values []uint32)) error {
	if metric < 0 || metric >= NumMetrics {
		return fmt.Errorf("no metric %d", metric)
	}
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return err
	}
	start, end := from.Unix(), to.Unix()
	if end <= start {
		return nil
	}
	s.mu.RLock()
	shards := append([]*shard(nil), s.shards...)
	open := make([]bool, len(shards))
	for i, sh := range shards {
		open[i] = sh.isOpen()
	}
	s.mu.RUnlock()
	values := make([]uint32, end-start)
	oldest := e.now().Unix() - metricsHistory + 1
	for i, sh := range shards {
		sh.metrics.mu.Lock()
		for j := range values {
			sec := start + int64(j)
			values[j] = 0
			if sec < oldest {
				continue
			}
			minute := sec / chunkSeconds
			if c := sh.metrics.chunks[minute%int64(len(sh.metrics.chunks))]; c != nil && c.minute == minute {
				values[j] = c.v[sec%chunkSeconds][metric]
			}
		}
		sh.metrics.mu.Unlock()
		fn(sh.id, open[i], values)
	}
	return nil
}

// MetricByName is the engine metric of a Kinesis shard-level metric name.
func MetricByName(name string) (Metric, bool) {
	for m := range NumMetrics {
		if metricNames[m] == name {
			return m, true
		}
	}
	return 0, false
}
