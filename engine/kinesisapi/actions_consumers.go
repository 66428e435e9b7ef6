package kinesisapi

import (
	"context"

	"github.com/shardlab/shardlab/engine"
)

// The enhanced fan-out registry: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers and
// DeregisterStreamConsumer. SubscribeToShard streams its answer and lives in subscribe.go.

type consumerWire struct {
	ConsumerName              string     `json:"ConsumerName"`
	ConsumerARN               string     `json:"ConsumerARN"`
	ConsumerStatus            string     `json:"ConsumerStatus"`
	ConsumerCreationTimestamp *timestamp `json:"ConsumerCreationTimestamp"`
	StreamARN                 string     `json:"StreamARN,omitempty"` // only in DescribeStreamConsumer's answer
}

func consumerOut(c *engine.Consumer, withStream bool) consumerWire {
	w := consumerWire{ConsumerName: c.ConsumerName, ConsumerARN: c.ConsumerARN, ConsumerStatus: c.ConsumerStatus,
		ConsumerCreationTimestamp: ts(c.ConsumerCreationTimestamp)}
	if withStream {
		w.StreamARN = c.StreamARN
	}
	return w
}

type consumerRefIn struct {
	StreamARN    string `json:"StreamARN"`
	ConsumerName string `json:"ConsumerName"`
	ConsumerARN  string `json:"ConsumerARN"`
}

func (in *consumerRefIn) ref() engine.ConsumerRef {
	return engine.ConsumerRef{StreamARN: in.StreamARN, ConsumerName: in.ConsumerName, ConsumerARN: in.ConsumerARN}
}

func registerStreamConsumer(ctx context.Context, eng *engine.Engine, in *consumerRefIn) (any, error) {
	c, err := eng.RegisterStreamConsumer(ctx, in.StreamARN, in.ConsumerName)
	if err != nil {
		return nil, err
	}
	return struct {
		Consumer consumerWire `json:"Consumer"`
	}{consumerOut(c, false)}, nil
}

func describeStreamConsumer(ctx context.Context, eng *engine.Engine, in *consumerRefIn) (any, error) {
	c, err := eng.DescribeStreamConsumer(ctx, in.ref())
	if err != nil {
		return nil, err
	}
	return struct {
		ConsumerDescription consumerWire `json:"ConsumerDescription"`
	}{consumerOut(c, true)}, nil
}

func deregisterStreamConsumer(ctx context.Context, eng *engine.Engine, in *consumerRefIn) (any, error) {
	return nil, eng.DeregisterStreamConsumer(ctx, in.ref())
}

type listStreamConsumersIn struct {
	StreamARN               string     `json:"StreamARN"`
	NextToken               string     `json:"NextToken"`
	MaxResults              *int       `json:"MaxResults"`
	StreamCreationTimestamp *timestamp `json:"StreamCreationTimestamp"`
}

func listStreamConsumers(ctx context.Context, eng *engine.Engine, in *listStreamConsumersIn) (any, error) {
	req := engine.ListStreamConsumersInput{StreamARN: in.StreamARN, NextToken: in.NextToken, MaxResults: in.MaxResults}
	if in.StreamCreationTimestamp != nil {
		req.StreamCreationTimestamp = &in.StreamCreationTimestamp.Time
	}
	out, err := eng.ListStreamConsumers(ctx, req)
	if err != nil {
		return nil, err
	}
	consumers := make([]consumerWire, len(out.Consumers))
	for i := range out.Consumers {
		consumers[i] = consumerOut(&out.Consumers[i], false)
	}
	return struct {
		Consumers []consumerWire `json:"Consumers"`
		NextToken string         `json:"NextToken,omitempty"`
	}{consumers, out.NextToken}, nil
}
