package lessons

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// PutAction puts Count records one call each, keys taken in turn from Keys; Data is the record's text, where {i}
// becomes its index, {key} its key and {ts} its event time (now less Late, RFC 3339 in milliseconds).
type PutAction struct {
	Name   string        `yaml:"name,required"`
	Stream string        `yaml:"stream,required"`
	Keys   []string      `yaml:"keys,required"`
	Count  int           `yaml:"count,required"`
	Data   string        `yaml:"data"`
	Late   time.Duration `yaml:"late"`
}

// BatchAction sends Count records in PutRecords calls of up to 500 entries, back to back, keys user-0 to
// user-(Keys−1) in turn. With Retry it puts again only the entries a call refused, waiting a full-jitter
// exponential back-off (a random time up to 100 ms × 2^round, at most 2 s) between rounds, until none is refused
// or MaxRounds have gone; the jitter is seeded.
type BatchAction struct {
	Name      string `yaml:"name,required"`
	Stream    string `yaml:"stream,required"`
	Count     int    `yaml:"count,required"`
	Keys      int    `yaml:"keys"`
	Retry     bool   `yaml:"retry"`
	MaxRounds int    `yaml:"max_rounds"`
	Seed      uint64 `yaml:"seed"`
}

// putRecord is one record a put action put: where it went, for checkpoint and read checks.
type putRecord struct {
	Shard, Seq string
	At         time.Time
}

type putResult []putRecord

// lastOn is the sequence number of the last record put on shard (empty when none went there).
func (p putResult) lastOn(shard string) string {
	last := ""
	for _, r := range p {
		if r.Shard == shard {
			last = r.Seq
		}
	}
	return last
}

type batchResult struct {
	firstFailed, failed, rounds int
}

func (a *PutAction) validate(n *names) error {
	if a.Count < 1 || a.Count > 10000 || len(a.Keys) == 0 {
		return fmt.Errorf("put: count %d is 1 to 10,000, with at least one key", a.Count)
	}
	n.define(&n.puts, a.Name)
	return n.need(n.streams, "stream", a.Stream)
}

func (a *BatchAction) validate(n *names) error {
	if a.Count < 1 || a.Count > 100000 {
		return fmt.Errorf("put_batch: count %d is 1 to 100,000", a.Count)
	}
	if a.MaxRounds < 0 || a.MaxRounds > 20 {
		return fmt.Errorf("put_batch: max_rounds %d is 1 to 20", a.MaxRounds)
	}
	n.define(&n.batches, a.Name)
	return n.need(n.streams, "stream", a.Stream)
}

func (s *Session) put(ctx context.Context, a *PutAction) error {
	var out putResult
	for i := range a.Count {
		key := a.Keys[i%len(a.Keys)]
		data := a.Data
		if data == "" {
			data = `{"i":{i},"key":"{key}"}`
		}
		data = strings.NewReplacer("{i}", strconv.Itoa(i), "{key}", key,
			"{ts}", time.Now().Add(-a.Late).UTC().Format("2006-01-02T15:04:05.000Z07:00")).Replace(data)
		before := time.Now()
		res, err := s.ws.Engine.PutRecord(ctx, engine.PutRecordInput{StreamRef: engine.StreamRef{StreamName: a.Stream},
			PartitionKey: key, Data: []byte(data)})
		if err != nil {
			return fmt.Errorf("put %s, record %d: %w", a.Name, i, err)
		}
		out = append(out, putRecord{Shard: res.ShardId, Seq: res.SequenceNumber, At: before})
		// Arrival times are milliseconds: a gap keeps each record's time its own, for AT_TIMESTAMP.
		time.Sleep(2 * time.Millisecond)
	}
	s.mu.Lock()
	s.puts[a.Name] = out
	s.mu.Unlock()
	return nil
}

func (s *Session) putBatch(ctx context.Context, a *BatchAction) error {
	keys := max(a.Keys, 1)
	pending := make([]engine.PutRecordsEntry, a.Count)
	for i := range pending {
		pending[i] = engine.PutRecordsEntry{PartitionKey: "user-" + strconv.Itoa(i%keys),
			Data: fmt.Appendf(nil, `{"i":%d,"batch":%q}`, i, a.Name)}
	}
	rounds := 1
	if a.Retry {
		rounds = a.MaxRounds
		if rounds == 0 {
			rounds = 10
		}
	}
	rng := rand.New(rand.NewPCG(a.Seed, 0x1e55))
	res := batchResult{}
	for round := range rounds {
		if round > 0 {
			// Full jitter: a random wait up to the exponential ceiling, so retrying producers spread out.
			ceiling := min(100*time.Millisecond<<round, 2*time.Second)
			t := time.NewTimer(time.Duration(rng.Int64N(int64(ceiling))))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		res.rounds = round + 1
		var refused []engine.PutRecordsEntry
		for start := 0; start < len(pending); start += 500 {
			chunk := pending[start:min(start+500, len(pending))]
			out, err := s.ws.Engine.PutRecords(ctx, engine.PutRecordsInput{
				StreamRef: engine.StreamRef{StreamName: a.Stream}, Records: chunk})
			switch {
			case engine.ErrorCode(err) == engine.ErrThroughputExceeded:
				refused = append(refused, chunk...)
			case err != nil:
				return fmt.Errorf("put_batch %s: %w", a.Name, err)
			default:
				for i, r := range out.Records {
					if r.ErrorCode != "" {
						refused = append(refused, chunk[i])
					}
				}
			}
		}
		if round == 0 {
			res.firstFailed = len(refused)
		}
		pending = refused
		if len(pending) == 0 {
			break
		}
	}
	res.failed = len(pending)
	s.mu.Lock()
	s.batches[a.Name] = res
	s.mu.Unlock()
	return nil
}

func (s *Session) batchResult(c *BatchCheck) Result {
	s.mu.Lock()
	b, ok := s.batches[c.Name]
	s.mu.Unlock()
	var want []string
	if c.FirstFailedAtLeast != nil {
		want = append(want, fmt.Sprintf("at least %d refused in the first round", *c.FirstFailedAtLeast))
	}
	if c.FailedAtLeast != nil {
		want = append(want, fmt.Sprintf("at least %d never accepted", *c.FailedAtLeast))
	}
	if c.FailedAtMost != nil {
		want = append(want, fmt.Sprintf("at most %d never accepted", *c.FailedAtMost))
	}
	if c.AttemptsAtLeast != nil {
		want = append(want, fmt.Sprintf("at least %d rounds", *c.AttemptsAtLeast))
	}
	r := Result{Want: "batch " + c.Name + ": " + joinAnd(want), Now: "not sent yet"}
	if !ok {
		return r
	}
	r.Now = fmt.Sprintf("%d refused in the first round, %d never accepted, %d rounds", b.firstFailed, b.failed, b.rounds)
	r.Met = atLeast(b.firstFailed, c.FirstFailedAtLeast) && atLeast(b.failed, c.FailedAtLeast) &&
		atMost(b.failed, c.FailedAtMost) && atLeast(b.rounds, c.AttemptsAtLeast)
	return r
}

// ReadAction reads one shard from an iterator of the given type until it is caught up, as a reader trying each
// iterator type would, and keeps how many records it got. AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER start at
// record Index of the put Put; AT_TIMESTAMP at that record's arrival.
type ReadAction struct {
	Name   string `yaml:"name,required"`
	Stream string `yaml:"stream,required"`
	Shard  int    `yaml:"shard"`
	From   string `yaml:"from,required"`
	Put    string `yaml:"put"`
	Index  int    `yaml:"index"`
}

func (a *ReadAction) validate(n *names) error {
	switch a.From {
	case engine.IteratorTrimHorizon, engine.IteratorLatest:
	case engine.IteratorAtSequence, engine.IteratorAfterSeq, engine.IteratorAtTimestamp:
		if err := n.need(n.puts, "put", a.Put); err != nil {
			return fmt.Errorf("read from %s: %w", a.From, err)
		}
	default:
		return fmt.Errorf("read: from %q is TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP", a.From)
	}
	n.define(&n.reads, a.Name)
	return n.need(n.streams, "stream", a.Stream)
}

func (s *Session) read(ctx context.Context, a *ReadAction) error {
	in := engine.GetShardIteratorInput{StreamRef: engine.StreamRef{StreamName: a.Stream},
		ShardId: fmt.Sprintf("shardId-%012d", a.Shard), ShardIteratorType: a.From}
	if a.Put != "" {
		s.mu.Lock()
		put := s.puts[a.Put]
		s.mu.Unlock()
		if a.Index < 0 || a.Index >= len(put) {
			return fmt.Errorf("read %s: put %s has no record %d (put it first)", a.Name, a.Put, a.Index)
		}
		in.StartingSequenceNumber = put[a.Index].Seq
		at := put[a.Index].At
		if a.From == engine.IteratorAtTimestamp {
			in.StartingSequenceNumber, in.Timestamp = "", &at
		}
	}
	it, err := s.ws.Engine.GetShardIterator(ctx, in)
	if err != nil {
		return fmt.Errorf("read %s: %w", a.Name, err)
	}
	got := 0
	for calls := 0; it != "" && calls < 20; calls++ {
		out, err := s.ws.Engine.GetRecords(ctx, engine.GetRecordsInput{ShardIterator: it})
		if engine.ErrorCode(err) == engine.ErrThroughputExceeded {
			time.Sleep(250 * time.Millisecond) // a shard serves 5 calls a second: wait for the next
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", a.Name, err)
		}
		got += len(out.Records)
		it = out.NextShardIterator
		caught := len(out.Records) == 0 && out.MillisBehindLatest == 0
		out.Release()
		if caught {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.mu.Lock()
	s.reads[a.Name] = got
	s.mu.Unlock()
	return nil
}
