package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
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

type stored struct {
	Spec    Spec      `json:"spec"`
	State   string    `json:"state"`
	Error   string    `json:"error,omitempty"`
	Created time.Time `json:"created"`
}

// Manager keeps the delivery streams: stored in the engine, started again after a restart if they were running.
type Manager struct {
	eng *engine.Engine

	// lifecycle serializes Start, Stop, Update and Delete: they wait on flushes outside mu, and one landing in the
	// middle of another (a Start during an Update's stop, say) would leave a delivery running that nothing tracks.
	lifecycle sync.Mutex

	mu      sync.Mutex
	streams map[string]*stored
	running map[string]*Delivery
	closed  bool
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
	raw, err := eng.Checkpoints(context.Background(), storeNamespace)
	if err != nil {
		return nil, err
	}
	m := &Manager{eng: eng, streams: map[string]*stored{}, running: map[string]*Delivery{}}
	for name, b := range raw {
		var s stored
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("delivery stream %s in %s: %w", name, eng.Path(), err)
		}
		m.streams[name] = &s
	}
	for name, s := range m.streams {
		if s.State == StateActive || s.State == StateCreating {
			m.mu.Lock()
			m.startLocked(name)
			m.mu.Unlock()
		}
	}
	return m, nil
}

// Create stores a new delivery stream and, with start, runs it.
func (m *Manager) Create(spec Spec, start bool) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.streams[spec.Name] != nil {
		return fmt.Errorf("%w: %s", ErrExists, spec.Name)
	}
	s := &stored{Spec: spec, State: StateStopped, Created: time.Now().UTC()}
	if start {
		s.State = StateCreating
	}
	if err := m.persist(spec.Name, s); err != nil {
		return err
	}
	m.streams[spec.Name] = s
	if start {
		m.startLocked(spec.Name)
	}
	return nil
}

// Update replaces a delivery stream's spec, keeping its checkpoints: a running one is stopped (flushing what it
// holds under the old spec) and started again with the new one. A new source stream starts from the spec's start
// position: the old stream's checkpoints are forgotten.
func (m *Manager) Update(spec Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	m.mu.Lock()
	s := m.streams[spec.Name]
	closed := m.closed
	wasRunning := m.running[spec.Name] != nil
	m.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case s == nil:
		return fmt.Errorf("%w: %s", ErrNotFound, spec.Name)
	}
	oldSource := s.Spec.Source.Stream
	if wasRunning {
		if err := m.stop(spec.Name); err != nil {
			return err
		}
	}
	if oldSource != spec.Source.Stream {
		arn := engine.StreamARN(m.eng.DefaultScope(), oldSource)
		if err := consumer.DeleteApplication(context.Background(), m.eng, ConsumerApp(spec.Name), arn); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Spec = spec
	if m.closed { // closed while stopping: keep it ACTIVE, as Close does, so the next start resumes it
		if wasRunning {
			s.State = StateActive
		}
		if err := m.persist(spec.Name, s); err != nil {
			return err
		}
		return ErrClosed
	}
	if err := m.persist(spec.Name, s); err != nil {
		return err
	}
	if wasRunning {
		m.startLocked(spec.Name)
	}
	return nil
}

// Preview returns the latest records that passed one node of a running delivery stream (see Delivery.Preview);
// none while it is not running.
func (m *Manager) Preview(name, ref string) ([]Sample, error) {
	m.mu.Lock()
	s, d := m.streams[name], m.running[name]
	m.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if d == nil {
		return nil, nil
	}
	return d.Preview(ref), nil
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
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.streams[name]
	if s == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return s.Spec.MarshalIndent(), nil
}

// Start runs a stopped or failed delivery stream from its checkpoints.
func (m *Manager) Start(name string) error {
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.streams[name] == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if m.running[name] != nil {
		return nil
	}
	m.startLocked(name)
	if s := m.streams[name]; s.State == StateFailed {
		return errors.New(s.Error)
	}
	return nil
}

// startLocked starts a delivery and records its state. Caller holds m.mu.
func (m *Manager) startLocked(name string) {
	if m.running[name] != nil {
		return
	}
	s := m.streams[name]
	d, err := Start(m.eng, s.Spec)
	if err != nil {
		s.State, s.Error = StateFailed, err.Error()
		_ = m.persist(name, s)
		return
	}
	s.State, s.Error = StateActive, ""
	_ = m.persist(name, s)
	m.running[name] = d
	go m.watch(name, d)
}

// watch marks a delivery FAILED when its reader ends by itself (its source stream deleted, say).
func (m *Manager) watch(name string, d *Delivery) {
	<-d.Done()
	err := d.Err()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running[name] != d || err == nil {
		return // stopped on purpose
	}
	delete(m.running, name)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		d.Stop(ctx)
	}()
	if s := m.streams[name]; s != nil {
		s.State, s.Error = StateFailed, err.Error()
		_ = m.persist(name, s)
	}
}

// Stop flushes and stops a delivery stream; it stays STOPPED across restarts.
func (m *Manager) Stop(name string) error {
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	return m.stop(name)
}

func (m *Manager) stop(name string) error {
	m.mu.Lock()
	s, d := m.streams[name], m.running[name]
	if s == nil {
		m.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	delete(m.running, name)
	s.State, s.Error = StateStopped, ""
	err := m.persist(name, s)
	m.mu.Unlock()
	if d != nil {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		d.Stop(ctx)
	}
	return err
}

// Delete stops a delivery stream and forgets it with its checkpoints: a new one of the same name starts afresh.
func (m *Manager) Delete(name string) error {
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	if err := m.stop(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.streams[name]
	if s == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, name) // deleted meanwhile
	}
	delete(m.streams, name)
	// By the ARN the source stream has or had (the leases outlive a deleted stream, and a stream of the same name
	// created later has the same ARN).
	arn := engine.StreamARN(m.eng.DefaultScope(), s.Spec.Source.Stream)
	if err := consumer.DeleteApplication(context.Background(), m.eng, ConsumerApp(name), arn); err != nil {
		return err
	}
	return m.eng.UpdateCheckpoints(context.Background(), storeNamespace, func(map[string][]byte) (map[string][]byte, error) {
		return map[string][]byte{name: nil}, nil
	})
}

// List returns every delivery stream, by name.
func (m *Manager) List() []Info {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Info
	for name, s := range m.streams {
		info := Info{Spec: s.Spec, State: s.State, Error: s.Error, Created: s.Created}
		if d := m.running[name]; d != nil {
			info.Metrics = d.Metrics()
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Spec.Name, b.Spec.Name) })
	return out
}

// Get returns one delivery stream.
func (m *Manager) Get(name string) (Info, error) {
	for _, info := range m.List() {
		if info.Spec.Name == name {
			return info, nil
		}
	}
	return Info{}, fmt.Errorf("%w: %s", ErrNotFound, name)
}

// Close stops every running delivery (flushing it) but keeps it ACTIVE, so the next OpenManager resumes it.
func (m *Manager) Close() {
	m.mu.Lock()
	running := m.running
	m.running = map[string]*Delivery{}
	m.closed = true
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, d := range running {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			defer cancel()
			d.Stop(ctx)
		})
	}
	wg.Wait()
}

func (m *Manager) persist(name string, s *stored) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return m.eng.PutCheckpoint(context.Background(), engine.Checkpoint{Namespace: storeNamespace, Key: name, Value: b})
}
