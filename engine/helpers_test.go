package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for iterator expiry, retention and throttling tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var ctx = context.Background()

// openTest opens an engine on a file in a fresh temp dir; opts.Path is filled in when empty.
func openTest(t testing.TB, opts Options) *Engine {
	t.Helper()
	if opts.Path == "" && !opts.InMemory {
		opts.Path = filepath.Join(t.TempDir(), "shardlab.db")
	}
	e, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func ptr[T any](v T) *T { return &v }

func mustCreate(t testing.TB, e *Engine, name string, shards int) {
	t.Helper()
	if err := e.CreateStream(ctx, CreateStreamInput{StreamName: name, ShardCount: ptr(shards)}); err != nil {
		t.Fatalf("CreateStream(%s, %d): %v", name, shards, err)
	}
}

func ref(name string) StreamRef { return StreamRef{StreamName: name} }

func mustPut(t testing.TB, e *Engine, stream, key, data string) *PutRecordOutput {
	t.Helper()
	out, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref(stream), PartitionKey: key, Data: []byte(data)})
	if err != nil {
		t.Fatalf("PutRecord(%s, %s): %v", stream, key, err)
	}
	return out
}

func mustIterator(t testing.TB, e *Engine, stream, shard, typ, seq string) string {
	t.Helper()
	it, err := e.GetShardIterator(ctx, GetShardIteratorInput{StreamRef: ref(stream), ShardId: shard,
		ShardIteratorType: typ, StartingSequenceNumber: seq})
	if err != nil {
		t.Fatalf("GetShardIterator(%s, %s, %s): %v", stream, shard, typ, err)
	}
	return it
}

// readAll drains a shard from an iterator until it is caught up (or the shard ends) and returns the data.
func readAll(t testing.TB, e *Engine, it string) (data []string, last *GetRecordsOutput) {
	t.Helper()
	for it != "" {
		out, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
		if err != nil {
			t.Fatalf("GetRecords: %v", err)
		}
		for _, r := range out.Records {
			data = append(data, string(r.Data))
		}
		last = out
		if len(out.Records) == 0 {
			break
		}
		it = out.NextShardIterator
	}
	return data, last
}

// wantCode fails unless err carries the Kinesis error code.
func wantCode(t testing.TB, err error, code string) *Error {
	t.Helper()
	var ke *Error
	if !errors.As(err, &ke) || ke.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	return ke
}

func keyFor(i int) string { return fmt.Sprintf("key-%d", i) }
