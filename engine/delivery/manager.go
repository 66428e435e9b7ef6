package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
	"github.com/shardlab/shardlab/engine/lifecycle"
)

// Delivery stream states, as Firehose names them (plus STOPPED, which Firehose has no need of).
const (
	StateCreating = "CREATING"
	StateActive   = "ACTIVE"
	StateFailed   = "FAILED"
	StateStopped  = "STOPPED"
)

// storeNamespace is where the manager keeps delivery streams in the engine's checkpoint store (shardlab.db).
const storeNamespace = "delivery-streams"

// stopTimeout bounds the last flush of a stopping delivery; what it does not deliver is read again next time.
const stopTimeout = 30 * time.Second

// Info is a delivery stream as listed.
type Info struct {
	Spec    Spec
	State   string
	Error   string    // why it FAILED
	Created time.Time // when it was created
	Metrics Metrics   // since it last started; zero while not running
}

// Manager keeps the delivery streams: stored in the engine, started again after a restart if they were running.
// The lifecycle (stored specs, start, stop, the watch that marks a delivery FAILED) is lifecycle.Registry's; what
// is the delivery's own is below: its consumer application's checkpoints, which Update and Delete drop.
type Manager struct {
	eng *engine.Engine
	reg *lifecycle.Registry[Spec, struct{}, *Delivery]
}

// ErrNotFound and ErrExists are returned for a delivery stream that does not, or already does, exist; ErrClosed
// after Close.
var (
	ErrNotFound = errors.New("delivery stream not found")
	ErrExists   = errors.New("delivery stream already exists")
	ErrClosed   = errors.New("the delivery manager is closed")
)

// OpenManager loads the delivery streams and resumes the ACTIVE ones from their checkpoints.
func OpenManager(eng *engine.Engine) (*Manager, error) {
	m := &Manager{eng: eng}
	reg, err := lifecycle.Open(lifecycle.Kind[Spec, struct{}, *Delivery]{
		Records: lifecycle.Records[Spec, struct{}]{DB: eng, Namespace: storeNamespace, Noun: "delivery stream"},
		States:  lifecycle.States{Running: StateActive, Stopped: StateStopped, Failed: StateFailed},
		// CREATING is what earlier versions stored between Create and the first start.
		Resume: []string{StateActive, StateCreating},
		Start:  func(_ string, spec Spec, _ struct{}) (*Delivery, error) { return Start(eng, spec) },
		Stop: func(d *Delivery) {
			ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			defer cancel()
			d.Stop(ctx)
		},
		Forget:      func(name string, spec Spec) error { return m.forgetSource(name, spec.Source.Stream) },
		ErrNotFound: ErrNotFound, ErrExists: ErrExists, ErrClosed: ErrClosed,
	})
	if err != nil {
		return nil, err
	}
	m.reg = reg
	reg.Resume()
	return m, nil
}

// forgetSource drops the leases and checkpoints a delivery stream's consumer application holds on a source
// stream. By the ARN the source has or had: the leases outlive a deleted stream, and a stream of the same name
// created later has the same ARN.
func (m *Manager) forgetSource(name, source string) error {
	arn := engine.StreamARN(m.eng.DefaultScope(), source)
	return consumer.DeleteApplication(context.Background(), m.eng, ConsumerApp(name), arn)
}

// Create stores a new delivery stream and, with start, runs it.
func (m *Manager) Create(spec Spec, start bool) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	return m.reg.Create(spec.Name, spec, start)
}

// Update replaces a delivery stream's spec, keeping its checkpoints: a running one is stopped (flushing what it
// holds under the old spec) and started again with the new one. A new source stream starts from the spec's start
// position: the old stream's checkpoints are forgotten.
func (m *Manager) Update(spec Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	return m.reg.Update(spec.Name, spec, func(old lifecycle.Record[Spec, struct{}]) (struct{}, error) {
		if old.Spec.Source.Stream != spec.Source.Stream {
			return struct{}{}, m.forgetSource(spec.Name, old.Spec.Source.Stream)
		}
		return struct{}{}, nil
	})
}

// Preview returns the latest records that passed one node of a running delivery stream (see Delivery.Preview);
// none while it is not running.
func (m *Manager) Preview(name, ref string) ([]Sample, error) {
	it, err := m.reg.Get(name)
	if err != nil || it.Run == nil {
		return nil, err
	}
	return it.Run.Preview(ref), nil
}

// Import creates a delivery stream from its exported JSON, stopped.
func (m *Manager) Import(b []byte) (Spec, error) {
	spec, err := ParseSpec(b)
	if err != nil {
		return Spec{}, err
	}
	return spec, m.Create(spec, false)
}

// Export is a delivery stream's spec as indented JSON.
func (m *Manager) Export(name string) ([]byte, error) {
	it, err := m.reg.Get(name)
	if err != nil {
		return nil, err
	}
	return it.Spec.MarshalIndent(), nil
}

// Start runs a stopped or failed delivery stream from its checkpoints.
func (m *Manager) Start(name string) error { return m.reg.Start(name) }

// Stop flushes and stops a delivery stream; it stays STOPPED across restarts.
func (m *Manager) Stop(name string) error { return m.reg.Stop(name) }

// Delete stops a delivery stream and forgets it with its checkpoints: a new one of the same name starts afresh.
func (m *Manager) Delete(name string) error { return m.reg.Delete(name) }

// List returns every delivery stream, by name.
func (m *Manager) List() []Info {
	items := m.reg.List()
	out := make([]Info, 0, len(items))
	for _, it := range items {
		info := Info{Spec: it.Spec, State: it.State, Error: it.Error, Created: it.Created}
		if it.Run != nil {
			info.Metrics = it.Run.Metrics()
		}
		out = append(out, info)
	}
	return out
}

// Get returns one delivery stream.
func (m *Manager) Get(name string) (Info, error) {
	it, err := m.reg.Get(name)
	if err != nil {
		return Info{}, err
	}
	info := Info{Spec: it.Spec, State: it.State, Error: it.Error, Created: it.Created}
	if it.Run != nil {
		info.Metrics = it.Run.Metrics()
	}
	return info, nil
}

// Close stops every running delivery (flushing it) but keeps it ACTIVE, so the next OpenManager resumes it.
func (m *Manager) Close() { m.reg.Close() }
