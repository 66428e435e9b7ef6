// Package consumer runs consumer applications the way the Kinesis Client Library does: a named application keeps a
// lease per shard (owner, counter, checkpoint, parents) in the engine's store; its workers share the shards,
// rebalance when one joins, leaves or dies, and take a child shard only once its parents are read to their end, so
// each key's records are processed in order across resharding. A worker reads with GetRecords like any polling
// consumer, and waits on the engine's change feed instead of sleeping when it is caught up.
package consumer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// Checkpoint values that are not sequence numbers, as the KCL writes them.
const (
	TrimHorizon = engine.IteratorTrimHorizon // start at the oldest record (a lease's initial checkpoint)
	Latest      = engine.IteratorLatest      // start after the newest record
	AtTimestamp = engine.IteratorAtTimestamp // start at InitialTimestamp
	ShardEnd    = "SHARD_END"                // the shard is closed and every record of it was processed
)

// Lease is one shard's entry in an application's lease table.
type Lease struct {
	ShardID string
	// Owner is the worker holding the lease; empty when nobody does.
	Owner string
	// Counter goes up at every renewal and every change of hands, as the KCL's lease counter does.
	Counter uint64
	// Epoch changes only when the lease changes hands (taken, handed over, released, reset): a holder's
	// checkpoint is accepted only under the epoch it took the lease with, so a renewal racing a checkpoint never
	// makes the holder look like it lost the lease.
	Epoch uint64
	// Checkpoint is the sequence number of the last record processed, or one of the constants above.
	Checkpoint string
	// CheckpointTime goes with an AT_TIMESTAMP checkpoint.
	CheckpointTime *time.Time `json:",omitempty"`
	// Parents are the shards this one was split from or merged out of; it is processed after they reach ShardEnd.
	Parents []string
	// Renewed is when the owner last renewed the lease; a lease not renewed for the lease duration is expired.
	Renewed time.Time
	// PendingOwner is a worker waiting for the owner to hand the lease over (a rebalance): the owner finishes its
	// batch, then passes it on, so no shard is ever processed by two workers at once.
	PendingOwner string `json:",omitempty"`
	// OwnerSwitches counts how often the lease changed hands since its last checkpoint, as the KCL does.
	OwnerSwitches int
}

func (l *Lease) expired(now time.Time, d time.Duration) bool {
	return l.Owner == "" || now.Sub(l.Renewed) > d
}

func (l *Lease) finished() bool { return l.Checkpoint == ShardEnd }

// namespace is where an application's leases live in the engine's checkpoint store.
func namespace(app, streamARN string) string { return "consumer/" + app + "@" + streamARN }

func decodeLeases(raw map[string][]byte) (map[string]*Lease, error) {
	out := make(map[string]*Lease, len(raw))
	for k, v := range raw {
		var l Lease
		if err := json.Unmarshal(v, &l); err != nil {
			return nil, fmt.Errorf("lease %s: %w", k, err)
		}
		out[k] = &l
	}
	return out, nil
}

func encodeLease(l *Lease) []byte {
	b, _ := json.Marshal(l) // a Lease always marshals
	return b
}

// eligible reports whether a lease may be processed now: not finished, and every parent finished (or gone with
// the retention period, which only happens after it was read).
func eligible(l *Lease, all map[string]*Lease) bool {
	if l.finished() {
		return false
	}
	for _, p := range l.Parents {
		if pl, ok := all[p]; ok && !pl.finished() {
			return false
		}
	}
	return true
}

// sortedLeases returns the leases in shard order, so every worker walks them alike.
func sortedLeases(all map[string]*Lease) []*Lease {
	out := make([]*Lease, 0, len(all))
	for _, l := range all {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *Lease) int { return strings.Compare(a.ShardID, b.ShardID) })
	return out
}
