package storage

import (
	"path/filepath"
	"testing"
)

// Files made before pages grew to 32 KiB keep their 4 KiB pages: bbolt takes the size from the file, and the
// records in it read back and take appends as before.
func TestExistingFileKeepsItsPageSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	appendOne := func(db *DB, counter uint64) {
		t.Helper()
		err := db.Update(func(tx *Tx) error {
			w, err := tx.ShardWriter(1, 0)
			if err != nil {
				return err
			}
			return w.Append(CounterKey(counter), AppendRecord(nil, "key", []byte("value")))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	old := pageSizeNew
	pageSizeNew = 4 << 10
	db, err := Open(path, Options{NoSync: true})
	pageSizeNew = old
	if err != nil {
		t.Fatal(err)
	}
	appendOne(db, 1)
	db.Close()

	db, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.bolt.Info().PageSize; got != 4<<10 {
		t.Fatalf("reopened file has %d-byte pages, want the 4096 it was made with", got)
	}
	appendOne(db, 2)
	var counters []uint64
	_ = db.View(func(tx *ReadTx) error {
		tx.Scan(1, 0, 0, func(c uint64, _ []byte) bool { counters = append(counters, c); return true })
		return nil
	})
	if len(counters) != 2 || counters[0] != 1 || counters[1] != 2 {
		t.Fatalf("read counters %v, want [1 2]", counters)
	}

	fresh, err := Open(filepath.Join(t.TempDir(), "new.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if got := fresh.bolt.Info().PageSize; got != pageSizeNew {
		t.Fatalf("new file has %d-byte pages, want %d", got, pageSizeNew)
	}
}
