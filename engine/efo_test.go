package engine

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func streamARNOf(t *testing.T, e *Engine, name string) string {
	t.Helper()
	d, err := e.DescribeStreamSummary(ctx, ref(name))
	if err != nil {
		t.Fatal(err)
	}
	return d.StreamARN
}

func mustRegister(t *testing.T, e *Engine, streamARN, name string) *Consumer {
	t.Helper()
	c, err := e.RegisterStreamConsumer(ctx, streamARN, name)
	if err != nil {
		t.Fatalf("RegisterStreamConsumer(%s): %v", name, err)
	}
	return c
}

func TestConsumerRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardlab.db")
	e := openTest(t, Options{Path: path})
	mustCreate(t, e, "s", 2)
	arn := streamARNOf(t, e, "s")
	c := mustRegister(t, e, arn, "app-1")
	if c.ConsumerStatus != ConsumerActive || !strings.HasPrefix(c.ConsumerARN, arn+"/consumer/app-1:") {
		t.Fatalf("registered %+v", c)
	}
	byARN, err := e.DescribeStreamConsumer(ctx, ConsumerRef{ConsumerARN: c.ConsumerARN})
	if err != nil || byARN.ConsumerName != "app-1" || byARN.StreamARN != arn {
		t.Fatalf("describe by ARN: %+v, %v", byARN, err)
	}
	byName, err := e.DescribeStreamConsumer(ctx, ConsumerRef{StreamARN: arn, ConsumerName: "app-1"})
	if err != nil || byName.ConsumerARN != c.ConsumerARN {
		t.Fatalf("describe by name: %+v, %v", byName, err)
	}

	_, err = e.RegisterStreamConsumer(ctx, arn, "app-1")
	wantCode(t, err, ErrResourceInUse)
	_, err = e.RegisterStreamConsumer(ctx, arn, "bad name!")
	if ke := wantCode(t, err, ErrValidation); !strings.Contains(ke.Message, "consumerName") {
		t.Fatalf("bad name: %v", ke)
	}
	_, err = e.RegisterStreamConsumer(ctx, "arn:aws:kinesis:us-east-1:000000000000:stream/nope", "x")
	wantCode(t, err, ErrResourceNotFound)
	_, err = e.DescribeStreamConsumer(ctx, ConsumerRef{ConsumerARN: "arn:aws:kinesis:x"})
	wantCode(t, err, ErrValidation)
	_, err = e.DescribeStreamConsumer(ctx, ConsumerRef{StreamARN: arn})
	wantCode(t, err, ErrInvalidArgument)
	_, err = e.DescribeStreamConsumer(ctx, ConsumerRef{StreamARN: arn, ConsumerName: "ghost"})
	wantCode(t, err, ErrResourceNotFound)

	for i := 2; i <= maxConsumersPerStream; i++ {
		mustRegister(t, e, arn, fmt.Sprintf("app-%d", i))
	}
	_, err = e.RegisterStreamConsumer(ctx, arn, "one-too-many")
	wantCode(t, err, ErrLimitExceeded)

	var names []string
	token := ""
	for {
		out, err := e.ListStreamConsumers(ctx, ListStreamConsumersInput{StreamARN: arn, NextToken: token, MaxResults: ptr(7)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range out.Consumers {
			names = append(names, c.ConsumerName)
		}
		if token = out.NextToken; token == "" {
			break
		}
	}
	if len(names) != maxConsumersPerStream || names[0] != "app-1" || names[19] != "app-20" {
		t.Fatalf("listed %v", names)
	}
	if sum, _ := e.DescribeStreamSummary(ctx, ref("s")); sum.ConsumerCount != maxConsumersPerStream {
		t.Fatalf("ConsumerCount %d", sum.ConsumerCount)
	}

	// Consumers are stream metadata: they survive a restart.
	e.Close()
	e = openTest(t, Options{Path: path})
	if _, err := e.DescribeStreamConsumer(ctx, ConsumerRef{ConsumerARN: c.ConsumerARN}); err != nil {
		t.Fatalf("after restart: %v", err)
	}

	if err := e.DeregisterStreamConsumer(ctx, ConsumerRef{ConsumerARN: c.ConsumerARN}); err != nil {
		t.Fatal(err)
	}
	_, err = e.DescribeStreamConsumer(ctx, ConsumerRef{ConsumerARN: c.ConsumerARN})
	wantCode(t, err, ErrResourceNotFound)

	// A stream with consumers is deleted only when the caller says so.
	wantCode(t, e.DeleteStream(ctx, DeleteStreamInput{StreamRef: ref("s")}), ErrResourceInUse)
	if err := e.DeleteStream(ctx, DeleteStreamInput{StreamRef: ref("s"), EnforceConsumerDeletion: true}); err != nil {
		t.Fatal(err)
	}
}

func TestConsumerCreatingThenActive(t *testing.T) {
	e := openTest(t, Options{InMemory: true, TransitionDelay: 50 * time.Millisecond})
	mustCreate(t, e, "s", 1)
	waitActive(t, e, "s")
	c := mustRegister(t, e, streamARNOf(t, e, "s"), "app")
	if c.ConsumerStatus != ConsumerCreating {
		t.Fatalf("status %s right after registering", c.ConsumerStatus)
	}
	_, err := e.SubscribeToShard(ctx, SubscribeToShardInput{ConsumerARN: c.ConsumerARN, ShardId: "shardId-000000000000",
		StartingPosition: StartingPosition{Type: IteratorLatest}})
	wantCode(t, err, ErrResourceInUse)
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := e.DescribeStreamConsumer(ctx, ConsumerRef{ConsumerARN: c.ConsumerARN})
		if err != nil {
			t.Fatal(err)
		}
		if d.ConsumerStatus == ConsumerActive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s", d.ConsumerStatus)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitActive(t *testing.T, e *Engine, name string) {
	t.Helper()
	for range 500 {
		if d, err := e.DescribeStreamSummary(ctx, ref(name)); err == nil && d.StreamStatus == StatusActive {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("stream %s never became ACTIVE", name)
}
