package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func subscribe(t *testing.T, e *Engine, consumerARN, shard string, pos StartingPosition) *Subscription {
	t.Helper()
	sub, err := e.SubscribeToShard(ctx, SubscribeToShardInput{ConsumerARN: consumerARN, ShardId: shard, StartingPosition: pos})
	if err != nil {
		t.Fatalf("SubscribeToShard(%s): %v", shard, err)
	}
	t.Cleanup(sub.Close)
	return sub
}

// TestSubscribeDeliversEveryRecordOnceInOrderAcrossASplit puts records while a split closes the shard under the
// subscription, then follows ChildShards: each record must arrive exactly once, and each key's records in order.
func TestSubscribeDeliversEveryRecordOnceInOrderAcrossASplit(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	c := mustRegister(t, e, streamARNOf(t, e, "s"), "app")
	parent := subscribe(t, e, c.ConsumerARN, "shardId-000000000000", StartingPosition{Type: IteratorTrimHorizon})

	const total = 3000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range total {
			key := keyFor(i % 50)
			mustPut(t, e, "s", key, fmt.Sprintf("%s/%d", key, i))
			if i == total/2 {
				if err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("s"), ShardToSplit: "shardId-000000000000",
					NewStartingHashKey: "170141183460469231731687303715884105728"}); err != nil {
					t.Errorf("split: %v", err)
				}
			}
		}
	})

	seen := map[string]int{}
	lastOfKey := map[string]int{}
	take := func(ev *SubscribeToShardEvent) {
		for _, r := range ev.Records {
			d := string(r.Data)
			seen[d]++
			key, n, _ := strings.Cut(d, "/")
			i, _ := strconv.Atoi(n)
			if prev, ok := lastOfKey[key]; ok && i <= prev {
				t.Fatalf("key %s: record %d after %d", key, i, prev)
			}
			lastOfKey[key] = i
		}
	}
	var children []ChildShard
	for children == nil {
		ev, err := parent.Next(ctx)
		if err != nil {
			t.Fatalf("parent Next: %v", err)
		}
		take(ev)
		if ev.ChildShards != nil {
			if ev.ContinuationSequenceNumber != "" {
				t.Fatalf("the shard's last event has continuation %s", ev.ContinuationSequenceNumber)
			}
			children = ev.ChildShards
		}
	}
	if _, err := parent.Next(ctx); err != io.EOF {
		t.Fatalf("after the shard's end: %v, want io.EOF", err)
	}
	wg.Wait()
	if len(children) != 2 {
		t.Fatalf("children %+v", children)
	}
	for _, child := range children {
		sub := subscribe(t, e, c.ConsumerARN, child.ShardId, StartingPosition{Type: IteratorTrimHorizon})
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			take(ev)
			if ev.MillisBehindLatest == 0 { // caught up: the puts are over
				break
			}
		}
	}
	if len(seen) != total {
		t.Fatalf("%d distinct records delivered, want %d", len(seen), total)
	}
	for d, n := range seen {
		if n != 1 {
			t.Fatalf("%s delivered %d times", d, n)
		}
	}
}

// TestSubscribePushesOnCommit: an idle subscription sends its next event when a record is committed, long before
// the five-second heartbeat, and resumes exactly where its continuation number says.
func TestSubscribePushesOnCommit(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	c := mustRegister(t, e, streamARNOf(t, e, "s"), "app")
	sub := subscribe(t, e, c.ConsumerARN, "shardId-000000000000", StartingPosition{Type: IteratorLatest})
	got := make(chan *SubscribeToShardEvent, 1)
	go func() {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- ev
	}()
	time.Sleep(50 * time.Millisecond) // the reader is waiting on the change feed now
	put := time.Now()
	first := mustPut(t, e, "s", "k", "one")
	ev := <-got
	if wait := time.Since(put); wait >= subscriptionHeartbeat {
		t.Fatalf("event came after %v: the heartbeat, not the commit, sent it", wait)
	}
	if len(ev.Records) != 1 || string(ev.Records[0].Data) != "one" || ev.ContinuationSequenceNumber != first.SequenceNumber {
		t.Fatalf("event %+v, want record one and continuation %s", ev, first.SequenceNumber)
	}
	sub.Close()

	mustPut(t, e, "s", "k", "two")
	again := subscribe(t, e, c.ConsumerARN, "shardId-000000000000",
		StartingPosition{Type: IteratorAfterSeq, SequenceNumber: ev.ContinuationSequenceNumber})
	ev, err := again.Next(ctx)
	if err != nil || len(ev.Records) != 1 || string(ev.Records[0].Data) != "two" {
		t.Fatalf("resumed: %+v, %v", ev, err)
	}
}

func TestSubscribeRefusesASecondSessionAndEnds(t *testing.T) {
	e := openTest(t, Options{InMemory: true, SubscriptionDuration: 300 * time.Millisecond})
	mustCreate(t, e, "s", 2)
	c := mustRegister(t, e, streamARNOf(t, e, "s"), "app")
	pos := StartingPosition{Type: IteratorTrimHorizon}
	sub := subscribe(t, e, c.ConsumerARN, "shardId-000000000000", pos)
	_, err := e.SubscribeToShard(ctx, SubscribeToShardInput{ConsumerARN: c.ConsumerARN, ShardId: "shardId-000000000000", StartingPosition: pos})
	wantCode(t, err, ErrResourceInUse)
	subscribe(t, e, c.ConsumerARN, "shardId-000000000001", pos) // another shard is another session
	other := mustRegister(t, e, streamARNOf(t, e, "s"), "other")
	subscribe(t, e, other.ConsumerARN, "shardId-000000000000", pos) // and so is another consumer

	_, err = e.SubscribeToShard(ctx, SubscribeToShardInput{ConsumerARN: c.ConsumerARN, ShardId: "shardId-000000000009", StartingPosition: pos})
	wantCode(t, err, ErrResourceNotFound)
	_, err = e.SubscribeToShard(ctx, SubscribeToShardInput{ConsumerARN: c.ConsumerARN, ShardId: "shardId-000000000001"})
	wantCode(t, err, ErrValidation)

	// The session ends by itself once its duration is up.
	start := time.Now()
	for {
		_, err := sub.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("the session outlived its duration: %v", time.Since(start))
	}
	sub.Close()
	subscribe(t, e, c.ConsumerARN, "shardId-000000000000", pos) // the shard is free again
}

func TestDeregisterEndsSessions(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	c := mustRegister(t, e, streamARNOf(t, e, "s"), "app")
	sub := subscribe(t, e, c.ConsumerARN, "shardId-000000000000", StartingPosition{Type: IteratorLatest})
	done := make(chan error, 1)
	go func() {
		_, err := sub.Next(context.Background())
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := e.DeregisterStreamConsumer(ctx, ConsumerRef{ConsumerARN: c.ConsumerARN}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ke *Error
		if !errors.As(err, &ke) || ke.Code != ErrResourceNotFound {
			t.Fatalf("Next after deregistering: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Next still waiting after its consumer was deregistered")
	}
}

func TestShardBacklog(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	var seqs []string
	for i := range 10 {
		seqs = append(seqs, mustPut(t, e, "s", "k", fmt.Sprint(i)).SequenceNumber)
	}
	for _, c := range []struct {
		pos    string
		limit  int
		want   int
		capped bool
	}{{IteratorTrimHorizon, 100, 10, false}, {seqs[3], 100, 6, false}, {seqs[9], 100, 0, false},
		{IteratorLatest, 100, 0, false}, {IteratorTrimHorizon, 4, 4, true}} {
		b, err := e.ShardBacklog(ctx, ref("s"), "shardId-000000000000", c.pos, time.Time{}, c.limit)
		if err != nil || b.Records != c.want || b.Capped != c.capped || (c.want > 0) == b.Oldest.IsZero() {
			t.Fatalf("backlog after %s (limit %d) = %+v, %v; want %d capped %v", c.pos, c.limit, b, err, c.want, c.capped)
		}
	}
	_, err := e.ShardBacklog(ctx, ref("s"), "shardId-000000000000", "12", time.Time{}, 10)
	wantCode(t, err, ErrInvalidArgument)
}

// TestSubscriptionMetersItsOwnBudget: with the stream's limits on, a consumer that just took 6 MiB waits for its
// 2 MiB/s to refill before the next push, while the shard's own GetRecords limits are untouched.
func TestSubscriptionMetersItsOwnBudget(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	data := make([]byte, 2048)
	for range 6 { // 6 MiB in 500-record calls, limits still off
		var entries []PutRecordsEntry
		for range 512 {
			entries = append(entries, PutRecordsEntry{PartitionKey: "k", Data: data})
		}
		if out, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: entries[:500]}); err != nil || out.FailedRecordCount > 0 {
			t.Fatal(err)
		}
		if out, err := e.PutRecords(ctx, PutRecordsInput{StreamRef: ref("s"), Records: entries[500:]}); err != nil || out.FailedRecordCount > 0 {
			t.Fatal(err)
		}
	}
	if err := e.SetLimitsEnforced(ctx, ref("s"), true); err != nil {
		t.Fatal(err)
	}
	c := mustRegister(t, e, streamARNOf(t, e, "s"), "app")
	sub := subscribe(t, e, c.ConsumerARN, "shardId-000000000000", StartingPosition{Type: IteratorTrimHorizon})
	first, err := sub.Next(ctx)
	if err != nil || len(first.Records) != 3072 {
		t.Fatalf("first event: %d records, %v", len(first.Records), err)
	}
	// The shard's own read limit (5 calls/s) is not touched by the subscription.
	for range 5 {
		if _, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: mustIterator(t, e, "s", "shardId-000000000000", IteratorLatest, "")}); err != nil {
			t.Fatalf("GetRecords beside the subscription: %v", err)
		}
	}
	mustPut(t, e, "s", "k", "after")
	start := time.Now()
	second, err := sub.Next(ctx)
	if err != nil || len(second.Records) != 1 {
		t.Fatalf("second event: %+v, %v", second, err)
	}
	// 6 MiB against 2 MiB/s with a 2 MiB burst: 4 MiB of debt, two seconds to wait out.
	if waited := time.Since(start); waited < 1500*time.Millisecond {
		t.Fatalf("the next push came after %v: the consumer's 2 MiB/s was not metered", waited)
	}
}

// TestSubscriptionEdges: a session older than five seconds is taken over by a new one; a stream being deleted
// ends its sessions and takes no new ones; a future AT_TIMESTAMP start still gives a continuation number that
// AFTER_SEQUENCE_NUMBER accepts; a stream called "consumer" works.
func TestSubscriptionEdges(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	e := openTest(t, Options{InMemory: true, Clock: clock, TransitionDelay: 30 * time.Millisecond})
	mustCreate(t, e, "consumer", 1)
	waitActive(t, e, "consumer")
	c := mustRegister(t, e, streamARNOf(t, e, "consumer"), "app")
	for {
		d, _ := e.DescribeStreamConsumer(ctx, ConsumerRef{ConsumerARN: c.ConsumerARN})
		if d.ConsumerStatus == ConsumerActive {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	future := now.Add(time.Hour)
	first := subscribe(t, e, c.ConsumerARN, "shardId-000000000000", StartingPosition{Type: IteratorAtTimestamp, Timestamp: &future})
	cont := first.Info().ContinuationSequenceNumber
	if _, err := e.GetShardIterator(ctx, GetShardIteratorInput{StreamRef: ref("consumer"), ShardId: "shardId-000000000000",
		ShardIteratorType: IteratorAfterSeq, StartingSequenceNumber: cont}); err != nil {
		t.Fatalf("the continuation %s of a future AT_TIMESTAMP start is refused: %v", cont, err)
	}

	advance(6 * time.Second)
	second := subscribe(t, e, c.ConsumerARN, "shardId-000000000000", StartingPosition{Type: IteratorLatest})
	if _, err := first.Next(ctx); ErrorCode(err) != ErrResourceInUse {
		t.Fatalf("the taken-over session's Next: %v, want ResourceInUseException", err)
	}

	if err := e.DeleteStream(ctx, DeleteStreamInput{StreamRef: ref("consumer"), EnforceConsumerDeletion: true}); err != nil {
		t.Fatal(err)
	}
	_, err := e.SubscribeToShard(ctx, SubscribeToShardInput{ConsumerARN: c.ConsumerARN, ShardId: "shardId-000000000000",
		StartingPosition: StartingPosition{Type: IteratorLatest}})
	wantCode(t, err, ErrResourceNotFound)
	done := make(chan error, 1)
	go func() { _, err := second.Next(ctx); done <- err }()
	select {
	case err := <-done:
		wantCode(t, err, ErrResourceNotFound)
	case <-time.After(5 * time.Second):
		t.Fatal("a session outlived its deleted stream")
	}
}

// TestDeregisterWhileCreatingStaysGone: the CREATING → ACTIVE timer does not bring back a consumer deregistered
// meanwhile.
func TestDeregisterWhileCreatingStaysGone(t *testing.T) {
	e := openTest(t, Options{InMemory: true, TransitionDelay: 50 * time.Millisecond})
	mustCreate(t, e, "s", 1)
	waitActive(t, e, "s")
	c := mustRegister(t, e, streamARNOf(t, e, "s"), "app")
	if err := e.DeregisterStreamConsumer(ctx, ConsumerRef{ConsumerARN: c.ConsumerARN}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // both timers have fired
	if d, err := e.DescribeStreamConsumer(ctx, ConsumerRef{ConsumerARN: c.ConsumerARN}); err == nil {
		t.Fatalf("the consumer came back: %+v", d)
	}
}
