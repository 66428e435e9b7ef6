package engine

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/internal/bufpool"
	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/internal/seqnum"
)

const (
	maxPutRecords      = 500
	maxPutRecordsBytes = 10 << 20
	maxPartitionKeyLen = 256
	maxDataSchemaBytes = 10 << 20 // the largest MaxRecordSize a stream can have
	explicitHashKeyPat = `0|([1-9]\d{0,38})`
	sequenceNumberPat  = `0|([1-9]\d{0,128})`
)

// PutRecord writes one record. It returns only after the record is committed to disk.
func (e *Engine) PutRecord(ctx context.Context, in PutRecordInput) (*PutRecordOutput, error) {
	var v validation
	validateRef(&v, in.StreamRef)
	validateEntry(&v, in.Data, in.PartitionKey, in.ExplicitHashKey, 0)
	if in.SequenceNumberForOrdering != "" {
		v.pattern(in.SequenceNumberForOrdering, isDecimal(in.SequenceNumberForOrdering, 129),
			sequenceNumberPat, "sequenceNumberForOrdering")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var floor uint64
	if in.SequenceNumberForOrdering != "" {
		c, ok, err := seqnum.Floor(in.SequenceNumberForOrdering)
		if err != nil || !ok {
			return nil, newError(ErrInvalidArgument, "SequenceNumberForOrdering %s is larger than any sequence "+
				"number this stream can issue.", in.SequenceNumberForOrdering)
		}
		floor = c
	}
	s, err := e.activeStream(ctx, in.StreamRef)
	if err != nil {
		return nil, err
	}
	if floor > s.published.Load() {
		return nil, newError(ErrInvalidArgument, "SequenceNumberForOrdering %s is greater than any sequence number "+
			"stream %s under account %s has issued.", in.SequenceNumberForOrdering, s.name, s.account)
	}
	entry := PutRecordsEntry{Data: in.Data, PartitionKey: in.PartitionKey, ExplicitHashKey: in.ExplicitHashKey}
	results, encryption, err := e.put(s, []PutRecordsEntry{entry}, floor, "", nil)
	if err != nil {
		return nil, err
	}
	r := results[0]
	if r.ErrorCode != "" {
		return nil, &Error{Code: r.ErrorCode, Message: r.ErrorMessage}
	}
	return &PutRecordOutput{ShardId: r.ShardId, SequenceNumber: r.SequenceNumber, EncryptionType: encryption}, nil
}

// PutRecords writes up to 500 records; each succeeds or fails on its own (throttling), in request order. It returns
// only after the accepted records are committed to disk.
func (e *Engine) PutRecords(ctx context.Context, in PutRecordsInput) (*PutRecordsOutput, error) {
	return e.putRecords(ctx, in, nil)
}

// putRecords is PutRecords, with a checkpoint to commit alongside when cp is set (PutRecordsCheckpointed).
func (e *Engine) putRecords(ctx context.Context, in PutRecordsInput, cp *Checkpoint) (*PutRecordsOutput, error) {
	if err := validatePutRecords(in); err != nil {
		return nil, err
	}
	s, err := e.activeStream(ctx, in.StreamRef)
	if err != nil {
		return nil, err
	}
	results, encryption, err := e.put(s, in.Records, 0, "records.%d.member.", cp)
	if err != nil {
		return nil, err
	}
	out := &PutRecordsOutput{Records: results, EncryptionType: encryption}
	for _, r := range results {
		if r.ErrorCode != "" {
			out.FailedRecordCount++
		}
	}
	return out, nil
}

// validatePutRecords checks a PutRecords request against the API's schema; it needs no stream.
func validatePutRecords(in PutRecordsInput) error {
	var v validation
	validateRef(&v, in.StreamRef)
	if v.notNull(in.Records != nil, "records") {
		v.lenRange(recordsValue(len(in.Records)), len(in.Records), 1, maxPutRecords, "records")
		for i, r := range in.Records {
			validateEntry(&v, r.Data, r.PartitionKey, r.ExplicitHashKey, i+1)
		}
	}
	return v.err()
}

// recordsValue is how a validation message shows the records list: AWS prints "[]" or the entries' Java names.
func recordsValue(n int) string {
	if n == 0 {
		return "[]"
	}
	return fmt.Sprintf("[%d × com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry]", n)
}

// validateEntry checks one record's members; n is its 1-based position in PutRecords, 0 for PutRecord.
func validateEntry(v *validation, data []byte, key, explicit string, n int) {
	keyLen := len(key)
	if keyLen > maxPartitionKeyLen { // bytes exceed characters, so only long keys need counting
		keyLen = utf8.RuneCountInString(key)
	}
	if data != nil && len(data) <= maxDataSchemaBytes && key != "" && keyLen <= maxPartitionKeyLen &&
		(explicit == "" || isDecimal(explicit, 39)) {
		return // the common case: nothing to report, so build no messages
	}
	prefix := ""
	if n > 0 {
		prefix = fmt.Sprintf("records.%d.member.", n)
	}
	if v.notNull(data != nil, prefix+"data") {
		v.lenRange(blobValue(len(data)), len(data), 0, maxDataSchemaBytes, prefix+"data")
	}
	if v.notNull(key != "", prefix+"partitionKey") {
		v.lenRange(key, keyLen, 1, maxPartitionKeyLen, prefix+"partitionKey")
	}
	if explicit != "" {
		v.pattern(explicit, isDecimal(explicit, 39), explicitHashKeyPat, prefix+"explicitHashKey")
	}
}

// isDecimal matches 0|([1-9]\d{0,max-1}).
func isDecimal(s string, max int) bool {
	if s == "" || len(s) > max || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// put checks the stream's size limits, routes and meters each record, and commits the admitted ones. pathFmt names
// a record in error messages ("" for PutRecord's top-level members).
func (e *Engine) put(s *stream, entries []PutRecordsEntry, floor uint64, pathFmt string, cp *Checkpoint) ([]PutRecordsResult, string, error) {
	s.mu.RLock()
	maxRecord := s.meta.MaxRecordSizeKiB << 10
	enforce := s.meta.LimitsEnforced && !e.opts.LimitsOff
	encryption, keyID := s.meta.EncryptionType, s.meta.KeyID
	s.mu.RUnlock()
	var seal *sealer
	if encryption == EncryptionKMS {
		var err error
		if seal, err = e.sealerFor(s, keyID); err != nil {
			return nil, "", err
		}
	}
	hashes := make([]hashkey.Key, len(entries))
	total := 0
	for i, r := range entries {
		size := len(r.Data) + len(r.PartitionKey)
		total += size
		if size > maxRecord {
			path := ""
			if pathFmt != "" {
				path = fmt.Sprintf(pathFmt, i+1)
			}
			var v validation
			v.fail(blobValue(len(r.Data)), path+"data", fmt.Sprintf("Member must have length less than or equal "+
				"to %d (the stream's MaxRecordSize of %d KiB, less the %d-byte partition key)",
				max(maxRecord-len(r.PartitionKey), 0), maxRecord>>10, len(r.PartitionKey)))
			return nil, "", v.err()
		}
		if r.ExplicitHashKey != "" {
			h, err := hashkey.Parse(r.ExplicitHashKey)
			if err != nil {
				return nil, "", newError(ErrInvalidArgument, "Invalid ExplicitHashKey. ExplicitHashKey must be in the "+
					"range: [0, 2^128-1]. Specified value was %s", r.ExplicitHashKey)
			}
			hashes[i] = h
		} else {
			hashes[i] = hashkey.FromPartitionKey(r.PartitionKey)
		}
	}
	if total > maxPutRecordsBytes {
		return nil, "", newError(ErrInvalidArgument, "Records size exceeds the limit of %d bytes (10 MiB) per "+
			"PutRecords call: the records' data and partition keys total %d bytes.", maxPutRecordsBytes, total)
	}

	results := make([]PutRecordsResult, len(entries))
	batch := &putBatch{stream: s, floor: floor, records: make([]pendingRecord, 0, len(entries))}
	slots := make([]int, 0, len(entries)) // results index of each batch record
	now := e.now()
	valueBytes := 0
	for _, r := range entries {
		if seal != nil {
			valueBytes += seal.sealedSize(r.PartitionKey, r.Data)
		} else {
			valueBytes += storage.RecordSize(r.PartitionKey, r.Data)
		}
	}
	buf := bufpool.Get(valueBytes) // one buffer for every value of the call, reused once committed
	defer bufpool.Put(buf)
	routed := make([]*shard, len(entries))
	s.mu.RLock()
	for i := range entries {
		routed[i] = s.route(hashes[i])
	}
	s.mu.RUnlock()
	if err := e.injectCall(s, distinct(routed), now, true); err != nil {
		return nil, "", err
	}
	for i, r := range entries {
		sh := routed[i]
		size := len(r.Data) + len(r.PartitionKey)
		if code, msg := e.injectRecord(s, sh, now); code != "" {
			results[i] = PutRecordsResult{ErrorCode: code, ErrorMessage: msg}
			continue
		}
		if enforce && !sh.limiter.admitWrite(size, now) {
			sh.metrics.add(now, WriteProvisionedThroughputExceeded, 1)
			results[i] = PutRecordsResult{ErrorCode: ErrThroughputExceeded, ErrorMessage: fmt.Sprintf(
				"Rate exceeded for shard %s in stream %s under account %s.", sh.id, s.name, s.account)}
			continue
		}
		start := len(buf)
		if seal != nil {
			buf = seal.appendSealed(buf, r.PartitionKey, r.Data)
		} else {
			buf = storage.AppendRecord(buf, r.PartitionKey, r.Data)
		}
		batch.records = append(batch.records, pendingRecord{hash: hashes[i], shard: sh, value: buf[start:len(buf):len(buf)], size: size})
		slots = append(slots, i)
	}
	if cp != nil {
		if len(batch.records) < len(entries) {
			// A checkpointed call is all or nothing: one refused record and none is written, so the caller can
			// retry the whole call with the same checkpoint and never write a line twice.
			for _, i := range slots {
				results[i] = PutRecordsResult{ErrorCode: ErrThroughputExceeded, ErrorMessage: "Not written: another " +
					"record of this checkpointed call was refused, and a checkpointed call is all or nothing."}
			}
			return results, encryption, nil
		}
		batch.checkpoint = cp // every record is in: the checkpoint says so, in the same transaction
	}
	if len(batch.records) > 0 {
		if err := e.submit(&commitReq{put: batch}); err != nil {
			return nil, "", err
		}
	}
	keysByShard := map[*shard][]string{}
	for j, rec := range batch.records {
		i := slots[j]
		results[i] = PutRecordsResult{SequenceNumber: seqnum.Format(rec.counter, rec.shard.index), ShardId: rec.shard.id}
		keysByShard[rec.shard] = append(keysByShard[rec.shard], entries[i].PartitionKey)
	}
	for sh, keys := range keysByShard {
		sh.metrics.addKeys(now, keys)
	}
	return results, encryption, nil
}

// distinct returns each shard once, in first-seen order.
func distinct(shards []*shard) []*shard {
	var out []*shard
	seen := map[*shard]bool{}
	for _, sh := range shards {
		if !seen[sh] {
			seen[sh] = true
			out = append(out, sh)
		}
	}
	return out
}
