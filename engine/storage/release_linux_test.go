package storage

import (
	"bytes"
	"path/filepath"
	"testing"
)

// A value outside the mapping (bbolt clones unaligned inline buckets onto the heap) must never be advised away:
// MADV_DONTNEED on heap memory would zero it.
func TestPageRunsIgnoreValuesOutsideTheMapping(t *testing.T) {
	heap := bytes.Repeat([]byte{0xAB}, 3*int(pageSize))
	runs := pageRuns{mapStart: 4096, mapEnd: 8192}
	runs.add(heap[100:200])
	if runs.start != 0 || runs.end != 0 {
		t.Fatalf("a heap slice was recorded for release: %+v", runs)
	}
	runs.flush()
	if !bytes.Equal(heap, bytes.Repeat([]byte{0xAB}, len(heap))) {
		t.Fatal("heap memory changed")
	}
}

// Reading small shards (inline buckets) repeatedly must leave values and unrelated heap memory intact.
func TestScanReleasesOnlyMappedPages(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for shard := range 8 {
		err := db.Update(func(tx *Tx) error {
			w, err := tx.ShardWriter(1, shard)
			if err != nil {
				return err
			}
			for i := range 3 + shard {
				if err := w.Append(CounterKey(uint64(i+1)), AppendRecord(nil, "key", []byte("value"))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sentinel := bytes.Repeat([]byte{0x5A}, 1<<16)
	for round := range 50 {
		for shard := range 8 {
			n := 0
			_ = db.View(func(tx *ReadTx) error {
				tx.Scan(1, shard, 0, func(_ uint64, v []byte) bool {
					_, _, key, data, err := DecodeRecord(v)
					if err != nil || string(key) != "key" || string(data) != "value" {
						t.Fatalf("round %d shard %d: record read as %q %q %v", round, shard, key, data, err)
					}
					n++
					return true
				})
				return nil
			})
			if n != 3+shard {
				t.Fatalf("shard %d: %d records", shard, n)
			}
		}
	}
	if !bytes.Equal(sentinel, bytes.Repeat([]byte{0x5A}, 1<<16)) {
		t.Fatal("heap memory changed while scanning")
	}
}
