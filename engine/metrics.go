package engine

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/internal/sketch"
)

// Metric names one per-shard, per-second series.
type Metric int

// The shard-level metrics Kinesis reports, kept per second for the last hour.
const (
	IncomingBytes Metric = iota
	IncomingRecords
	OutgoingBytes
	OutgoingRecords
	WriteProvisionedThroughputExceeded
	ReadProvisionedThroughputExceeded
	IteratorAgeMilliseconds
	// InjectedFaults counts records and calls failed or refused by fault injection (a Shardlab extension).
	InjectedFaults
	NumMetrics
)

var metricNames = [NumMetrics]string{"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
	"WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds",
	"InjectedFaults"}

func (m Metric) String() string { return metricNames[m] }

const (
	metricsHistory = 3600 // seconds kept
	chunkSeconds   = 60
	topKeysTracked = 64
	topKeysShown   = 5
	topKeyHalfLife = 10 * time.Second
)

// shardMetrics keeps an hour of per-second counters in minute-sized chunks that are only allocated for minutes with
// traffic, so idle and closed shards cost almost nothing, plus a decaying heavy-hitters sketch of partition keys.
type shardMetrics struct {
	mu      sync.Mutex
	chunks  [metricsHistory / chunkSeconds]*metricChunk
	top     *sketch.TopK
	decayed time.Time
}

type metricChunk struct {
	minute int64
	dirty  bool // changed since the history flusher last wrote it
	v      [chunkSeconds][NumMetrics]uint32
}

// slot returns the counters of second sec, clearing a chunk that last held an older minute. Caller holds m.mu.
func (m *shardMetrics) slot(sec int64) *[NumMetrics]uint32 {
	minute := sec / chunkSeconds
	i := minute % int64(len(m.chunks))
	c := m.chunks[i]
	if c == nil {
		c = &metricChunk{minute: minute}
		m.chunks[i] = c
	} else if c.minute != minute {
		*c = metricChunk{minute: minute}
	}
	c.dirty = true
	return &c.v[sec%chunkSeconds]
}

func (m *shardMetrics) add(now time.Time, metric Metric, n int) {
	m.mu.Lock()
	s := m.slot(now.Unix())
	s[metric] = satAdd(s[metric], n)
	m.mu.Unlock()
}

func (m *shardMetrics) addWrite(now time.Time, records, bytes int) {
	m.mu.Lock()
	s := m.slot(now.Unix())
	s[IncomingRecords] = satAdd(s[IncomingRecords], records)
	s[IncomingBytes] = satAdd(s[IncomingBytes], bytes)
	m.mu.Unlock()
}

func (m *shardMetrics) addRead(now time.Time, records, bytes int, ageMillis int64) {
	m.mu.Lock()
	s := m.slot(now.Unix())
	s[OutgoingRecords] = satAdd(s[OutgoingRecords], records)
	s[OutgoingBytes] = satAdd(s[OutgoingBytes], bytes)
	if age := uint32(min(ageMillis, 1<<32-1)); age > s[IteratorAgeMilliseconds] {
		s[IteratorAgeMilliseconds] = age
	}
	m.mu.Unlock()
}

// addKeys counts partition keys in the sketch, decaying older counts by elapsed time.
func (m *shardMetrics) addKeys(now time.Time, keys []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.top == nil {
		m.top = sketch.NewTopK(topKeysTracked)
		m.decayed = now
	}
	if dt := now.Sub(m.decayed); dt >= time.Second {
		m.top.Decay(halfLifeFactor(dt))
		m.decayed = now
	}
	for _, k := range keys {
		m.top.Add(k, 1)
	}
}

func halfLifeFactor(dt time.Duration) float64 {
	return math.Pow(0.5, float64(dt)/float64(topKeyHalfLife))
}

func satAdd(v uint32, n int) uint32 {
	if s := uint64(v) + uint64(n); s < 1<<32 {
		return uint32(s)
	}
	return 1<<32 - 1
}

// series copies seconds [end-len+1, end] of every metric into dst, oldest first.
func (m *shardMetrics) series(end int64, dst *[NumMetrics][]uint32) {
	n := len(dst[0])
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range n {
		sec := end - int64(n-1-i)
		minute := sec / chunkSeconds
		c := m.chunks[minute%int64(len(m.chunks))]
		for k := range NumMetrics {
			if c != nil && c.minute == minute && sec >= 0 {
				dst[k][i] = c.v[sec%chunkSeconds][k]
			} else {
				dst[k][i] = 0
			}
		}
	}
}

func (m *shardMetrics) topKeys() []KeyShare {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.top == nil {
		return nil
	}
	top := m.top.Top(topKeysShown)
	out := make([]KeyShare, len(top))
	for i, t := range top {
		out[i] = KeyShare{Key: t.Key, Share: t.Share, Hash: hashkey.FromPartitionKey(t.Key)}
	}
	return out
}

// KeyShare is a heavy partition key and its share of the shard's recent traffic.
type KeyShare struct {
	Key   string
	Share float64
	Hash  hashkey.Key
}

// ShardMetrics is one shard's part of a MetricsSnapshot. Each series holds one value per second, oldest first, the
// last being the current (partial) second.
type ShardMetrics struct {
	ShardId string
	Index   int
	Open    bool
	Range   hashkey.Range
	Series  [NumMetrics][]uint32
	TopKeys []KeyShare
}

// MetricsSnapshot is every shard's recent metrics, for the heatmaps.
type MetricsSnapshot struct {
	StreamName     string
	End            time.Time // the second the last column covers
	Seconds        int
	Limits         ThroughputLimits
	LimitsEnforced bool
	// Started is when this engine began counting: seconds before it are unknown (metrics live in memory), not idle.
	Started time.Time
	Shards  []ShardMetrics
}

// Metrics fills dst with the last seconds (1–3600) of every shard's metrics. dst's slices are reused, so calling it
// several times a second with the same dst allocates little.
func (e *Engine) Metrics(ctx context.Context, ref StreamRef, seconds int, dst *MetricsSnapshot) error {
	seconds = min(max(seconds, 1), metricsHistory)
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return err
	}
	now := e.now()
	s.mu.RLock()
	shards := append([]*shard(nil), s.shards...)
	dst.LimitsEnforced = s.meta.LimitsEnforced
	s.mu.RUnlock()
	dst.StreamName, dst.End, dst.Seconds, dst.Limits = s.name, now.Truncate(time.Second), seconds, e.ThroughputLimits()
	dst.Started = e.started
	if cap(dst.Shards) < len(shards) {
		dst.Shards = append(dst.Shards[:cap(dst.Shards)], make([]ShardMetrics, len(shards)-cap(dst.Shards))...)
	}
	dst.Shards = dst.Shards[:len(shards)]
	for i, sh := range shards {
		out := &dst.Shards[i]
		s.mu.RLock()
		out.ShardId, out.Index, out.Open = sh.id, sh.index, sh.isOpen()
		out.Range = hashkey.Range{Start: sh.meta.Start, End: sh.meta.End}
		s.mu.RUnlock()
		for k := range NumMetrics {
			if cap(out.Series[k]) < seconds {
				out.Series[k] = make([]uint32, seconds)
			}
			out.Series[k] = out.Series[k][:seconds]
		}
		sh.metrics.series(now.Unix(), &out.Series)
		out.TopKeys = sh.metrics.topKeys()
	}
	return nil
}
