package engine

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/internal/hashkey"
)

func TestSplitShard(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	before := mustPut(t, e, "s", "k", "before")
	at := hashkey.MustParse("100000000000000000000000000000000000000")
	if err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("s"), ShardToSplit: "shardId-000000000000",
		NewStartingHashKey: at.String()}); err != nil {
		t.Fatal(err)
	}
	shards, _ := e.Shards(ctx, ref("s"))
	if len(shards) != 3 || shards[0].Open || !shards[1].Open || !shards[2].Open {
		t.Fatalf("after split: %+v", shards)
	}
	if shards[1].Range.End != at.Sub1() || shards[2].Range.Start != at || shards[1].ParentShardId != "shardId-000000000000" ||
		shards[2].ParentShardId != "shardId-000000000000" || shards[1].AdjacentParentShardId != "" {
		t.Fatalf("children: %+v", shards[1:])
	}
	if !(shards[0].SequenceNumberRange.EndingSequenceNumber >= before.SequenceNumber) ||
		!(shards[1].SequenceNumberRange.StartingSequenceNumber > shards[0].SequenceNumberRange.EndingSequenceNumber[:22]) {
		t.Fatalf("sequence ranges: parent %+v child %+v", shards[0].SequenceNumberRange, shards[1].SequenceNumberRange)
	}
	if strings.Join(shards[0].Children, ",") != "shardId-000000000001,shardId-000000000002" {
		t.Fatalf("parent's children = %v", shards[0].Children)
	}
	after := mustPut(t, e, "s", "k", "after")
	if after.ShardId == "shardId-000000000000" {
		t.Fatal("a put after the split went to the closed parent")
	}

	cases := []struct {
		shard, at, code, msg string
	}{
		{"shardId-000000000000", "5", ErrInvalidArgument, "Shard shardId-000000000000 in stream s under account 000000000000 has already been merged or split, and thus is not eligible for merging or splitting."},
		{"shardId-000000000009", "5", ErrResourceNotFound, "Could not find shard shardId-000000000009 in stream s under account 000000000000."},
		{"shardId-000000000001", "1", ErrInvalidArgument, "is not both greater than one plus the shard's StartingHashKey 0"},
		{"shardId-000000000001", at.Sub1().String(), ErrInvalidArgument, "and less than the shard's EndingHashKey"},
		{"shardId-000000000001", "abc", ErrValidation, "at 'newStartingHashKey' failed to satisfy constraint"},
	}
	for _, c := range cases {
		err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("s"), ShardToSplit: c.shard, NewStartingHashKey: c.at})
		if ke := wantCode(t, err, c.code); !strings.Contains(ke.Message, c.msg) {
			t.Errorf("split %s at %s: message %q lacks %q", c.shard, c.at, ke.Message, c.msg)
		}
	}
	if n, _ := e.Shards(ctx, ref("s")); len(n) != 3 {
		t.Fatal("a refused split changed the shards")
	}
}

func TestMergeShards(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 3)
	err := e.MergeShards(ctx, MergeShardsInput{StreamRef: ref("s"), ShardToMerge: "shardId-000000000000",
		AdjacentShardToMerge: "shardId-000000000002"})
	if ke := wantCode(t, err, ErrInvalidArgument); !strings.Contains(ke.Message, "are not an adjacent pair of shards eligible for merging") {
		t.Fatalf("message = %q", ke.Message)
	}
	// The upper shard first is refused, as Kinesis does (recorded from AWS): ShardToMerge is the lower one.
	err = e.MergeShards(ctx, MergeShardsInput{StreamRef: ref("s"), ShardToMerge: "shardId-000000000002",
		AdjacentShardToMerge: "shardId-000000000001"})
	if ke := wantCode(t, err, ErrInvalidArgument); !strings.Contains(ke.Message, "are not an adjacent pair of shards eligible for merging") {
		t.Fatalf("message = %q", ke.Message)
	}
	// Short shard ids are accepted, as Kinesis accepts them
	if err := e.MergeShards(ctx, MergeShardsInput{StreamRef: ref("s"), ShardToMerge: "shardId-1",
		AdjacentShardToMerge: "2"}); err != nil {
		t.Fatal(err)
	}
	shards, _ := e.Shards(ctx, ref("s"))
	child := shards[3]
	if len(shards) != 4 || shards[1].Open || shards[2].Open || !child.Open ||
		child.ParentShardId != "shardId-000000000001" || child.AdjacentParentShardId != "shardId-000000000002" ||
		child.Range.Start != shards[1].Range.Start || child.Range.End != hashkey.Max {
		t.Fatalf("after merge: %+v", shards)
	}
	err = e.MergeShards(ctx, MergeShardsInput{StreamRef: ref("s"), ShardToMerge: "shardId-000000000001",
		AdjacentShardToMerge: "shardId-000000000000"})
	if ke := wantCode(t, err, ErrInvalidArgument); !strings.Contains(ke.Message, "has already been merged or split") {
		t.Fatalf("merging a closed shard: %q", ke.Message)
	}
}

func TestUpdateShardCount(t *testing.T) {
	for _, c := range []struct{ from, to int }{{4, 8}, {4, 2}, {3, 5}, {5, 3}, {1, 2}, {6, 6}} {
		e := openTest(t, Options{InMemory: true})
		mustCreate(t, e, "s", c.from)
		if c.from == 6 { // make an uneven layout first, so scaling to the same count has work to do
			shards, _ := e.Shards(ctx, ref("s"))
			if err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("s"), ShardToSplit: shards[0].ShardId,
				NewStartingHashKey: shards[0].Range.Mid().String()}); err != nil {
				t.Fatal(err)
			}
			c.from = 7
		}
		out, err := e.UpdateShardCount(ctx, UpdateShardCountInput{StreamRef: ref("s"), TargetShardCount: c.to,
			ScalingType: ScalingUniform})
		if err != nil {
			t.Fatalf("%d → %d: %v", c.from, c.to, err)
		}
		if out.CurrentShardCount != c.from || out.TargetShardCount != c.to {
			t.Fatalf("%d → %d: output %+v", c.from, c.to, out)
		}
		shards, _ := e.Shards(ctx, ref("s"))
		var open []ShardInfo
		for _, sh := range shards {
			if sh.Open {
				open = append(open, sh)
			}
			if sh.ParentShardId == "" && sh.Index >= c.from {
				t.Fatalf("%d → %d: new shard %s has no parent", c.from, c.to, sh.ShardId)
			}
		}
		sort.Slice(open, func(i, j int) bool { return open[i].Range.Start.Less(open[j].Range.Start) })
		want := hashkey.EvenSplit(c.to)
		if len(open) != c.to {
			t.Fatalf("%d → %d: %d open shards", c.from, c.to, len(open))
		}
		for i := range want {
			if open[i].Range != want[i] {
				t.Fatalf("%d → %d: open shard %d covers %v, want %v", c.from, c.to, i, open[i].Range, want[i])
			}
		}
	}
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 4)
	for target, msg := range map[int]string{9: "cannot scale up over double", 1: "cannot scale down below half"} {
		_, err := e.UpdateShardCount(ctx, UpdateShardCountInput{StreamRef: ref("s"), TargetShardCount: target,
			ScalingType: ScalingUniform})
		if ke := wantCode(t, err, ErrLimitExceeded); !strings.Contains(ke.Message, msg) {
			t.Fatalf("target %d: %q", target, ke.Message)
		}
	}
	_, err := e.UpdateShardCount(ctx, UpdateShardCountInput{StreamRef: ref("s"), TargetShardCount: 4, ScalingType: "FAST"})
	wantCode(t, err, ErrValidation)
}

func TestReshardRespectsShardLimit(t *testing.T) {
	e := openTest(t, Options{InMemory: true, ShardLimit: 4})
	mustCreate(t, e, "s", 4)
	err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("s"), ShardToSplit: "shardId-000000000000",
		NewStartingHashKey: "1000"})
	wantCode(t, err, ErrLimitExceeded)
}

func TestReadingAClosedShardLeadsToItsChildren(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 1)
	mustPut(t, e, "s", "k", "1")
	it := mustIterator(t, e, "s", "shardId-000000000000", IteratorTrimHorizon, "")
	latest := mustIterator(t, e, "s", "shardId-000000000000", IteratorLatest, "")
	if err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("s"), ShardToSplit: "shardId-000000000000",
		NewStartingHashKey: hashkey.Range{End: hashkey.Max}.Mid().String()}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, e, "s", "k", "2")
	out, err := e.GetRecords(ctx, GetRecordsInput{ShardIterator: it})
	if err != nil || len(out.Records) != 1 || string(out.Records[0].Data) != "1" {
		t.Fatalf("reading the closed parent: %+v, %v", out, err)
	}
	if out.NextShardIterator != "" || len(out.ChildShards) != 2 {
		t.Fatalf("end of a closed shard: next=%q children=%+v", out.NextShardIterator, out.ChildShards)
	}
	if c := out.ChildShards[0]; c.ShardId != "shardId-000000000001" || len(c.ParentShards) != 1 ||
		c.ParentShards[0] != "shardId-000000000000" || c.HashKeyRange.StartingHashKey != "0" {
		t.Fatalf("child shard %+v", c)
	}
	out, err = e.GetRecords(ctx, GetRecordsInput{ShardIterator: latest})
	if err != nil || len(out.Records) != 0 || out.NextShardIterator != "" || len(out.ChildShards) != 2 {
		t.Fatalf("LATEST iterator taken before the split: %+v, %v", out, err)
	}
	closedLatest := mustIterator(t, e, "s", "shardId-000000000000", IteratorLatest, "")
	out, _ = e.GetRecords(ctx, GetRecordsInput{ShardIterator: closedLatest})
	if out.NextShardIterator != "" {
		t.Fatal("LATEST on a closed shard still has a next iterator")
	}
}

func TestListShardsFilters(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now})
	t0 := clock.Now()
	mustCreate(t, e, "s", 2)
	clock.Add(time.Hour)
	t1 := clock.Now()
	if err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("s"), ShardToSplit: "shardId-000000000000",
		NewStartingHashKey: "1000"}); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	ids := func(f *ShardFilter) string {
		out, err := e.ListShards(ctx, ListShardsInput{StreamRef: ref("s"), ShardFilter: f})
		if err != nil {
			t.Fatalf("filter %+v: %v", f, err)
		}
		var s []string
		for _, sh := range out.Shards {
			s = append(s, strings.TrimPrefix(sh.ShardId, "shardId-00000000000"))
		}
		return strings.Join(s, ",")
	}
	cases := []struct {
		f    *ShardFilter
		want string
	}{
		{nil, "0,1,2,3"},
		{&ShardFilter{Type: FilterAtLatest}, "1,2,3"},
		{&ShardFilter{Type: FilterAtTrimHorizon}, "0,1"},
		{&ShardFilter{Type: FilterFromTrimHorizon}, "0,1,2,3"},
		{&ShardFilter{Type: FilterAfterShardID, ShardId: "shardId-000000000001"}, "2,3"},
		{&ShardFilter{Type: FilterAtTimestamp, Timestamp: ptr(t0.Add(time.Minute))}, "0,1"},
		{&ShardFilter{Type: FilterAtTimestamp, Timestamp: ptr(t1.Add(time.Minute))}, "1,2,3"},
		{&ShardFilter{Type: FilterFromTimestamp, Timestamp: ptr(t1.Add(time.Minute))}, "1,2,3"},
		{&ShardFilter{Type: FilterFromTimestamp, Timestamp: ptr(t0)}, "0,1,2,3"},
	}
	for _, c := range cases {
		if got := ids(c.f); got != c.want {
			t.Errorf("filter %+v: %s, want %s", c.f, got, c.want)
		}
	}
	_, err := e.ListShards(ctx, ListShardsInput{StreamRef: ref("s"), ShardFilter: &ShardFilter{Type: FilterAtTimestamp}})
	wantCode(t, err, ErrInvalidArgument)
	_, err = e.ListShards(ctx, ListShardsInput{StreamRef: ref("s"), ShardFilter: &ShardFilter{Type: "SIDEWAYS"}})
	wantCode(t, err, ErrValidation)
}

func TestListShardsPagination(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now})
	mustCreate(t, e, "s", 5)
	var got []string
	in := ListShardsInput{StreamRef: ref("s"), MaxResults: ptr(2)}
	for pages := 0; ; pages++ {
		out, err := e.ListShards(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range out.Shards {
			got = append(got, sh.ShardId)
		}
		if out.NextToken == "" {
			break
		}
		in = ListShardsInput{NextToken: out.NextToken, MaxResults: ptr(2)}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(got) != 5 || got[4] != "shardId-000000000004" {
		t.Fatalf("pages gave %v", got)
	}
	first, _ := e.ListShards(ctx, ListShardsInput{StreamRef: ref("s"), MaxResults: ptr(1)})
	_, err := e.ListShards(ctx, ListShardsInput{NextToken: first.NextToken, StreamRef: ref("s")})
	wantCode(t, err, ErrInvalidArgument)
	clock.Add(6 * time.Minute)
	_, err = e.ListShards(ctx, ListShardsInput{NextToken: first.NextToken})
	wantCode(t, err, ErrExpiredNextToken)
	out, _ := e.ListShards(ctx, ListShardsInput{StreamRef: ref("s"), ExclusiveStartShardId: "shardId-000000000003"})
	if len(out.Shards) != 1 {
		t.Fatalf("ExclusiveStartShardId: %+v", out.Shards)
	}
}

func TestDelayedReshardSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardlab.db")
	e, err := Open(Options{Path: path, TransitionDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	mustCreateWait(t, e, "s", 1)
	if err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("s"), ShardToSplit: "shardId-000000000000",
		NewStartingHashKey: "1000"}); err != nil {
		t.Fatal(err)
	}
	e.Close()
	e = openTest(t, Options{Path: path})
	sum, _ := e.DescribeStreamSummary(ctx, ref("s"))
	if sum.StreamStatus != StatusActive || sum.OpenShardCount != 2 {
		t.Fatalf("after restart the acknowledged split is %+v", sum)
	}
}

// mustCreateWait creates a stream on an engine with a transition delay and finishes its CREATING state at once.
func mustCreateWait(t *testing.T, e *Engine, name string, shards int) {
	t.Helper()
	mustCreate(t, e, name, shards)
	s, _ := e.lookup(ctx, ref(name))
	if err := e.setStatus(s, StatusCreating, StatusActive); err != nil {
		t.Fatal(err)
	}
}

func TestTransientShardsEndWhereTheyStart(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "s", 3)
	if _, err := e.UpdateShardCount(ctx, UpdateShardCountInput{StreamRef: ref("s"), TargetShardCount: 2,
		ScalingType: ScalingUniform}); err != nil {
		t.Fatal(err)
	}
	shards, _ := e.Shards(ctx, ref("s"))
	for _, sh := range shards {
		r := sh.SequenceNumberRange
		if r.EndingSequenceNumber != "" && r.EndingSequenceNumber < r.StartingSequenceNumber {
			t.Fatalf("shard %s ends (%s) before it starts (%s)", sh.ShardId, r.EndingSequenceNumber, r.StartingSequenceNumber)
		}
	}
}
