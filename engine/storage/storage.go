// Package storage keeps Shardlab's data in one bbolt file: stream and shard metadata, tags, checkpoints and records,
// each concern in its own bucket. Records live in one nested bucket per shard, keyed by their 8-byte big-endian
// counter, so a shard reads back in sequence order with a plain cursor.
package storage

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FormatVersion is the on-disk layout this code writes. A file with a larger version is refused, never rewritten.
const FormatVersion = 1

var (
	bucketMeta        = []byte("meta")
	bucketStreams     = []byte("streams")
	bucketShards      = []byte("shards")
	bucketTags        = []byte("tags")
	bucketCheckpoints = []byte("checkpoints")
	bucketRecords     = []byte("records")
	keyFormat         = []byte("format")
	keySecret         = []byte("secret")
	keyNextStreamID   = []byte("next-stream-id")
)

// Errors Open returns, wrapped with the file's path.
var (
	ErrLocked      = errors.New("is locked by another process (is another Shardlab running on it?)")
	ErrCorrupt     = errors.New("is not a valid Shardlab database (corrupt or not a bbolt file); it was left untouched")
	ErrNewerFormat = errors.New("was written by a newer Shardlab; it was left untouched")
)

// AllocStep is how far the file grows at a time (bbolt's AllocSize), see Open.
const AllocStep = 128 << 20

// pageSizeNew is the bbolt page size of a file this code creates; an existing file keeps the size it was made
// with, which bbolt reads from its meta page. A 1 KiB record took a third of a 4 KiB leaf, so 4 KiB pages held
// three and wasted a quarter of every page written, and each record cost its share of a page's split, allocation
// and write. 32 KiB leaves hold about thirty: a PutRecords of 500 × 1 KiB costs ~30 % less server CPU and a
// GetRecords ~10 % less (BenchmarkServePutRecords/GetRecords in kinesisapi), at ~50 µs more for a lone put, whose
// commit rewrites a few whole pages.
var pageSizeNew = 32 << 10 // a variable only so a test can make a file the old way

// Options tune Open.
type Options struct {
	// NoSync skips fsync on commit: for throwaway in-memory engines and tests, never for user data.
	NoSync bool
	// LockTimeout is how long Open waits for another process's lock before it gives up.
	LockTimeout time.Duration
}

// DB is an open Shardlab database.
type DB struct {
	bolt         *bolt.DB
	path         string
	releasedUpTo atomic.Int64 // file offset up to which ReleaseRecent has dropped the mapping
}

// Open opens or creates the database at path.
func Open(path string, opts Options) (*DB, error) {
	if err := checkExisting(path); err != nil {
		return nil, err
	}
	bdb, err := bolt.Open(path, 0o600, BoltOptions(opts))
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("database %s %w", path, ErrLocked)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
		errors.Is(err, bolterrors.ErrVersionMismatch),
		// A file whose meta pages are unreadable is taken to have the page size asked for, and bbolt then finds
		// it shorter than two such pages; it has no sentinel error for that.
		err != nil && strings.HasPrefix(err.Error(), "file size too small"):
		return nil, fmt.Errorf("database %s %w: %v", path, ErrCorrupt, err)
	case err != nil:
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// bbolt fsyncs the file each time it grows it; growing in large steps keeps those slow syncs out of the tail
	// latency of puts. A file smaller than one step grows only as needed.
	bdb.AllocSize = AllocStep
	db := &DB{bolt: bdb, path: path}
	if err := db.init(); err != nil {
		bdb.Close()
		return nil, err
	}
	return db, nil
}

// BoltOptions are the bbolt options Open uses, exported so the raw bbolt benchmark (internal/bench) measures bbolt
// as the engine runs it.
func BoltOptions(opts Options) *bolt.Options {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	return &bolt.Options{
		Timeout: opts.LockTimeout,
		NoSync:  opts.NoSync,
		// bbolt truncates and fsyncs the file each time it grows it (every AllocStep), which for a file never
		// synced otherwise means writing everything put so far to disk, inside a commit that every waiting put
		// shares. An unsynced file has nothing to keep consistent across a crash, so it just grows by writes.
		NoGrowSync:     opts.NoSync,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		PageSize:       pageSizeNew,
	}
}

// checkExisting refuses a non-empty file that bbolt would otherwise try to interpret: bbolt only validates the
// meta pages, and a file that is too short to hold them would be reported as a confusing I/O error.
func checkExisting(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("database %s is a directory", path)
	}
	if fi.Size() > 0 && fi.Size() < 4096 {
		return fmt.Errorf("database %s %w: %d bytes is too short", path, ErrCorrupt, fi.Size())
	}
	return nil
}

func (db *DB) init() error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keyFormat); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return fmt.Errorf("database %s %w: format marker %q", db.path, ErrCorrupt, v)
			}
			if n > FormatVersion {
				return fmt.Errorf("database %s (format %d, this build reads %d) %w", db.path, n, FormatVersion,
					ErrNewerFormat)
			}
		} else {
			if foreign := foreignBucket(tx); foreign != "" {
				return fmt.Errorf("database %s %w: it holds a bucket %q Shardlab never writes", db.path, ErrCorrupt,
					foreign)
			}
			if err := meta.Put(keyFormat, []byte(strconv.Itoa(FormatVersion))); err != nil {
				return err
			}
		}
		for _, name := range [][]byte{bucketStreams, bucketShards, bucketTags, bucketCheckpoints, bucketRecords, bucketVideo, bucketMetrics} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNewerFormat) && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("initialise database %s: %w", db.path, err)
	}
	return err
}

// foreignBucket names a top-level bucket of a file that has no format marker, which means some other program's
// bbolt file: Shardlab writes the marker in the same transaction that creates its buckets.
func foreignBucket(tx *bolt.Tx) string {
	var name string
	_ = tx.ForEach(func(n []byte, _ *bolt.Bucket) error {
		if string(n) != string(bucketMeta) {
			name = string(n)
		}
		return nil
	})
	return name
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close closes the file; it waits for open transactions.
func (db *DB) Close() error { return db.bolt.Close() }

// Update runs fn in one read-write transaction and commits (and fsyncs) it when fn returns nil.
func (db *DB) Update(fn func(*Tx) error) error {
	return db.bolt.Update(func(btx *bolt.Tx) error { return fn(&Tx{ReadTx{btx}}) })
}

// View runs fn in a read-only transaction that sees one consistent snapshot.
func (db *DB) View(fn func(*ReadTx) error) error {
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&ReadTx{btx}) })
}

// Size is the database file's size in bytes.
func (db *DB) Size() int64 {
	var n int64
	_ = db.bolt.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}
