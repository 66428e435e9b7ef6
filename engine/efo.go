package engine

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Enhanced fan-out consumers: named readers registered on a stream, each with its own 2 MiB/s per shard pushed
// over SubscribeToShard. They live in the stream's metadata, so they are deleted with it.

// Consumer states, as Kinesis names them.
const (
	ConsumerCreating = "CREATING"
	ConsumerActive   = "ACTIVE"
	ConsumerDeleting = "DELETING"
)

const (
	maxConsumersPerStream  = 20
	consumerNamePattern    = "[a-zA-Z0-9_.-]+"
	consumerARNPattern     = `^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+`
	defaultListConsumers   = 100
	maxListConsumersResult = 10000
)

// Consumer describes a registered enhanced fan-out consumer.
type Consumer struct {
	ConsumerName              string
	ConsumerARN               string
	ConsumerStatus            string
	ConsumerCreationTimestamp time.Time
	StreamARN                 string
}

// ConsumerRef names a consumer by its ARN, or by its stream's ARN and its name.
type ConsumerRef struct {
	StreamARN, ConsumerName, ConsumerARN string
}

// ListStreamConsumersInput mirrors ListStreamConsumers.
type ListStreamConsumersInput struct {
	StreamARN               string
	NextToken               string
	MaxResults              *int
	StreamCreationTimestamp *time.Time
}

// ListStreamConsumersOutput mirrors ListStreamConsumers' answer.
type ListStreamConsumersOutput struct {
	Consumers []Consumer
	NextToken string
}

// consumerMeta is a consumer's persisted state, kept in its stream's metadata.
type consumerMeta struct {
	Name    string
	Status  string
	Created time.Time
}

func consumerARN(streamARN string, c consumerMeta) string {
	return fmt.Sprintf("%s/consumer/%s:%d", streamARN, c.Name, c.Created.Unix())
}

func (s *stream) consumer(c consumerMeta) Consumer {
	arn := s.arn()
	return Consumer{ConsumerName: c.Name, ConsumerARN: consumerARN(arn, c), ConsumerStatus: c.Status,
		ConsumerCreationTimestamp: c.Created, StreamARN: arn}
}

// parseConsumerARN splits a consumer ARN into its stream's ARN, its name and its creation second.
func parseConsumerARN(arn string) (streamARN, name string, created int64, ok bool) {
	rest, seconds, found := strings.Cut(arn[strings.LastIndexByte(arn, '/')+1:], ":")
	if !found {
		return "", "", 0, false
	}
	created, err := strconv.ParseInt(seconds, 10, 64)
	// The last "/consumer/": a stream may itself be called "consumer".
	i := strings.LastIndex(arn, "/consumer/")
	if err != nil || i < 0 || !validStreamName(rest) {
		return "", "", 0, false
	}
	streamPart := arn[:i]
	if _, perr := parseStreamARN(streamPart); perr != nil {
		return "", "", 0, false
	}
	return streamPart, rest, created, true
}

func validateConsumerName(v *validation, name string) {
	if v.notNull(name != "", "consumerName") {
		v.lenRange(name, len(name), 1, 128, "consumerName")
		v.pattern(name, validStreamName(name), consumerNamePattern, "consumerName")
	}
}

func validateStreamARN(v *validation, arn string) {
	if v.notNull(arn != "", "streamARN") {
		v.lenRange(arn, len(arn), 1, 2048, "streamARN")
	}
}

// RegisterStreamConsumer registers a consumer on a stream; it is CREATING for the transition delay, then ACTIVE.
func (e *Engine) RegisterStreamConsumer(ctx context.Context, streamARN, name string) (*Consumer, error) {
	var v validation
	validateStreamARN(&v, streamARN)
	validateConsumerName(&v, name)
	if err := v.err(); err != nil {
		return nil, err
	}
	var out Consumer
	err := e.changeMeta(ctx, StreamRef{StreamARN: streamARN}, func(s *stream, m *streamMeta) error {
		if m.Status == StatusCreating || m.Status == StatusDeleting {
			return notFound(s.key())
		}
		for _, c := range m.Consumers {
			if c.Name == name {
				return newError(ErrResourceInUse, "Consumer %s under stream %s already exists for account %s.",
					consumerARN(s.arn(), c), s.name, s.account)
			}
		}
		if len(m.Consumers) >= maxConsumersPerStream {
			return newError(ErrLimitExceeded, "Consumer limit of %d has been reached for stream %s under account %s.",
				maxConsumersPerStream, s.name, s.account)
		}
		c := consumerMeta{Name: name, Status: ConsumerActive, Created: e.now().Truncate(time.Second)}
		if e.opts.TransitionDelay > 0 {
			c.Status = ConsumerCreating
			e.after(func() error { return e.setConsumerStatus(s, name, c.Created, ConsumerCreating, ConsumerActive) })
		}
		m.Consumers = append(slices.Clone(m.Consumers), c)
		out = s.consumer(c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// setConsumerStatus finishes a consumer's transition — to ACTIVE, or out of the stream ("") — only if the consumer
// registered at created is still in the state from: a consumer deregistered while CREATING must not come back
// ACTIVE when its creation timer fires, nor a newer consumer of the same name be touched.
func (e *Engine) setConsumerStatus(s *stream, name string, created time.Time, from, to string) error {
	return e.changeMeta(context.Background(), StreamRef{StreamARN: s.arn()}, func(_ *stream, m *streamMeta) error {
		i := slices.IndexFunc(m.Consumers, func(c consumerMeta) bool {
			return c.Name == name && c.Created.Equal(created) && (from == "" || c.Status == from)
		})
		if i < 0 {
			return nil
		}
		m.Consumers = slices.Clone(m.Consumers)
		if to == "" {
			m.Consumers = slices.Delete(m.Consumers, i, i+1)
		} else {
			m.Consumers[i].Status = to
		}
		return nil
	})
}

// DescribeStreamConsumer describes a consumer named by ARN, or by stream ARN and name.
func (e *Engine) DescribeStreamConsumer(ctx context.Context, ref ConsumerRef) (*Consumer, error) {
	s, c, err := e.findConsumer(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := s.consumer(c)
	return &out, nil
}

// DeregisterStreamConsumer removes a consumer: DELETING for the transition delay, then gone. Its subscriptions end.
func (e *Engine) DeregisterStreamConsumer(ctx context.Context, ref ConsumerRef) error {
	s, c, err := e.findConsumer(ctx, ref)
	if err != nil {
		return err
	}
	status := ConsumerDeleting
	if e.opts.TransitionDelay == 0 {
		status = ""
	}
	if err := e.setConsumerStatus(s, c.Name, c.Created, "", status); err != nil {
		return err
	}
	e.endSubscriptions(consumerARN(s.arn(), c))
	if status != "" {
		e.after(func() error { return e.setConsumerStatus(s, c.Name, c.Created, ConsumerDeleting, "") })
	}
	return nil
}

// ListStreamConsumers lists a stream's consumers in the order they were registered.
func (e *Engine) ListStreamConsumers(ctx context.Context, in ListStreamConsumersInput) (*ListStreamConsumersOutput, error) {
	var v validation
	validateStreamARN(&v, in.StreamARN)
	if in.MaxResults != nil {
		v.intRange(int64(*in.MaxResults), 1, maxListConsumersResult, "maxResults")
	}
	if in.NextToken != "" {
		v.lenRange(in.NextToken, len(in.NextToken), 1, 1048576, "nextToken")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := e.lookup(ctx, StreamRef{StreamARN: in.StreamARN})
	if err != nil {
		return nil, err
	}
	if in.StreamCreationTimestamp != nil && !sameCreationTime(*in.StreamCreationTimestamp, s.meta.Created) {
		return nil, newError(ErrResourceNotFound, "Stream %s under account %s created at %s not found.",
			s.name, s.account, amzTime(*in.StreamCreationTimestamp))
	}
	s.mu.RLock()
	all := slices.Clone(s.meta.Consumers)
	s.mu.RUnlock()
	start := 0
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		n, perr := strconv.Atoi(string(b))
		if err != nil || perr != nil || n < 0 || n > len(all) {
			return nil, newError(ErrInvalidArgument, "NextToken %s is not valid for stream %s.", in.NextToken, s.name)
		}
		start = n
	}
	limit := defaultListConsumers
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	out := &ListStreamConsumersOutput{Consumers: []Consumer{}}
	for _, c := range all[start:min(start+limit, len(all))] {
		out.Consumers = append(out.Consumers, s.consumer(c))
	}
	if start+limit < len(all) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(start + limit)))
	}
	return out, nil
}

// findConsumer resolves a consumer reference to its stream and state.
func (e *Engine) findConsumer(ctx context.Context, ref ConsumerRef) (*stream, consumerMeta, error) {
	var v validation
	if ref.ConsumerARN != "" {
		v.lenRange(ref.ConsumerARN, len(ref.ConsumerARN), 1, 2048, "consumerARN")
	} else {
		if ref.StreamARN == "" || ref.ConsumerName == "" {
			return nil, consumerMeta{}, newError(ErrInvalidArgument,
				"Either ConsumerARN or both StreamARN and ConsumerName must be provided.")
		}
		validateStreamARN(&v, ref.StreamARN)
		validateConsumerName(&v, ref.ConsumerName)
	}
	if err := v.err(); err != nil {
		return nil, consumerMeta{}, err
	}
	streamARN, name, created := ref.StreamARN, ref.ConsumerName, int64(-1)
	if ref.ConsumerARN != "" {
		var ok bool
		streamARN, name, created, ok = parseConsumerARN(ref.ConsumerARN)
		if !ok {
			var v validation
			v.pattern(ref.ConsumerARN, false, consumerARNPattern, "consumerARN")
			return nil, consumerMeta{}, v.err()
		}
	}
	s, err := e.lookup(ctx, StreamRef{StreamARN: streamARN})
	if err != nil {
		return nil, consumerMeta{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.meta.Consumers {
		if c.Name == name && (created < 0 || c.Created.Unix() == created) {
			return s, c, nil
		}
	}
	what := name
	if ref.ConsumerARN != "" {
		what = ref.ConsumerARN
	}
	return nil, consumerMeta{}, newError(ErrResourceNotFound, "Consumer %s under stream %s not found for account %s.",
		what, s.name, s.account)
}
