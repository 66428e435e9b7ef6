package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/internal/bufpool"
	"github.com/shardlab/shardlab/internal/seqnum"
)

const (
	maxGetRecords      = 10000
	maxGetRecordsBytes = 10 << 20
)

var iteratorTypes = []string{IteratorAtSequence, IteratorAfterSeq, IteratorTrimHorizon, IteratorLatest,
	IteratorAtTimestamp}

// GetShardIterator returns an iterator positioned as the iterator type says; it expires after five minutes.
func (e *Engine) GetShardIterator(ctx context.Context, in GetShardIteratorInput) (string, error) {
	var v validation
	validateRef(&v, in.StreamRef)
	if v.notNull(in.ShardId != "", "shardId") {
		v.lenRange(in.ShardId, len(in.ShardId), 1, 128, "shardId")
	}
	if v.notNull(in.ShardIteratorType != "", "shardIteratorType") {
		v.enum(in.ShardIteratorType, iteratorTypes, "shardIteratorType")
	}
	if in.StartingSequenceNumber != "" {
		v.pattern(in.StartingSequenceNumber, isDecimal(in.StartingSequenceNumber, 129), sequenceNumberPat,
			"startingSequenceNumber")
	}
	if err := v.err(); err != nil {
		return "", err
	}
	in.ShardId = canonicalShardID(in.ShardId)
	s, err := e.activeStream(ctx, in.StreamRef)
	if err != nil {
		return "", err
	}
	if in.ShardIteratorType == IteratorAtTimestamp && in.Timestamp != nil {
		if now := e.now(); in.Timestamp.After(now) {
			return "", newError(ErrInvalidArgument, "The timestampInMillis parameter cannot be greater than the "+
				"currentTimestampInMillis. timestampInMillis: %d, currentTimestampInMillis: %d",
				in.Timestamp.UnixMilli(), now.UnixMilli())
		}
	}
	s.mu.RLock()
	sh := s.shard(in.ShardId)
	s.mu.RUnlock()
	if sh == nil {
		return "", shardDoesNotExist(s, in.ShardId)
	}
	from, err := e.iteratorStart(s, sh, in)
	if err != nil {
		return "", err
	}
	return e.sealIterator(iterator{stream: s.id, shard: sh.index, from: from, issued: e.now()}), nil
}

// iteratorStart turns an iterator type into the first counter to read.
func (e *Engine) iteratorStart(s *stream, sh *shard, in GetShardIteratorInput) (uint64, error) {
	bySeq := in.ShardIteratorType == IteratorAtSequence || in.ShardIteratorType == IteratorAfterSeq
	if bySeq != (in.StartingSequenceNumber != "") {
		also := "no"
		if in.StartingSequenceNumber != "" {
			also = "also a"
		}
		return 0, newError(ErrInvalidArgument, "Must either specify (1) AT_SEQUENCE_NUMBER or "+
			"AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "+
			"StartingSequenceNumber. Request specified %s and %s StartingSequenceNumber.", in.ShardIteratorType, also)
	}
	switch in.ShardIteratorType {
	case IteratorTrimHorizon:
		return 0, nil
	case IteratorLatest:
		s.mu.RLock()
		defer s.mu.RUnlock()
		if !sh.isOpen() {
			return sh.meta.EndCounter + 1, nil
		}
		return max(sh.last.Load(), sh.meta.StartCounter) + 1, nil
	case IteratorAtTimestamp:
		if in.Timestamp == nil {
			return 0, newError(ErrInvalidArgument, "Must specify timestampInMillis parameter for iterator of type "+
				"AT_TIMESTAMP. Current request has no timestamp parameter.")
		}
		return seqnum.CounterAt(*in.Timestamp), nil
	}
	counter, idx, err := seqnum.Parse(in.StartingSequenceNumber)
	if err != nil || counter < s.createdCounter {
		return 0, newError(ErrInvalidArgument, "StartingSequenceNumber %s used in GetShardIterator on shard %s in "+
			"stream %s under account %s is invalid because it did not come from this stream.",
			in.StartingSequenceNumber, sh.id, s.name, s.account)
	}
	if idx != sh.index {
		return 0, newError(ErrInvalidArgument, "Invalid StartingSequenceNumber. It encodes %s, while it was used "+
			"in a call to a shard with %s", shardID(idx), sh.id)
	}
	s.mu.RLock()
	issued := max(sh.last.Load(), sh.meta.StartCounter, sh.meta.EndCounter)
	s.mu.RUnlock()
	if counter > issued {
		return 0, newError(ErrInvalidArgument, "StartingSequenceNumber %s used in GetShardIterator on shard %s in "+
			"stream %s under account %s is invalid.", in.StartingSequenceNumber, sh.id, s.name, s.account)
	}
	if in.ShardIteratorType == IteratorAfterSeq {
		counter++
	}
	return counter, nil
}

// GetRecords reads up to Limit records (≤ 10,000 and ≤ 10 MiB) from an iterator's position.
func (e *Engine) GetRecords(ctx context.Context, in GetRecordsInput) (*GetRecordsOutput, error) {
	var v validation
	if v.notNull(in.ShardIterator != "", "shardIterator") {
		v.lenRange(in.ShardIterator, len(in.ShardIterator), 1, 512, "shardIterator")
	}
	if in.Limit != nil {
		v.intRange(int64(*in.Limit), 1, maxGetRecords, "limit")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	limit := maxGetRecords
	if in.Limit != nil {
		limit = *in.Limit
	}
	it, err := e.openIterator(in.ShardIterator)
	if err != nil {
		return nil, err
	}
	now := e.now()
	if age := now.Sub(it.issued); age > iteratorTTL {
		return nil, newError(ErrExpiredIterator, "Iterator expired. The iterator was created at time %s while "+
			"right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			amzTime(it.issued), amzTime(now), iteratorTTL.Milliseconds())
	}
	e.mu.RLock()
	s := e.byID[it.stream]
	e.mu.RUnlock()
	if s == nil || s.deleted.Load() {
		return nil, newError(ErrResourceNotFound, "Shard %s in stream with id %d does not exist", shardID(it.shard),
			it.stream)
	}
	if in.StreamARN != "" && in.StreamARN != s.arn() {
		return nil, newError(ErrInvalidArgument, "StreamARN %s does not match the stream of the ShardIterator.",
			in.StreamARN)
	}
	s.mu.RLock()
	sh := s.shardByIndex(it.shard)
	var closedAt uint64
	if sh != nil && !sh.isOpen() {
		closedAt = sh.meta.EndCounter
	}
	enforce, account := s.meta.LimitsEnforced && !e.opts.LimitsOff, s.account
	s.mu.RUnlock()
	if sh == nil {
		return nil, shardDoesNotExist(s, shardID(it.shard))
	}
	if err := e.injectCall(s, []*shard{sh}, now, false); err != nil {
		return nil, err
	}
	if enforce && !sh.limiter.admitRead(now) {
		sh.metrics.add(now, ReadProvisionedThroughputExceeded, 1)
		return nil, newError(ErrThroughputExceeded, "Rate exceeded for shard %s in stream %s under account %s.",
			sh.id, s.name, account)
	}
	out, next, bytes, exhausted, err := e.readShard(s, sh, it.from, limit)
	if err != nil {
		return nil, err
	}
	if enforce {
		sh.limiter.chargeRead(bytes, now)
	}
	if !exhausted { // records remain: the reader is as far behind as the last record it got is old
		out.MillisBehindLatest = max(now.Sub(out.Records[len(out.Records)-1].ApproximateArrivalTimestamp).Milliseconds(), 0)
	}
	sh.metrics.addRead(now, len(out.Records), bytes, out.MillisBehindLatest)
	if closedAt != 0 && exhausted {
		// The closed shard is read to its end: no further iterator, and the reader is told where to go.
		out.ChildShards = e.childShards(s, sh)
		return out, nil
	}
	out.NextShardIterator = e.sealIterator(iterator{stream: s.id, shard: sh.index, from: next, issued: now})
	return out, nil
}

// readShard reads records from counter from on, returning the counter to continue at, the bytes read, and whether
// it read everything the shard held.
func (e *Engine) readShard(s *stream, sh *shard, from uint64, limit int) (out *GetRecordsOutput, next uint64, bytes int, exhausted bool, err error) {
	out = &GetRecordsOutput{Records: []Record{}}
	next, exhausted = from, true
	var decodeErr error
	var arena arena
	err = e.db.View(func(tx *storage.ReadTx) error {
		tx.Scan(s.id, sh.index, from, func(counter uint64, value []byte) bool {
			if len(out.Records) == limit {
				exhausted = false
				return false
			}
			flags, keyNum, key, data, err := storage.DecodeRecord(value)
			encryption := EncryptionNone
			if err == nil && flags&storage.FlagEncrypted != 0 {
				encryption = EncryptionKMS
				key, data, err = e.openSealed(s, keyNum, data, &arena)
				data = data[:len(data):len(data)] // it lives in the arena: no appending into the next record
			}
			if err != nil {
				decodeErr = fmt.Errorf("stream %s shard %s record %d: %w", s.name, sh.id, counter, err)
				return false
			}
			size := len(key) + len(data)
			if len(out.Records) > 0 && bytes+size > maxGetRecordsBytes {
				exhausted = false
				return false
			}
			if encryption == EncryptionNone {
				data = arena.copy(data)
			}
			out.Records = append(out.Records, Record{
				Data:                        data,
				SequenceNumber:              seqnum.Format(counter, sh.index),
				ApproximateArrivalTimestamp: seqnum.Time(counter),
				PartitionKey:                string(key),
				EncryptionType:              encryption,
			})
			bytes += size
			next = counter + 1
			return true
		})
		return nil
	})
	if err == nil {
		err = decodeErr
	}
	out.arena = arena.chunks
	if err != nil {
		out.Release()
		return nil, 0, 0, false, newError(ErrInternalFailure, "Internal service failure: %v", err)
	}
	return out, next, bytes, exhausted, nil
}

const (
	arenaFirstChunk = 4 << 10
	arenaMaxChunk   = 1 << 20
)

// arena holds the records' data copied out of the mmap, in a few large pooled chunks instead of a buffer per
// record. Chunks double from 4 KiB to 1 MiB, so a tailing reader that gets a few records per call does not take a
// megabyte each time.
type arena struct {
	cur    []byte
	chunks [][]byte
}

// copy copies b into the arena and returns the copy with its capacity capped, so an append by the caller cannot
// overwrite the next record.
func (a *arena) copy(b []byte) []byte {
	a.room(len(b))
	start := len(a.cur)
	a.cur = append(a.cur, b...)
	return a.cur[start:len(a.cur):len(a.cur)]
}

// room makes sure the arena can take n more bytes and returns the empty slice where they go; the caller extends
// a.cur over what it wrote there.
func (a *arena) room(n int) []byte {
	if cap(a.cur)-len(a.cur) < n {
		a.cur = bufpool.Get(max(min(2*cap(a.cur), arenaMaxChunk), arenaFirstChunk, n))
		a.chunks = append(a.chunks, a.cur)
	}
	return a.cur[len(a.cur):len(a.cur)]
}

// Release hands the buffers holding the records' data back for reuse by later reads. It is optional (without it
// they are garbage collected), and the records' Data must not be touched afterwards.
func (o *GetRecordsOutput) Release() {
	for _, c := range o.arena {
		bufpool.Put(c)
	}
	o.arena = nil
}

// childShards lists the shards that continue sh.
func (e *Engine) childShards(s *stream, sh *shard) []ChildShard {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []ChildShard
	for _, c := range s.shards {
		if c.meta.Parent != sh.index && c.meta.AdjacentParent != sh.index {
			continue
		}
		parents := []string{shardID(c.meta.Parent)}
		if c.meta.AdjacentParent >= 0 {
			parents = append(parents, shardID(c.meta.AdjacentParent))
		}
		out = append(out, ChildShard{ShardId: c.id, ParentShards: parents,
			HashKeyRange: HashKeyRange{c.meta.Start.String(), c.meta.End.String()}})
	}
	return out
}

// WaitForRecords returns a channel that is closed when the shard gets new records, closes, or the stream is
// deleted: the change feed that lets in-process readers block instead of polling. Check for records after
// calling it, then wait, so nothing committed in between is missed.
func (e *Engine) WaitForRecords(ctx context.Context, ref StreamRef, shardID string) (<-chan struct{}, error) {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	sh := s.shard(shardID)
	s.mu.RUnlock()
	if sh == nil {
		return nil, shardDoesNotExist(s, shardID)
	}
	return sh.feed.wait(), nil
}

// WaitForStream returns a channel closed at the stream's next commit of records or metadata.
func (e *Engine) WaitForStream(ctx context.Context, ref StreamRef) (<-chan struct{}, error) {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.feed.wait(), nil
}

// shardDoesNotExist is the read path's answer for an unknown shard, worded as Kinesis words it.
func shardDoesNotExist(s *stream, id string) error {
	return newError(ErrResourceNotFound, "Shard %s in stream %s under account %s does not exist", id, s.name, s.account)
}

// amzTime formats a time as AWS does in iterator messages, e.g. "Thu Jan 22 01:22:02 UTC 2015".
func amzTime(t time.Time) string { return t.UTC().Format("Mon Jan 02 15:04:05 UTC 2006") }

// sameCreationTime says whether a StreamCreationTimestamp a client sent names a stream created at created. Answers
// carry milliseconds, and some clients (the AWS CLI with a date) send whole seconds, so a time matches at the
// precision it was sent in.
func sameCreationTime(sent, created time.Time) bool {
	if sent.UnixMilli() == created.UnixMilli() {
		return true
	}
	return sent.Nanosecond() == 0 && sent.Unix() == created.Unix()
}

// ResolvePosition turns a moving start position — LATEST, or AT_TIMESTAMP at — into the sequence number that
// AFTER_SEQUENCE_NUMBER resumes from to read from that very point, so a consumer can store where it started before
// it has read anything: a restart then reads what arrived meanwhile instead of starting at a later LATEST.
func (e *Engine) ResolvePosition(ctx context.Context, ref StreamRef, shardID, position string, at *time.Time) (string, error) {
	s, err := e.activeStream(ctx, ref)
	if err != nil {
		return "", err
	}
	s.mu.RLock()
	sh := s.shard(shardID)
	s.mu.RUnlock()
	if sh == nil {
		return "", shardDoesNotExist(s, shardID)
	}
	from, err := e.iteratorStart(s, sh, GetShardIteratorInput{ShardId: shardID, ShardIteratorType: position, Timestamp: at})
	if err != nil {
		return "", err
	}
	return resumeAfter(s, sh, from), nil
}
