package consumer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// The lease table seen from outside the workers: which applications consume a stream, their leases, and resetting
// a checkpoint (the Consumers screen's tools).

func appsNamespace(streamARN string) string { return "consumer-apps@" + streamARN }

// registerApp notes that an application consumes the stream, so Applications can list it.
func registerApp(ctx context.Context, eng *engine.Engine, streamARN, app string) error {
	return eng.UpdateCheckpoints(ctx, appsNamespace(streamARN), func(cur map[string][]byte) (map[string][]byte, error) {
		if cur[app] != nil {
			return nil, nil
		}
		return map[string][]byte{app: []byte(time.Now().UTC().Format(time.RFC3339))}, nil
	})
}

// Applications lists the consumer applications that ever ran on a stream, by name.
func Applications(ctx context.Context, eng *engine.Engine, streamARN string) ([]string, error) {
	raw, err := eng.Checkpoints(ctx, appsNamespace(streamARN))
	if err != nil {
		return nil, err
	}
	var out []string
	for app := range raw {
		out = append(out, app)
	}
	slices.Sort(out)
	return out, nil
}

// Leases returns an application's lease table in shard order.
func Leases(ctx context.Context, eng *engine.Engine, app, streamARN string) ([]Lease, error) {
	raw, err := eng.Checkpoints(ctx, namespace(app, streamARN))
	if err != nil {
		return nil, err
	}
	all, err := decodeLeases(raw)
	if err != nil {
		return nil, err
	}
	var out []Lease
	for _, l := range sortedLeases(all) {
		out = append(out, *l)
	}
	return out, nil
}

// Expired reports whether a lease's holder stopped renewing it more than d ago (or nobody holds it).
func (l Lease) Expired(now time.Time, d time.Duration) bool { return l.expired(now, d) }

// ResetCheckpoint moves a shard's checkpoint to TRIM_HORIZON, LATEST, AT_TIMESTAMP (at) or after a sequence number
// of that shard. The holder's processing stops at its next renewal; the lease is taken again (by the same worker at
// once, by another once it expires) from the new checkpoint.
func ResetCheckpoint(ctx context.Context, eng *engine.Engine, app, streamARN, shardID, position string, at time.Time) error {
	if position != TrimHorizon && position != Latest && position != AtTimestamp {
		// A sequence number: make sure it belongs to the shard before storing it.
		if _, err := eng.GetShardIterator(ctx, engine.GetShardIteratorInput{StreamRef: engine.StreamRef{StreamARN: streamARN},
			ShardId: shardID, ShardIteratorType: engine.IteratorAtSequence, StartingSequenceNumber: position}); err != nil {
			return err
		}
	}
	return eng.UpdateCheckpoints(ctx, namespace(app, streamARN), func(cur map[string][]byte) (map[string][]byte, error) {
		all, err := decodeLeases(cur)
		if err != nil {
			return nil, err
		}
		l := all[shardID]
		if l == nil {
			return nil, fmt.Errorf("application %s has no lease for %s", app, shardID)
		}
		l.Checkpoint, l.CheckpointTime = position, nil
		if position == AtTimestamp {
			l.CheckpointTime = &at
		}
		// A new epoch: the holder notices at its next renewal and stops. The owner stays recorded, so nobody
		// else takes the lease before it has expired — by then the holder's processing has stopped.
		l.PendingOwner = ""
		l.Counter++
		l.Epoch++
		return map[string][]byte{shardID: encodeLease(l)}, nil
	})
}

// DeleteApplication forgets an application's leases and checkpoints on a stream, so an application of the same
// name starts afresh. Its workers must be stopped first.
func DeleteApplication(ctx context.Context, eng *engine.Engine, app, streamARN string) error {
	err := eng.UpdateCheckpoints(ctx, namespace(app, streamARN), func(cur map[string][]byte) (map[string][]byte, error) {
		writes := map[string][]byte{}
		for k := range cur {
			writes[k] = nil
		}
		return writes, nil
	})
	if err != nil {
		return err
	}
	return eng.UpdateCheckpoints(ctx, appsNamespace(streamARN), func(map[string][]byte) (map[string][]byte, error) {
		return map[string][]byte{app: nil}, nil
	})
}
