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
