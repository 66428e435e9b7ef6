// Package lifecycle is the one pattern Shardlab's long-running things share: delivery streams, analytics
// applications, producers and file jobs. Each is a named item with a spec (what to run), a state (running,
// stopped, failed and why) and, while it runs, the value doing the work.
//
// Records keeps specs and states in the engine's database, one JSON value per item under a checkpoint namespace,
// so all saved state lives in shardlab.db and is written in a committed transaction before a call returns.
// Registry adds the lifecycle on top: create, start, stop, update, delete, a watch that marks an item FAILED
// when it ends by itself with an error, and Close, which stops everything but keeps the states so the next Open
// resumes what was running.
//
// Caveats: a Registry's Start and Stop callbacks run with the registry's lock held, so they must not call back
// into the same registry (a running item reports its progress through SaveProgress from its own goroutine, which
// is fine). Items are listed by name in byte order.
package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// Record is one item as stored: its spec, its state and, for kinds that resume where they left off, how far it got.
type Record[S, P any] struct {
	Spec     S         `json:"spec"`
	State    string    `json:"state"`
	Error    string    `json:"error,omitempty"` // why it FAILED
	Created  time.Time `json:"created"`
	Progress P         `json:"progress,omitzero"`
}

// DB is the part of the engine that keeps records: its checkpoint store.
type DB interface {
	Checkpoints(ctx context.Context, namespace string) (map[string][]byte, error)
	PutCheckpoint(ctx context.Context, cp engine.Checkpoint) error
	UpdateCheckpoints(ctx context.Context, namespace string, change func(cur map[string][]byte) (map[string][]byte, error)) error
	Path() string
}

// Records stores one kind's records under a namespace of the engine's checkpoint store. The zero Records (no DB)
// keeps nothing: for items that do not outlive the process, such as file jobs.
type Records[S, P any] struct {
	DB        DB
	Namespace string
	Noun      string // names the kind in errors: "delivery stream"
}

// Load returns every stored record by name. A value that does not parse is an error naming the item and the
// database, never skipped: skipping it would let the next save lose it.
func (r Records[S, P]) Load() (map[string]Record[S, P], error) {
	out := map[string]Record[S, P]{}
	if r.DB == nil {
		return out, nil
	}
	raw, err := r.DB.Checkpoints(context.Background(), r.Namespace)
	if err != nil {
		return nil, err
	}
	for name, b := range raw {
		var rec Record[S, P]
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("%s %s in %s: %w", r.Noun, name, r.DB.Path(), err)
		}
		out[name] = rec
	}
	return out, nil
}

// Put stores one record; it returns once the value is committed.
func (r Records[S, P]) Put(name string, rec Record[S, P]) error {
	if r.DB == nil {
		return nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.Noun, name, err)
	}
	return r.DB.PutCheckpoint(context.Background(), engine.Checkpoint{Namespace: r.Namespace, Key: name, Value: b})
}

// PutAll stores several records in one transaction: all of them or, on an error, none.
func (r Records[S, P]) PutAll(recs map[string]Record[S, P]) error {
	if r.DB == nil || len(recs) == 0 {
		return nil
	}
	values := make(map[string][]byte, len(recs))
	for name, rec := range recs {
		b, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("%s %s: %w", r.Noun, name, err)
		}
		values[name] = b
	}
	return r.DB.UpdateCheckpoints(context.Background(), r.Namespace, func(map[string][]byte) (map[string][]byte, error) {
		return values, nil
	})
}

// Delete forgets one record.
func (r Records[S, P]) Delete(name string) error {
	if r.DB == nil {
		return nil
	}
	return r.DB.UpdateCheckpoints(context.Background(), r.Namespace, func(map[string][]byte) (map[string][]byte, error) {
		return map[string][]byte{name: nil}, nil
	})
}
