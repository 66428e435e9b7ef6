package engine

import (
	"context"

	"github.com/shardlab/shardlab/engine/storage"
)

// Checkpoint is a small durable value a client keeps beside its records: a folder watcher's file offset, a
// consumer's position. Namespace keeps clients apart.
type Checkpoint struct {
	Namespace, Key string
	Value          []byte
}

// PutCheckpoint stores a checkpoint; it returns once the value is on disk.
func (e *Engine) PutCheckpoint(ctx context.Context, cp Checkpoint) error {
	if cp.Namespace == "" || cp.Key == "" {
		return newError(ErrInvalidArgument, "A checkpoint needs a namespace and a key.")
	}
	return e.update(func(tx *storage.Tx) (func(), error) {
		return nil, tx.PutCheckpoint(cp.Namespace, cp.Key, cp.Value)
	})
}

// GetCheckpoint returns a stored checkpoint's value, or nil when there is none.
func (e *Engine) GetCheckpoint(ctx context.Context, namespace, key string) ([]byte, error) {
	var v []byte
	err := e.db.View(func(tx *storage.ReadTx) error {
		if b := tx.Checkpoint(namespace, key); b != nil {
			v = append([]byte(nil), b...)
		}
		return nil
	})
	return v, err
}

// PutRecordsCheckpointed is PutRecords that also stores cp in the same transaction as the records, all or nothing:
// if any record is refused (throttled, or a fault injected), no record is written and the checkpoint is not
// stored, so the caller retries the whole call. A folder watcher that saves its file offsets this way neither loses
// nor duplicates a line across a crash. Out.FailedRecordCount > 0 means nothing was stored.
func (e *Engine) PutRecordsCheckpointed(ctx context.Context, in PutRecordsInput, cp Checkpoint) (*PutRecordsOutput, error) {
	if cp.Namespace == "" || cp.Key == "" {
		return nil, newError(ErrInvalidArgument, "A checkpoint needs a namespace and a key.")
	}
	return e.putRecords(ctx, in, &cp)
}

// Checkpoints returns every checkpoint in a namespace, by key.
func (e *Engine) Checkpoints(ctx context.Context, namespace string) (map[string][]byte, error) {
	var out map[string][]byte
	err := e.db.View(func(tx *storage.ReadTx) error {
		out = tx.Checkpoints(namespace)
		return nil
	})
	return out, err
}

// UpdateCheckpoints reads a namespace and writes change's answer in one transaction, so no other write comes in
// between: the compare-and-swap that consumer leases are built on. change gets the current values by key and
// returns the keys to write (a nil value deletes the key); an error from it writes nothing and is returned.
func (e *Engine) UpdateCheckpoints(ctx context.Context, namespace string, change func(cur map[string][]byte) (map[string][]byte, error)) error {
	if namespace == "" {
		return newError(ErrInvalidArgument, "A checkpoint needs a namespace and a key.")
	}
	return e.update(func(tx *storage.Tx) (func(), error) {
		writes, err := change(tx.Checkpoints(namespace))
		if err != nil {
			return nil, err
		}
		for k, v := range writes {
			if k == "" {
				return nil, newError(ErrInvalidArgument, "A checkpoint needs a namespace and a key.")
			}
			if v == nil {
				err = tx.DeleteCheckpoint(namespace, k)
			} else {
				err = tx.PutCheckpoint(namespace, k, v)
			}
			if err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}
