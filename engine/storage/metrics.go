package storage

import (
	"bytes"
	"encoding/binary"
)

// bucketMetrics holds metric history, one nested bucket per series (a shard's counters, for example), each with
// two nested buckets keyed by the 8-byte big-endian minute (Unix seconds / 60): per-second chunks (one blob a
// minute, for the last hour) and per-minute rollups (one blob a minute, for weeks).
var (
	bucketMetrics       = []byte("metrics")
	bucketMetricSeconds = []byte("s")
	bucketMetricMinutes = []byte("m")
)

func (t *Tx) metricSeries(series string) (*metricBuckets, error) {
	top, err := t.btx.CreateBucketIfNotExists(bucketMetrics) // files made before metric history have none
	if err != nil {
		return nil, err
	}
	b, err := top.CreateBucketIfNotExists([]byte(series))
	if err != nil {
		return nil, err
	}
	s, err := b.CreateBucketIfNotExists(bucketMetricSeconds)
	if err != nil {
		return nil, err
	}
	m, err := b.CreateBucketIfNotExists(bucketMetricMinutes)
	if err != nil {
		return nil, err
	}
	return &metricBuckets{seconds: s.Put, minutes: m.Put}, nil
}

type metricBuckets struct {
	seconds, minutes func(k, v []byte) error
}

// PutMetricMinute stores one minute of a series: its per-second chunk and its rollup (either may be nil).
func (t *Tx) PutMetricMinute(series string, minute int64, seconds, rollup []byte) error {
	b, err := t.metricSeries(series)
	if err != nil {
		return err
	}
	k := u64(uint64(minute))
	if seconds != nil {
		if err := b.seconds(k, seconds); err != nil {
			return err
		}
	}
	if rollup != nil {
		return b.minutes(k, rollup)
	}
	return nil
}

// TrimMetrics deletes a series' per-second chunks before minute secondsBefore and rollups before minutesBefore.
func (t *Tx) TrimMetrics(series string, secondsBefore, minutesBefore int64) error {
	top := t.btx.Bucket(bucketMetrics)
	if top == nil {
		return nil
	}
	b := top.Bucket([]byte(series))
	if b == nil {
		return nil
	}
	for _, sub := range []struct {
		name   []byte
		before int64
	}{{bucketMetricSeconds, secondsBefore}, {bucketMetricMinutes, minutesBefore}} {
		nb := b.Bucket(sub.name)
		if nb == nil {
			continue
		}
		c := nb.Cursor()
		end := u64(uint64(max(sub.before, 0)))
		for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteMetricSeries removes every series whose name starts with prefix (a deleted stream's shards).
func (t *Tx) DeleteMetricSeries(prefix string) error {
	top := t.btx.Bucket(bucketMetrics)
	if top == nil {
		return nil
	}
	var names [][]byte
	c := top.Cursor()
	for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Next() {
		names = append(names, append([]byte(nil), k...))
	}
	for _, n := range names {
		if err := top.DeleteBucket(n); err != nil {
			return err
		}
	}
	return nil
}

// MetricSeconds calls fn with a series' per-second chunks from minute from on, oldest first.
func (r *ReadTx) MetricSeconds(series string, from int64, fn func(minute int64, chunk []byte)) {
	r.metricRange(series, bucketMetricSeconds, from, 1<<62, fn)
}

// MetricMinutes calls fn with a series' rollups of minutes [from, to), oldest first.
func (r *ReadTx) MetricMinutes(series string, from, to int64, fn func(minute int64, rollup []byte)) {
	r.metricRange(series, bucketMetricMinutes, from, to, fn)
}

func (r *ReadTx) metricRange(series string, sub []byte, from, to int64, fn func(int64, []byte)) {
	top := r.btx.Bucket(bucketMetrics)
	if top == nil {
		return
	}
	b := top.Bucket([]byte(series))
	if b == nil || b.Bucket(sub) == nil {
		return
	}
	c := b.Bucket(sub).Cursor()
	for k, v := c.Seek(u64(uint64(max(from, 0)))); k != nil; k, v = c.Next() {
		m := int64(binary.BigEndian.Uint64(k))
		if m >= to {
			return
		}
		fn(m, v)
	}
}

// MetricSeries lists the series names that start with prefix.
func (r *ReadTx) MetricSeries(prefix string) []string {
	top := r.btx.Bucket(bucketMetrics)
	if top == nil {
		return nil
	}
	var out []string
	c := top.Cursor()
	for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Next() {
		out = append(out, string(k))
	}
	return out
}
