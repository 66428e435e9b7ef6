package enginebench

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/shardlab/shardlab/engine/storage"
)

var bucketRawBench = []byte("raw-bench")

// rawAppendBenchmark measures what bbolt alone sustains on path's disk: it appends values of valueSize bytes under
// 8-byte big-endian increasing keys, recordsPerTx to a committed (and fsynced) transaction, until duration has
// passed or ctx is done. It is the ceiling the engine's put path is compared with, so it opens the file with
// storage's own bbolt options (sync, freelist, page size, growth step) and fills pages as ShardWriter does.
// path must not exist; the caller removes it.
func rawAppendBenchmark(ctx context.Context, path string, duration time.Duration, valueSize, recordsPerTx int) (
	records int, elapsed time.Duration, err error) {
	if valueSize < 1 || recordsPerTx < 1 {
		return 0, 0, errors.New("raw append benchmark: valueSize and recordsPerTx must be positive")
	}
	db, err := bolt.Open(path, 0o600, storage.BoltOptions(storage.Options{}))
	if err != nil {
		return 0, 0, err
	}
	db.AllocSize = storage.AllocStep
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	value := rawValue(valueSize)
	start := time.Now()
	var counter uint64
	for time.Since(start) < duration {
		if err := ctx.Err(); err != nil {
			return records, time.Since(start), err
		}
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bucketRawBench)
			if err != nil {
				return err
			}
			b.FillPercent = 1.0
			// bbolt keeps key slices until commit, so each transaction gets fresh ones, in one allocation as the
			// engine's committer does.
			keys := make([]byte, 8*recordsPerTx)
			for i := range recordsPerTx {
				counter++
				k := keys[8*i : 8*i+8 : 8*i+8]
				binary.BigEndian.PutUint64(k, counter)
				if err := b.Put(k, value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return records, time.Since(start), err
		}
		records += recordsPerTx
	}
	return records, time.Since(start), nil
}

// rawValue is incompressible-looking filler; bbolt does not compress, but a disk or filesystem might.
func rawValue(n int) []byte {
	v := make([]byte, n)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range v {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		v[i] = byte(x)
	}
	return v
}
