package engine

import (
	"sync"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
)

// TestConcurrentPutsShareOneCommit holds the committer busy while puts queue up, then checks that the queued puts
// were acknowledged by a single transaction (one fsync) and that none was acknowledged before it.
func TestConcurrentPutsShareOneCommit(t *testing.T) {
	e := openTest(t, Options{})
	mustCreate(t, e, "s", 2)
	release := make(chan struct{})
	blocked := make(chan struct{})
	go func() {
		_ = e.update(func(*storage.Tx) (func(), error) {
			close(blocked)
			<-release
			return nil, nil
		})
	}()
	<-blocked
	before := e.Stats()
	const puts = 20
	var wg sync.WaitGroup
	acked := make(chan struct{}, puts)
	for i := range puts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustPut(t, e, "s", keyFor(i), "x")
			acked <- struct{}{}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(e.commits) < puts {
		if time.Now().After(deadline) {
			t.Fatalf("only %d puts queued", len(e.commits))
		}
		time.Sleep(time.Millisecond)
	}
	if len(acked) != 0 {
		t.Fatal("a put was acknowledged before any transaction committed")
	}
	close(release)
	wg.Wait()
	after := e.Stats()
	if commits := after.Commits - before.Commits; commits != 2 { // the blocking op, then one group
		t.Fatalf("%d puts took %d commits, want them grouped into one (plus the blocking op)", puts, commits-1)
	}
	if after.Records-before.Records != puts {
		t.Fatalf("records counted %d", after.Records-before.Records)
	}
}

func TestIdleRetentionPassWritesNothing(t *testing.T) {
	e := openTest(t, Options{InMemory: true, RetentionCheckInterval: time.Hour})
	mustCreate(t, e, "s", 50)
	mustPut(t, e, "s", "k", "fresh")
	before := e.Stats().Commits
	if err := e.TrimExpired(); err != nil {
		t.Fatal(err)
	}
	if after := e.Stats().Commits; after != before {
		t.Fatalf("a retention pass with nothing expired committed %d transactions", after-before)
	}
}

func TestCloseWakesBlockedReaders(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	wake, _ := e.WaitForRecords(ctx, ref("s"), "shardId-000000000000")
	changes := e.Changes()
	e.Close()
	for _, ch := range []<-chan struct{}{wake, changes} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("Close left a reader blocked on the change feed")
		}
	}
}
