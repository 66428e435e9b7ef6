package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ReadTx reads one consistent snapshot of the database. Byte slices it hands out are valid only inside the
// transaction.
type ReadTx struct{ btx *bolt.Tx }

// Tx is a read-write transaction.
type Tx struct{ ReadTx }

// Secret returns the database's random secret, creating it on first use; it signs shard iterators and tokens so
// they stay valid across restarts.
func (t *Tx) Secret(newSecret func() []byte) ([]byte, error) {
	meta := t.btx.Bucket(bucketMeta)
	if v := meta.Get(keySecret); v != nil {
		return append([]byte(nil), v...), nil
	}
	s := newSecret()
	return s, meta.Put(keySecret, s)
}

// NextStreamID allocates a stream id that is never reused, so records of a deleted stream can never show up in a
// new stream of the same name.
func (t *Tx) NextStreamID() (uint64, error) {
	meta := t.btx.Bucket(bucketMeta)
	var id uint64 = 1
	if v := meta.Get(keyNextStreamID); len(v) == 8 {
		id = binary.BigEndian.Uint64(v)
	}
	return id, meta.Put(keyNextStreamID, u64(id+1))
}

// PutStream stores a stream's metadata blob.
func (t *Tx) PutStream(id uint64, blob []byte) error {
	return t.btx.Bucket(bucketStreams).Put(u64(id), blob)
}

// PutShard stores one shard's metadata blob.
func (t *Tx) PutShard(streamID uint64, shardIndex int, blob []byte) error {
	return t.btx.Bucket(bucketShards).Put(shardKey(streamID, shardIndex), blob)
}

// DeleteShard removes a shard's metadata and its records.
func (t *Tx) DeleteShard(streamID uint64, shardIndex int) error {
	if err := t.btx.Bucket(bucketShards).Delete(shardKey(streamID, shardIndex)); err != nil {
		return err
	}
	recs := t.btx.Bucket(bucketRecords).Bucket(u64(streamID))
	if recs == nil {
		return nil
	}
	err := recs.DeleteBucket(u32(shardIndex))
	if errors.Is(err, bolterrors.ErrBucketNotFound) {
		return nil
	}
	return err
}

// SetTags replaces a stream's tags.
func (t *Tx) SetTags(streamID uint64, tags map[string]string) error {
	b := t.btx.Bucket(bucketTags)
	prefix := u64(streamID)
	if err := deletePrefix(b, prefix); err != nil {
		return err
	}
	for k, v := range tags {
		if err := b.Put(append(u64(streamID), k...), []byte(v)); err != nil {
			return err
		}
	}
	return nil
}

// DeleteStream removes a stream with its shards, tags and records.
func (t *Tx) DeleteStream(id uint64) error {
	if err := t.btx.Bucket(bucketStreams).Delete(u64(id)); err != nil {
		return err
	}
	for _, name := range [][]byte{bucketShards, bucketTags} {
		if err := deletePrefix(t.btx.Bucket(name), u64(id)); err != nil {
			return err
		}
	}
	err := t.btx.Bucket(bucketRecords).DeleteBucket(u64(id))
	if errors.Is(err, bolterrors.ErrBucketNotFound) {
		return nil
	}
	return err
}

// PutCheckpoint stores value under (namespace, key): consumer leases, replay and watch offsets.
func (t *Tx) PutCheckpoint(namespace, key string, value []byte) error {
	return t.btx.Bucket(bucketCheckpoints).Put(checkpointKey(namespace, key), value)
}

// DeleteCheckpoint removes the value under (namespace, key), if any.
func (t *Tx) DeleteCheckpoint(namespace, key string) error {
	return t.btx.Bucket(bucketCheckpoints).Delete(checkpointKey(namespace, key))
}

// ShardWriter appends records to one shard within a transaction.
type ShardWriter struct{ b *bolt.Bucket }

// ShardWriter returns the appender for a shard's records, creating its bucket on first use.
func (t *Tx) ShardWriter(streamID uint64, shardIndex int) (ShardWriter, error) {
	recs, err := t.btx.Bucket(bucketRecords).CreateBucketIfNotExists(u64(streamID))
	if err != nil {
		return ShardWriter{}, err
	}
	b, err := recs.CreateBucketIfNotExists(u32(shardIndex))
	if err != nil {
		return ShardWriter{}, err
	}
	// Keys only ever grow, so pages can be filled completely instead of bbolt's half-full default.
	b.FillPercent = 1.0
	return ShardWriter{b}, nil
}

// Append stores value under counter. key must stay untouched until the transaction ends (bbolt keeps it).
func (w ShardWriter) Append(key []byte, value []byte) error { return w.b.Put(key, value) }

// Trim deletes up to max records with a counter below before and reports how many it deleted and whether older
// records remain.
func (t *Tx) Trim(streamID uint64, shardIndex int, before uint64, max int) (deleted int, more bool, err error) {
	b := shardBucket(&t.ReadTx, streamID, shardIndex)
	if b == nil {
		return 0, false, nil
	}
	c := b.Cursor()
	limit := u64(before)
	for k, _ := c.First(); k != nil && string(k) < string(limit); k, _ = c.First() {
		if deleted == max {
			return deleted, true, nil
		}
		if err := c.Delete(); err != nil {
			return deleted, false, err
		}
		deleted++
	}
	return deleted, false, nil
}

// ForEachStream calls fn with every stream's id and metadata blob.
func (r *ReadTx) ForEachStream(fn func(id uint64, blob []byte) error) error {
	return r.btx.Bucket(bucketStreams).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("%w: stream key of %d bytes", ErrCorrupt, len(k))
		}
		return fn(binary.BigEndian.Uint64(k), v)
	})
}

// ForEachShard calls fn with every shard blob of a stream, in shard-index order.
func (r *ReadTx) ForEachShard(streamID uint64, fn func(index int, blob []byte) error) error {
	return scanPrefix(r.btx.Bucket(bucketShards), u64(streamID), func(k, v []byte) error {
		if len(k) != 12 {
			return fmt.Errorf("%w: shard key of %d bytes", ErrCorrupt, len(k))
		}
		return fn(int(binary.BigEndian.Uint32(k[8:])), v)
	})
}

// Tags returns a stream's tags.
func (r *ReadTx) Tags(streamID uint64) map[string]string {
	tags := map[string]string{}
	_ = scanPrefix(r.btx.Bucket(bucketTags), u64(streamID), func(k, v []byte) error {
		tags[string(k[8:])] = string(v)
		return nil
	})
	return tags
}

// Checkpoint returns the value stored under (namespace, key), or nil. The slice is a copy.
func (r *ReadTx) Checkpoint(namespace, key string) []byte {
	v := r.btx.Bucket(bucketCheckpoints).Get(checkpointKey(namespace, key))
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}

// Checkpoints returns every value in a namespace by key. The slices are copies.
func (r *ReadTx) Checkpoints(namespace string) map[string][]byte {
	prefix := checkpointKey(namespace, "")
	out := map[string][]byte{}
	_ = scanPrefix(r.btx.Bucket(bucketCheckpoints), prefix, func(k, v []byte) error {
		out[string(k[len(prefix):])] = append([]byte(nil), v...)
		return nil
	})
	return out
}

// LastCounter returns the highest record counter stored in a shard.
func (r *ReadTx) LastCounter(streamID uint64, shardIndex int) (uint64, bool) {
	b := shardBucket(r, streamID, shardIndex)
	if b == nil {
		return 0, false
	}
	k, _ := b.Cursor().Last()
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}

// FirstCounter returns the lowest record counter stored in a shard.
func (r *ReadTx) FirstCounter(streamID uint64, shardIndex int) (uint64, bool) {
	b := shardBucket(r, streamID, shardIndex)
	if b == nil {
		return 0, false
	}
	k, _ := b.Cursor().First()
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}

// Scan calls fn for the shard's records with counter ≥ from, in order, until fn returns false. fn must copy what
// it keeps: the value's pages are released from the process's mapping when Scan returns.
func (r *ReadTx) Scan(streamID uint64, shardIndex int, from uint64, fn func(counter uint64, value []byte) bool) {
	b := shardBucket(r, streamID, shardIndex)
	if b == nil {
		return
	}
	c := b.Cursor()
	read := newPageRuns(r.btx)
	defer read.flush()
	for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
		more := fn(binary.BigEndian.Uint64(k), v)
		read.add(v) // fn has copied what it keeps, so the value's pages may go
		if !more {
			return
		}
	}
}

// CountRecords counts a shard's records; it walks the whole bucket, so it is for tests and tools.
func (r *ReadTx) CountRecords(streamID uint64, shardIndex int) int {
	b := shardBucket(r, streamID, shardIndex)
	if b == nil {
		return 0
	}
	return b.Stats().KeyN
}

func shardBucket(r *ReadTx, streamID uint64, shardIndex int) *bolt.Bucket {
	recs := r.btx.Bucket(bucketRecords).Bucket(u64(streamID))
	if recs == nil {
		return nil
	}
	return recs.Bucket(u32(shardIndex))
}

// scanPrefix calls fn for every key with the prefix, in key order, until fn returns an error.
func scanPrefix(b *bolt.Bucket, prefix []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// CounterKey encodes a record counter as its 8-byte storage key.
func CounterKey(counter uint64) []byte { return u64(counter) }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v) }
func u32(v int) []byte    { return binary.BigEndian.AppendUint32(make([]byte, 0, 4), uint32(v)) }

func shardKey(streamID uint64, shardIndex int) []byte {
	return binary.BigEndian.AppendUint32(u64(streamID), uint32(shardIndex))
}

func checkpointKey(namespace, key string) []byte {
	return append(append([]byte(namespace), 0), key...)
}
