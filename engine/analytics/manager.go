package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
	"github.com/shardlab/shardlab/engine/lifecycle"
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
	// ReadsThrottled counts the source reads refused over a shard's read limit while running: the limit is shared
	// by every reader of the stream.
	ReadsThrottled uint64
}

// Errors of the manager.
var (
	ErrNotFound = errors.New("analytics application not found")
	ErrExists   = errors.New("analytics application already exists")
	ErrClosed   = errors.New("the analytics manager is closed")
)

// Manager keeps the analytics applications in the engine and runs them; a running one is started again after a
// restart, resuming from its checkpoints without emitting a window twice. The lifecycle is lifecycle.Registry's;
// the application's own part is its progress (AppState), saved through the registry before rows go out.
type Manager struct {
	eng *engine.Engine
	reg *lifecycle.Registry[AppSpec, AppState, *App]
}

// OpenManager loads the applications and starts the ones that were running.
func OpenManager(eng *engine.Engine) (*Manager, error) {
	m := &Manager{eng: eng}
	reg, err := lifecycle.Open(lifecycle.Kind[AppSpec, AppState, *App]{
		Records: lifecycle.Records[AppSpec, AppState]{DB: eng, Namespace: storeNamespace, Noun: "analytics application"},
		States:  lifecycle.States{Running: StateRunning, Stopped: StateStopped, Failed: StateFailed},
		Resume:  []string{StateRunning},
		Start: func(name string, spec AppSpec, progress AppState) (*App, error) {
			return StartApp(eng, spec, progress, func(state AppState) error { return m.reg.SaveProgress(name, state) })
		},
		Stop:        (*App).Stop,
		Forget:      func(name string, spec AppSpec) error { return m.forgetSource(name, spec.Source.Stream) },
		ErrNotFound: ErrNotFound, ErrExists: ErrExists, ErrClosed: ErrClosed,
	})
	if err != nil {
		return nil, err
	}
	m.reg = reg
	reg.Resume()
	return m, nil
}

// forgetSource drops the leases and checkpoints an application's consumer holds on its input stream.
func (m *Manager) forgetSource(name, source string) error {
	arn := engine.StreamARN(m.eng.DefaultScope(), source)
	return consumer.DeleteApplication(context.Background(), m.eng, ConsumerApp(name), arn)
}

// Create stores a new application and, with start, runs it.
func (m *Manager) Create(spec AppSpec, start bool) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	return m.reg.Create(spec.Name, spec, start)
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
	it, err := m.reg.Get(name)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(it.Spec, "", "  ")
}

// Update replaces an application's queries or input. A query whose text changed starts afresh (its windows and
// how far it got are forgotten); a changed input forgets the old stream's checkpoints and every query's progress.
func (m *Manager) Update(spec AppSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	return m.reg.Update(spec.Name, spec, func(old lifecycle.Record[AppSpec, AppState]) (AppState, error) {
		kept := AppState{Closed: map[string]time.Time{}, Output: map[string]string{}}
		if old.Spec.Source.Stream != spec.Source.Stream {
			return kept, m.forgetSource(spec.Name, old.Spec.Source.Stream)
		}
		for _, q := range spec.Queries {
			for _, was := range old.Spec.Queries {
				if was.Name != q.Name || was.Text != q.Text {
					continue
				}
				if end, ok := old.Progress.Closed[q.Name]; ok {
					kept.Closed[q.Name] = end
				}
				for k, v := range old.Progress.Output {
					if strings.HasPrefix(k, q.Name+" ") {
						kept.Output[k] = v
					}
				}
			}
		}
		return kept, nil
	})
}

// Start runs a stopped or failed application from its checkpoints.
func (m *Manager) Start(name string) error { return m.reg.Start(name) }

// Stop stops an application; it stays STOPPED across restarts.
func (m *Manager) Stop(name string) error { return m.reg.Stop(name) }

// Delete stops an application and forgets it with its checkpoints.
func (m *Manager) Delete(name string) error { return m.reg.Delete(name) }

// List returns every application, by name, with its queries' counts while running.
func (m *Manager) List() []AppInfo {
	items := m.reg.List()
	out := make([]AppInfo, 0, len(items))
	for _, it := range items {
		info := AppInfo{Spec: it.Spec, State: it.State, Error: it.Error, Created: it.Created}
		if it.Run != nil {
			info.Queries, info.LastError = it.Run.Status()
			info.ReadsThrottled = it.Run.ReadsThrottled()
		}
		out = append(out, info)
	}
	return out
}

// Results returns a running application's query's latest rows (see App.Results) and its columns.
func (m *Manager) Results(app, query string) (columns []string, emitted, open []Row, err error) {
	it, err := m.reg.Get(app)
	if err != nil || it.Run == nil {
		return nil, nil, nil, err
	}
	for _, rq := range it.Run.queries {
		if rq.spec.Name == query {
			columns = rq.q.p.columns
		}
	}
	emitted, open, err = it.Run.Results(query)
	return columns, emitted, open, err
}

// Close stops every application but keeps it RUNNING, so the next OpenManager resumes it.
func (m *Manager) Close() { m.reg.Close() }
