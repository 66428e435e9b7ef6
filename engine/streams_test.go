package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCreateStreamValidation(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	cases := []struct {
		name string
		in   CreateStreamInput
		code string
		msg  string
	}{
		{"missing name", CreateStreamInput{ShardCount: ptr(1)}, ErrValidation,
			"Value null at 'streamName' failed to satisfy constraint: Member must not be null"},
		{"bad characters", CreateStreamInput{StreamName: "a b", ShardCount: ptr(1)}, ErrValidation,
			"Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{"too long", CreateStreamInput{StreamName: strings.Repeat("x", 129), ShardCount: ptr(1)}, ErrValidation,
			"Member must have length less than or equal to 128"},
		{"zero shards", CreateStreamInput{StreamName: "s", ShardCount: ptr(0)}, ErrValidation,
			"Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"no shard count", CreateStreamInput{StreamName: "s"}, ErrInvalidArgument, "ShardCount is required"},
		{"bad mode", CreateStreamInput{StreamName: "s", StreamMode: "FAST"}, ErrValidation,
			"Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]"},
		{"over shard limit", CreateStreamInput{StreamName: "s", ShardCount: ptr(501)}, ErrLimitExceeded,
			"This request would exceed the shard limit for the account 000000000000 in us-east-1"},
		{"two errors", CreateStreamInput{StreamName: "a b", ShardCount: ptr(0)}, ErrValidation,
			"2 validation errors detected: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.CreateStream(ctx, c.in)
			ke := wantCode(t, err, c.code)
			if !strings.Contains(ke.Message, c.msg) {
				t.Fatalf("message %q does not contain %q", ke.Message, c.msg)
			}
			if len(e.Streams()) != 0 {
				t.Fatal("a rejected CreateStream left a stream behind")
			}
		})
	}
}

func TestCreateDescribeListDelete(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "orders", 3)
	err := e.CreateStream(ctx, CreateStreamInput{StreamName: "orders", ShardCount: ptr(1)})
	wantCode(t, err, ErrResourceInUse)

	d, err := e.DescribeStream(ctx, DescribeStreamInput{StreamRef: ref("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if d.StreamStatus != StatusActive || d.RetentionPeriodHours != 24 || d.StreamMode != ModeProvisioned ||
		len(d.Shards) != 3 || d.StreamARN != "arn:aws:kinesis:us-east-1:000000000000:stream/orders" {
		t.Fatalf("unexpected description %+v", d)
	}
	if d.Shards[0].HashKeyRange.StartingHashKey != "0" ||
		d.Shards[2].HashKeyRange.EndingHashKey != "340282366920938463463374607431768211455" {
		t.Fatalf("shards do not cover the key space: %+v", d.Shards)
	}
	page, _ := e.DescribeStream(ctx, DescribeStreamInput{StreamRef: ref("orders"), Limit: ptr(2)})
	if len(page.Shards) != 2 || !page.HasMoreShards {
		t.Fatalf("Limit 2 gave %d shards, HasMoreShards=%v", len(page.Shards), page.HasMoreShards)
	}
	rest, _ := e.DescribeStream(ctx, DescribeStreamInput{StreamRef: ref("orders"),
		ExclusiveStartShardId: page.Shards[1].ShardId})
	if len(rest.Shards) != 1 || rest.HasMoreShards {
		t.Fatalf("second page: %+v", rest)
	}

	sum, err := e.DescribeStreamSummary(ctx, StreamRef{StreamARN: d.StreamARN})
	if err != nil || sum.OpenShardCount != 3 || sum.StreamName != "orders" {
		t.Fatalf("summary by ARN = %+v, %v", sum, err)
	}

	for i := range 5 {
		mustCreate(t, e, fmt.Sprintf("s%d", i), 1)
	}
	l1, err := e.ListStreams(ctx, ListStreamsInput{Limit: ptr(4)})
	if err != nil || len(l1.StreamNames) != 4 || !l1.HasMoreStreams || l1.NextToken == "" {
		t.Fatalf("first page %+v, %v", l1, err)
	}
	l2, err := e.ListStreams(ctx, ListStreamsInput{NextToken: l1.NextToken})
	if err != nil || len(l2.StreamNames) != 2 || l2.HasMoreStreams {
		t.Fatalf("second page %+v, %v", l2, err)
	}
	if got := strings.Join(append(l1.StreamNames, l2.StreamNames...), ","); got != "orders,s0,s1,s2,s3,s4" {
		t.Fatalf("pages = %s", got)
	}
	_, err = e.ListStreams(ctx, ListStreamsInput{NextToken: l1.NextToken + "x"})
	wantCode(t, err, ErrInvalidArgument)

	if err := e.DeleteStream(ctx, DeleteStreamInput{StreamRef: ref("orders")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.DescribeStream(ctx, DescribeStreamInput{StreamRef: ref("orders")})
	ke := wantCode(t, err, ErrResourceNotFound)
	if ke.Message != "Stream orders under account 000000000000 not found." {
		t.Fatalf("message = %q", ke.Message)
	}
	wantCode(t, e.DeleteStream(ctx, DeleteStreamInput{StreamRef: ref("orders")}), ErrResourceNotFound)
}

func TestStatusTransitions(t *testing.T) {
	e := openTest(t, Options{InMemory: true, TransitionDelay: 50 * time.Millisecond})
	mustCreate(t, e, "slow", 2)
	status := func() string {
		d, err := e.DescribeStreamSummary(ctx, ref("slow"))
		if err != nil {
			return "gone"
		}
		return d.StreamStatus
	}
	if s := status(); s != StatusCreating {
		t.Fatalf("right after CreateStream the status is %s", s)
	}
	// While CREATING the shards are not listed yet, as in Kinesis.
	if d, err := e.DescribeStream(ctx, DescribeStreamInput{StreamRef: ref("slow")}); err != nil ||
		d.StreamStatus == StatusCreating && (len(d.Shards) != 0 || d.HasMoreShards) {
		t.Fatalf("DescribeStream while CREATING: %+v, %v", d, err)
	}
	_, err := e.PutRecord(ctx, PutRecordInput{StreamRef: ref("slow"), PartitionKey: "k", Data: []byte("x")})
	wantCode(t, err, ErrResourceNotFound)
	waitStatus(t, status, StatusActive)
	if d, _ := e.DescribeStream(ctx, DescribeStreamInput{StreamRef: ref("slow")}); len(d.Shards) != 2 {
		t.Fatalf("DescribeStream once ACTIVE: %+v", d)
	}

	shards, _ := e.Shards(ctx, ref("slow"))
	if err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("slow"), ShardToSplit: shards[0].ShardId,
		NewStartingHashKey: shards[0].Range.Mid().String()}); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != StatusUpdating {
		t.Fatalf("after SplitShard the status is %s", s)
	}
	mustPut(t, e, "slow", "k", "writes go on while UPDATING")
	err = e.MergeShards(ctx, MergeShardsInput{StreamRef: ref("slow"), ShardToMerge: shards[0].ShardId,
		AdjacentShardToMerge: shards[1].ShardId})
	if ke := wantCode(t, err, ErrResourceInUse); !strings.Contains(ke.Message, "not ACTIVE, instead in state UPDATING") {
		t.Fatalf("message = %q", ke.Message)
	}
	waitStatus(t, status, StatusActive)
	if after, _ := e.Shards(ctx, ref("slow")); len(after) != 4 {
		t.Fatalf("after the split there are %d shards, want 4", len(after))
	}

	if err := e.DeleteStream(ctx, DeleteStreamInput{StreamRef: ref("slow")}); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != StatusDeleting {
		t.Fatalf("after DeleteStream the status is %s", s)
	}
	if d, err := e.DescribeStream(ctx, DescribeStreamInput{StreamRef: ref("slow")}); err == nil &&
		d.StreamStatus == StatusDeleting && len(d.Shards) != 0 {
		t.Fatalf("DescribeStream while DELETING lists %d shards", len(d.Shards))
	}
	waitStatus(t, status, "gone")
}

func waitStatus(t *testing.T, status func() string, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for status() != want {
		if time.Now().After(deadline) {
			t.Fatalf("status stayed %s, want %s", status(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetentionPeriod(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "r", 1)
	cases := []struct {
		name     string
		increase bool
		hours    int
		code     string
		msg      string
	}{
		{"raise", true, 48, "", ""},
		{"raise below current", true, 36, ErrInvalidArgument, "can not be shorter than existing retention period (48 hours)"},
		{"raise past a year", true, 8761, ErrInvalidArgument, "Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long."},
		{"lower", false, 30, "", ""},
		{"lower under a day", false, 12, ErrInvalidArgument, "Minimum allowed retention period is 24 hours"},
		{"lower above current", false, 40, ErrInvalidArgument, "can not be longer than existing retention period (30 hours)"},
		{"max", true, 8760, "", ""},
	}
	for _, c := range cases {
		var err error
		if c.increase {
			err = e.IncreaseStreamRetentionPeriod(ctx, ref("r"), c.hours)
		} else {
			err = e.DecreaseStreamRetentionPeriod(ctx, ref("r"), c.hours)
		}
		if c.code == "" {
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if d, _ := e.DescribeStreamSummary(ctx, ref("r")); d.RetentionPeriodHours != c.hours {
				t.Fatalf("%s: retention is %d", c.name, d.RetentionPeriodHours)
			}
			continue
		}
		if ke := wantCode(t, err, c.code); !strings.Contains(ke.Message, c.msg) {
			t.Fatalf("%s: message %q lacks %q", c.name, ke.Message, c.msg)
		}
	}
}

func TestExpiredRecordsAreTrimmed(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now, RetentionCheckInterval: time.Hour})
	mustCreate(t, e, "r", 1)
	mustPut(t, e, "r", "k", "old")
	clock.Add(23 * time.Hour)
	mustPut(t, e, "r", "k", "new")
	clock.Add(2 * time.Hour)
	if err := e.TrimExpired(); err != nil {
		t.Fatal(err)
	}
	shards, _ := e.Shards(ctx, ref("r"))
	data, _ := readAll(t, e, mustIterator(t, e, "r", shards[0].ShardId, IteratorTrimHorizon, ""))
	if strings.Join(data, ",") != "new" {
		t.Fatalf("after 25 h the shard holds %v, want only the 2-hour-old record", data)
	}
}

func TestClosedShardsExpireWithRetention(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now, RetentionCheckInterval: time.Hour})
	mustCreate(t, e, "r", 1)
	shards, _ := e.Shards(ctx, ref("r"))
	if err := e.SplitShard(ctx, SplitShardInput{StreamRef: ref("r"), ShardToSplit: shards[0].ShardId,
		NewStartingHashKey: shards[0].Range.Mid().String()}); err != nil {
		t.Fatal(err)
	}
	clock.Add(25 * time.Hour)
	if err := e.TrimExpired(); err != nil {
		t.Fatal(err)
	}
	after, _ := e.Shards(ctx, ref("r"))
	if len(after) != 2 || after[0].ParentShardId != shards[0].ShardId {
		t.Fatalf("after retention the shards are %+v; want the two children, still naming their parent", after)
	}
}

func TestTags(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	if err := e.CreateStream(ctx, CreateStreamInput{StreamName: "t", ShardCount: ptr(1),
		Tags: map[string]string{"team": "data"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.AddTagsToStream(ctx, ref("t"), map[string]string{"env": "dev", "team": "platform"}); err != nil {
		t.Fatal(err)
	}
	out, err := e.ListTagsForStream(ctx, ref("t"), "", ptr(1))
	if err != nil || len(out.Tags) != 1 || out.Tags[0] != (Tag{"env", "dev"}) || !out.HasMoreTags {
		t.Fatalf("first page %+v, %v", out, err)
	}
	out, _ = e.ListTagsForStream(ctx, ref("t"), "env", nil)
	if len(out.Tags) != 1 || out.Tags[0] != (Tag{"team", "platform"}) || out.HasMoreTags {
		t.Fatalf("second page %+v", out)
	}
	if err := e.RemoveTagsFromStream(ctx, ref("t"), []string{"team", "absent"}); err != nil {
		t.Fatal(err)
	}
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	err = e.AddTagsToStream(ctx, ref("t"), many)
	if ke := wantCode(t, err, ErrInvalidArgument); !strings.Contains(ke.Message, "more than 50 tags") {
		t.Fatalf("message = %q", ke.Message)
	}
	out, _ = e.ListTagsForStream(ctx, ref("t"), "", nil)
	if len(out.Tags) != 1 || out.Tags[0].Key != "env" {
		t.Fatalf("a refused AddTagsToStream changed the tags: %+v", out.Tags)
	}
	wantCode(t, e.AddTagsToStream(ctx, ref("t"), map[string]string{}), ErrValidation)
	// Characters are checked once the stream is found, and answered as Kinesis does (recorded from AWS).
	for _, bad := range []map[string]string{{"bad{": "x"}, {"a;b": "x"}, {"k": "a,b"}, {"k": "tab\there"}, {"k": "line\nbreak"}} {
		ke := wantCode(t, e.AddTagsToStream(ctx, ref("t"), bad), ErrInvalidArgument)
		if !strings.HasPrefix(ke.Message, "Some tags contain invalid characters.") {
			t.Errorf("%v: %q", bad, ke.Message)
		}
		wantCode(t, e.AddTagsToStream(ctx, ref("missing"), bad), ErrResourceNotFound)
	}
	wantCode(t, e.RemoveTagsFromStream(ctx, ref("t"), []string{"a;b"}), ErrInvalidArgument)
	wantCode(t, e.RemoveTagsFromStream(ctx, ref("missing"), []string{"a;b"}), ErrResourceNotFound)
	if err := e.AddTagsToStream(ctx, ref("t"), map[string]string{"Za": "z", "spaced key": "a value", "c": ""}); err != nil {
		t.Fatal(err)
	}
	// ExclusiveStartTagKey is only a place in the key order: any characters, the keys after it in order
	out, err = e.ListTagsForStream(ctx, ref("t"), "Za$Z%*(*&@,,.,,", nil)
	if err != nil || len(out.Tags) != 3 || out.Tags[0].Key != "c" || out.Tags[1].Key != "env" || out.Tags[2].Key != "spaced key" {
		t.Fatalf("after an odd start key: %+v, %v", out, err)
	}
}

func TestScopesKeepAccountsAndRegionsApart(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	west := WithScope(ctx, Scope{Account: "111111111111", Region: "us-west-2"})
	if err := e.CreateStream(west, CreateStreamInput{StreamName: "same", ShardCount: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, e, "same", 2)
	d, err := e.DescribeStream(west, DescribeStreamInput{StreamRef: ref("same")})
	if err != nil || len(d.Shards) != 1 || d.StreamARN != "arn:aws:kinesis:us-west-2:111111111111:stream/same" {
		t.Fatalf("west stream %+v, %v", d, err)
	}
	d, err = e.DescribeStream(ctx, DescribeStreamInput{StreamRef: StreamRef{StreamARN: d.StreamARN}})
	if err != nil || len(d.Shards) != 1 {
		t.Fatalf("ARN addressing from another scope: %+v, %v", d, err)
	}
	l, _ := e.ListStreams(west, ListStreamsInput{})
	if len(l.StreamNames) != 1 {
		t.Fatalf("west lists %v", l.StreamNames)
	}
	_, err = e.DescribeStream(ctx, DescribeStreamInput{StreamRef: StreamRef{StreamARN: "arn:aws:s3:::bucket"}})
	wantCode(t, err, ErrInvalidArgument)
}

func TestLimitsAndModes(t *testing.T) {
	e := openTest(t, Options{InMemory: true, ShardLimit: 10})
	if err := e.CreateStream(ctx, CreateStreamInput{StreamName: "od", StreamMode: ModeOnDemand}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, e, "p", 2)
	lim := e.DescribeLimits(ctx)
	if lim != (Limits{ShardLimit: 10, OpenShardCount: 6, OnDemandStreamCount: 1, OnDemandStreamCountLimit: 50}) {
		t.Fatalf("DescribeLimits = %+v", lim)
	}
	if err := e.UpdateStreamMode(ctx, ref("p"), ModeOnDemand); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.DescribeStreamSummary(ctx, ref("p")); d.StreamMode != ModeOnDemand {
		t.Fatalf("mode = %s", d.StreamMode)
	}
	wantCode(t, e.CreateStream(ctx, CreateStreamInput{StreamName: "big", ShardCount: ptr(5)}), ErrLimitExceeded)
	if err := e.UpdateMaxRecordSize(ctx, ref("p"), 2048); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.UpdateMaxRecordSize(ctx, ref("p"), 20000), ErrValidation)
	if d, _ := e.DescribeStreamSummary(ctx, ref("p")); d.MaxRecordSizeInKiB != 2048 {
		t.Fatalf("MaxRecordSizeInKiB = %d", d.MaxRecordSizeInKiB)
	}
}
