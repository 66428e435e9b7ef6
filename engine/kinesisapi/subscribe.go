package kinesisapi

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/aws/smithy-go/eventstream"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/bufpool"
)

// SubscribeToShard answers with an AWS event stream (application/vnd.amazon.eventstream): an initial-response
// message, then a SubscribeToShardEvent message for each push, each payload in the request's format, flushed as it
// is written, over HTTP/2 (h2c or TLS) or chunked HTTP/1.1. Errors found before the stream starts are ordinary
// error answers; later ones end it with an exception message.

type startingPositionIn struct {
	Type           string     `json:"Type"`
	SequenceNumber string     `json:"SequenceNumber"`
	Timestamp      *timestamp `json:"Timestamp"`
}

type subscribeToShardIn struct {
	ConsumerARN      string             `json:"ConsumerARN"`
	ShardId          string             `json:"ShardId"`
	StartingPosition startingPositionIn `json:"StartingPosition"`
}

type subscribeToShardEventOut struct {
	Records                    []record     `json:"Records"`
	ContinuationSequenceNumber *string      `json:"ContinuationSequenceNumber"`
	MillisBehindLatest         int64        `json:"MillisBehindLatest"`
	ChildShards                []childShard `json:"ChildShards,omitempty"`
}

func (s *Server) serveSubscribeToShard(w http.ResponseWriter, r *http.Request, f format) {
	body, owned, err := s.readBody(r)
	if err != nil {
		s.fail(w, f, err)
		return
	}
	var in subscribeToShardIn
	err = s.decoder(r, f, "SubscribeToShard", body)(&in)
	if owned {
		bufpool.Put(body)
	}
	if err != nil {
		s.fail(w, f, err)
		return
	}
	s.calls.Add(1)
	req := engine.SubscribeToShardInput{ConsumerARN: in.ConsumerARN, ShardId: in.ShardId,
		StartingPosition: engine.StartingPosition{Type: in.StartingPosition.Type,
			SequenceNumber: in.StartingPosition.SequenceNumber}}
	if in.StartingPosition.Timestamp != nil {
		req.StartingPosition.Timestamp = &in.StartingPosition.Timestamp.Time
	}
	ctx := s.scope(r)
	sub, err := s.eng.SubscribeToShard(ctx, req)
	if err != nil {
		s.fail(w, f, err)
		return
	}
	defer sub.Close()
	// The session outlives neither its client nor the server: Shutdown waits for open answers, and a session
	// would hold it for up to five minutes.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.stopping, cancel)
	defer stop()

	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	out := eventWriter{w: w, rc: http.NewResponseController(w), enc: eventstream.NewEncoder(), f: f}
	if out.event("initial-response", struct{}{}) != nil {
		return
	}
	for {
		ev, err := sub.Next(ctx)
		if errors.Is(err, io.EOF) || ctx.Err() != nil {
			return
		}
		if err != nil {
			out.exception(err)
			return
		}
		if out.event("SubscribeToShardEvent", eventOut(ev)) != nil {
			return
		}
	}
}

func eventOut(ev *engine.SubscribeToShardEvent) subscribeToShardEventOut {
	out := subscribeToShardEventOut{Records: wireRecords(ev.Records), MillisBehindLatest: ev.MillisBehindLatest,
		ChildShards: wireChildShards(ev.ChildShards)}
	if ev.ContinuationSequenceNumber != "" {
		out.ContinuationSequenceNumber = &ev.ContinuationSequenceNumber
	}
	return out
}

// eventWriter writes event-stream messages and pushes each to the client at once.
type eventWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	enc *eventstream.Encoder
	f   format
}

func (o eventWriter) event(eventType string, payload any) error {
	b, err := o.f.encode(payload)
	if err != nil {
		return err
	}
	var msg eventstream.Message
	msg.Headers.Set(":message-type", eventstream.StringValue("event"))
	msg.Headers.Set(":event-type", eventstream.StringValue(eventType))
	msg.Headers.Set(":content-type", eventstream.StringValue(o.f.contentType()))
	msg.Payload = b
	return o.write(msg)
}

func (o eventWriter) exception(err error) {
	_, code, message := describe(err)
	b, encErr := o.f.encode(struct {
		Message string `json:"message"`
	}{message})
	if encErr != nil {
		return
	}
	var msg eventstream.Message
	msg.Headers.Set(":message-type", eventstream.StringValue("exception"))
	msg.Headers.Set(":exception-type", eventstream.StringValue(code))
	msg.Headers.Set(":content-type", eventstream.StringValue(o.f.contentType()))
	msg.Payload = b
	_ = o.write(msg)
}

func (o eventWriter) write(msg eventstream.Message) error {
	if err := o.enc.Encode(o.w, msg); err != nil {
		return err
	}
	return o.rc.Flush()
}
