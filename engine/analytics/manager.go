package analytics

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

// Application states.
const (
	StateRunning = "RUNNING"
	StateStopped = "STOPPED"
	StateFailed  = "FAILED"
)

// storeNamespace is where the manager keeps applications in the engine's checkpoint store (shardlab.db).
const storeNamespace = "analytics-apps"

// AppInfo is an application as listed.
type AppInfo struct {
	Spec      AppSpec
	State     string
	Error     string // why it FAILED
	Created   time.Time
	Queries   []QueryStatus // while running
	LastError string        // the latest problem writing outputs or checkpoints, while running
}

type storedApp struct {
	Spec     AppSpec   `json:"spec"`
	State    string    `json:"state"`
	Error    string    `json:"error,omitempty"`
	Created  time.Time `json:"created"`
	Progress AppState  `json:"progress"` // how far the queries got
}

// Errors of the manager.
var (
	ErrNotFound = errors.New("analytics application not found")
	ErrExists   = errors.New("analytics application already exists")
	ErrClosed   = errors.New("the analytics manager is closed")
)

// Manager keeps the analytics applications in the engine and runs them; a running one is started again after a
// restart, resuming from its checkpoints without emitting a window twice.
type Manager struct {
	eng       *engine.Engine
	lifecycle sync.Mutex // serializes Create, Start, Stop, Update and Delete
	mu        sync.Mutex
	apps      map[string]*storedApp
	running   map[string]*App
	closed    bool
}

// OpenManager loads the applications and starts the ones that were running.
func OpenManager(eng *engine.Engine) (*Manager, error) {
	raw, err := eng.Checkpoints(context.Background(), storeNamespace)
	if err != nil {
		return nil, err
	}
	m := &Manager{eng: eng, apps: map[string]*storedApp{}, running: map[string]*App{}}
	for name, b := range raw {
		var s storedApp
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("analytics application %s in %s: %w", name, eng.Path(), err)
		}
		m.apps[name] = &s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, s := range m.apps {
		if s.State == StateRunning {
			m.startLocked(name)
		}
	}
	return m, nil
}

// Create stores a new application and, with start, runs it.
func (m *Manager) Create(spec AppSpec, start bool) error {
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
	if m.apps[spec.Name] != nil {
		return fmt.Errorf("%w: %s", ErrExists, spec.Name)
	}
	s := &storedApp{Spec: spec, State: StateStopped, Created: time.Now().UTC()}
	if err := m.persistLocked(spec.Name, s); err != nil {
		return err
	}
	m.apps[spec.Name] = s
	if start {
		m.startLocked(spec.Name)
	}
	return nil
}

// Import creates an application from its exported JSON, stopped.
func (m *Manager) Import(b []byte) (AppSpec, error) {
	spec, err := ParseApp(b)
	if err != nil {
		return AppSpec{}, err
	}
	return spec, m.Create(spec, false)
}

// Export is an application's spec as indented JSON.
func (m *Manager) Export(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.apps[name]
	if s == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return json.MarshalIndent(s.Spec, "", "  ")
}

// Update replaces an application's queries or input. A query whose text changed starts afresh (its windows and
// how far it got are forgotten); a changed input forgets the old stream's checkpoints and every query's progress.
func (m *Manager) Update(spec AppSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	m.mu.Lock()
	s := m.apps[spec.Name]
	wasRunning := m.running[spec.Name] != nil
	m.mu.Unlock()
	if s == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, spec.Name)
	}
	if wasRunning {
		m.stop(spec.Name)
	}
	if s.Spec.Source.Stream != spec.Source.Stream {
		arn := engine.StreamARN(m.eng.DefaultScope(), s.Spec.Source.Stream)
		if err := consumer.DeleteApplication(context.Background(), m.eng, ConsumerApp(spec.Name), arn); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := AppState{Closed: map[string]time.Time{}, Output: map[string]string{}}
	if s.Spec.Source.Stream == spec.Source.Stream {
		for _, q := range spec.Queries {
			for _, old := range s.Spec.Queries {
				if old.Name != q.Name || old.Text != q.Text {
					continue
				}
				if end, ok := s.Progress.Closed[q.Name]; ok {
					kept.Closed[q.Name] = end
				}
				for k, v := range s.Progress.Output {
					if strings.HasPrefix(k, q.Name+" ") {
						kept.Output[k] = v
					}
				}
			}
		}
	}
	s.Spec, s.Progress = spec, kept
	if wasRunning {
		s.State = StateRunning
	}
	if err := m.persistLocked(spec.Name, s); err != nil {
		return err
	}
	if m.closed {
		return ErrClosed
	}
	if wasRunning {
		m.startLocked(spec.Name)
	}
	return nil
}

// Start runs a stopped or failed application from its checkpoints.
func (m *Manager) Start(name string) error {
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	s := m.apps[name]
	if s == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	m.startLocked(name)
	if s.State == StateFailed {
		return errors.New(s.Error)
	}
	return nil
}

func (m *Manager) startLocked(name string) {
	if m.running[name] != nil {
		return
	}
	s := m.apps[name]
	a, err := StartApp(m.eng, s.Spec, s.Progress, func(state AppState) error { return m.saveState(name, state) })
	if err != nil {
		s.State, s.Error = StateFailed, err.Error()
		_ = m.persistLocked(name, s)
		return
	}
	s.State, s.Error = StateRunning, ""
	_ = m.persistLocked(name, s)
	m.running[name] = a
	go m.watch(name, a)
}

// saveState stores how far the queries got, before their rows go out.
func (m *Manager) saveState(name string, state AppState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.apps[name]
	if s == nil {
		return nil
	}
	s.Progress = state
	return m.persistLocked(name, s)
}

// watch marks an application FAILED when it stops reading by itself (its input deleted, say).
func (m *Manager) watch(name string, a *App) {
	<-a.Done()
	err := a.Err()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running[name] != a || err == nil {
		return
	}
	delete(m.running, name)
	if s := m.apps[name]; s != nil {
		s.State, s.Error = StateFailed, err.Error()
		_ = m.persistLocked(name, s)
	}
}

// Stop stops an application; it stays STOPPED across restarts.
func (m *Manager) Stop(name string) error {
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	return m.stop(name)
}

func (m *Manager) stop(name string) error {
	m.mu.Lock()
	s, a := m.apps[name], m.running[name]
	if s == nil {
		m.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	delete(m.running, name)
	s.State, s.Error = StateStopped, ""
	err := m.persistLocked(name, s)
	m.mu.Unlock()
	if a != nil {
		a.Stop()
	}
	return err
}

// Delete stops an application and forgets it with its checkpoints.
func (m *Manager) Delete(name string) error {
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	if err := m.stop(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.apps[name]
	delete(m.apps, name)
	arn := engine.StreamARN(m.eng.DefaultScope(), s.Spec.Source.Stream)
	if err := consumer.DeleteApplication(context.Background(), m.eng, ConsumerApp(name), arn); err != nil {
		return err
	}
	return m.eng.UpdateCheckpoints(context.Background(), storeNamespace, func(map[string][]byte) (map[string][]byte, error) {
		return map[string][]byte{name: nil}, nil
	})
}

// List returns every application, by name, with its queries' counts while running.
func (m *Manager) List() []AppInfo {
	m.mu.Lock()
	var out []AppInfo
	running := map[string]*App{}
	for name, s := range m.apps {
		out = append(out, AppInfo{Spec: s.Spec, State: s.State, Error: s.Error, Created: s.Created})
		running[name] = m.running[name]
	}
	m.mu.Unlock()
	for i := range out {
		if a := running[out[i].Spec.Name]; a != nil {
			out[i].Queries, out[i].LastError = a.Status()
		}
	}
	slices.SortFunc(out, func(a, b AppInfo) int { return strings.Compare(a.Spec.Name, b.Spec.Name) })
	return out
}

// Results returns a running application's query's latest rows (see App.Results) and its columns.
func (m *Manager) Results(app, query string) (columns []string, emitted, open []Row, err error) {
	m.mu.Lock()
	a := m.running[app]
	s := m.apps[app]
	m.mu.Unlock()
	if s == nil {
		return nil, nil, nil, fmt.Errorf("%w: %s", ErrNotFound, app)
	}
	if a == nil {
		return nil, nil, nil, nil
	}
	for _, rq := range a.queries {
		if rq.spec.Name == query {
			columns = rq.q.p.columns
		}
	}
	emitted, open, err = a.Results(query)
	return columns, emitted, open, err
}

// Close stops every application but keeps it RUNNING, so the next OpenManager resumes it.
func (m *Manager) Close() {
	m.mu.Lock()
	running := m.running
	m.running = map[string]*App{}
	m.closed = true
	m.mu.Unlock()
	for _, a := range running {
		a.Stop()
	}
}

func (m *Manager) persistLocked(name string, s *storedApp) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return m.eng.PutCheckpoint(context.Background(), engine.Checkpoint{Namespace: storeNamespace, Key: name, Value: b})
}
