package engine

import (
	"time"

	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/internal/seqnum"
)

// commitReq is one unit of work for the committer: either a batch of records to append or a metadata change.
type commitReq struct {
	put  *putBatch
	meta metaOp
	err  error
	done chan struct{}
}

// metaOp validates a change against the current state, persists it in tx and returns what to apply in memory
// once the transaction has committed. It runs on the committer goroutine, the only writer of stream state.
type metaOp func(tx *storage.Tx) (apply func(), err error)

// putBatch is a producer's accepted records on their way to disk.
type putBatch struct {
	stream  *stream
	records []pendingRecord
	floor   uint64 // every counter issued must exceed this (SequenceNumberForOrdering)
	// checkpoint, when set, is stored in the same transaction as the records (PutRecordsCheckpointed).
	checkpoint *Checkpoint
}

// pendingRecord is a record whose value is encoded and whose counter and final shard the committer assigns.
type pendingRecord struct {
	hash    hashkey.Key
	shard   *shard
	value   []byte
	size    int // data + partition key, for metrics
	counter uint64
	key     [8]byte
}

const maxGroupRecords = 20_000

// submit hands a request to the committer and waits until it is durable (or failed).
func (e *Engine) submit(r *commitReq) error {
	r.done = make(chan struct{})
	e.submitMu.RLock()
	if e.closed {
		e.submitMu.RUnlock()
		return ErrClosed
	}
	e.commits <- r
	e.submitMu.RUnlock()
	<-r.done
	return r.err
}

// update runs a metadata change on the committer.
func (e *Engine) update(op metaOp) error { return e.submit(&commitReq{meta: op}) }

// commitLoop takes whatever requests are waiting, commits runs of record batches in one transaction each and
// metadata changes in their own, and acknowledges each request only after its transaction committed. There is no
// artificial delay: while one transaction is being written, the next group queues up behind it.
func (e *Engine) commitLoop() {
	defer close(e.done)
	var group []*commitReq
	for {
		r, ok := <-e.commits
		if !ok {
			return
		}
		group = append(group[:0], r)
		records := r.size()
	drain:
		for records < maxGroupRecords {
			select {
			case r, ok := <-e.commits:
				if !ok {
					break drain
				}
				group = append(group, r)
				records += r.size()
			default:
				break drain
			}
		}
		for len(group) > 0 {
			n := 1
			if group[0].put != nil {
				for n < len(group) && group[n].put != nil {
					n++
				}
				e.commitPuts(group[:n])
			} else {
				e.commitMeta(group[0])
			}
			group = group[n:]
		}
	}
}

func (r *commitReq) size() int {
	if r.put != nil {
		return len(r.put.records)
	}
	return 1
}

func (e *Engine) commitMeta(r *commitReq) {
	var apply func()
	r.err = e.db.Update(func(tx *storage.Tx) error {
		var err error
		apply, err = r.meta(tx)
		return err
	})
	if r.err == nil {
		e.commitCount.Add(1)
		if apply != nil {
			apply()
		}
	}
	close(r.done)
}

// commitPuts assigns counters, appends every record of the group in one transaction, then publishes the new
// records to readers and wakes the change feed.
func (e *Engine) commitPuts(group []*commitReq) {
	now := e.now()
	nowCounter := seqnum.CounterAt(now)
	for _, r := range group {
		b := r.put
		s := b.stream
		if s.deleted.Load() {
			r.err = notFound(s.key())
			continue
		}
		s.mu.RLock()
		for i := range b.records {
			rec := &b.records[i]
			if !rec.shard.isOpen() { // resharded since the producer routed it
				rec.shard = s.route(rec.hash)
			}
			c := max(s.counter+1, nowCounter, b.floor+1)
			s.counter = c
			rec.counter = c
			putU64(rec.key[:], c)
		}
		s.mu.RUnlock()
	}
	err := e.db.Update(func(tx *storage.Tx) error {
		type shardRef struct {
			stream uint64
			index  int
		}
		writers := map[shardRef]storage.ShardWriter{}
		for _, r := range group {
			if r.err != nil {
				continue
			}
			for i := range r.put.records {
				rec := &r.put.records[i]
				ref := shardRef{r.put.stream.id, rec.shard.index}
				w, ok := writers[ref]
				if !ok {
					var err error
					if w, err = tx.ShardWriter(ref.stream, ref.index); err != nil {
						return err
					}
					writers[ref] = w
				}
				if err := w.Append(rec.key[:], rec.value); err != nil {
					return err
				}
			}
			if cp := r.put.checkpoint; cp != nil {
				if err := tx.PutCheckpoint(cp.Namespace, cp.Key, cp.Value); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		e.commitCount.Add(1)
	}
	for _, r := range group {
		if r.err == nil && err != nil {
			r.err = newError(ErrInternalFailure, "Internal service failure: %v", err)
		}
		if r.err == nil {
			e.recordCount.Add(uint64(len(r.put.records)))
			for i := range r.put.records {
				e.touched(len(r.put.records[i].value))
			}
			publish(r.put, now)
		}
		close(r.done)
	}
}

// publish makes committed records visible to LATEST iterators and lag figures, counts them, and wakes readers.
func publish(b *putBatch, now time.Time) {
	type tally struct{ records, bytes int }
	touched := make(map[*shard]*tally, 8)
	for i := range b.records {
		rec := &b.records[i]
		t := touched[rec.shard]
		if t == nil {
			t = &tally{}
			touched[rec.shard] = t
		}
		t.records++
		t.bytes += rec.size
		if rec.counter > rec.shard.last.Load() {
			rec.shard.last.Store(rec.counter)
		}
	}
	if last := b.records[len(b.records)-1].counter; last > b.stream.published.Load() {
		b.stream.published.Store(last) // only the committer stores, and counters only grow
	}
	for sh, t := range touched {
		sh.metrics.addWrite(now, t.records, t.bytes)
		sh.feed.fire()
	}
	b.stream.feed.fire()
}

func putU64(b []byte, v uint64) {
	_ = b[7]
	b[0], b[1], b[2], b[3] = byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32)
	b[4], b[5], b[6], b[7] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
