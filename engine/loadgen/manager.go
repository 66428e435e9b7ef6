package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/shardlab/shardlab/engine/lifecycle"
)

// storeNamespace is where the manager keeps the generators' settings in the engine's checkpoint store
// (shardlab.db), keyed by their ids.
const storeNamespace = "generators"

// Generator states, as lifecycle.Registry stores them. A generator that stops by itself (its stream is gone)
// is FAILED with the reason.
const (
	StateRunning = "RUNNING"
	StateStopped = "STOPPED"
	StateFailed  = "FAILED"
)

// Errors of the manager.
var (
	ErrNotFound = errors.New("no such generator")
	errExists   = errors.New("generator already exists") // ids are never reused: only a bug could hit it
	ErrClosed   = errors.New("the generator manager is closed")
)

// LegacyFile is the JSON file earlier versions kept the generators in, in the data directory. ImportLegacy moves
// its generators into the database once and renames it with ImportedSuffix, so it is never read twice.
const (
	LegacyFile     = "generators.json"
	ImportedSuffix = ".imported"
)

// Store is what the manager needs of the engine: puts for the generators, the checkpoint store for their settings.
type Store interface {
	engineHandle
	lifecycle.DB
}

// Manager holds the workspace's generators and keeps their settings in the engine's database, so they survive a
// restart. Generators always come back stopped: nothing starts writing until a person says so. The lifecycle is
// lifecycle.Registry's; each generator keeps one Generator for its whole life, so its totals count across runs.
type Manager struct {
	eng     Store
	baseDir string // relative sample-file paths resolve against it (the data directory)
	reg     *lifecycle.Registry[Config, struct{}, *Generator]

	mu   sync.Mutex
	gens map[string]*Generator // by id, every generator, running or not
	next int
}

func records(db lifecycle.DB) lifecycle.Records[Config, struct{}] {
	return lifecycle.Records[Config, struct{}]{DB: db, Namespace: storeNamespace, Noun: "generator"}
}

// OpenManager loads the generators stored in eng; relative sample-file paths resolve against dataDir. Call
// ImportLegacy first to move in an earlier version's file.
func OpenManager(eng Store, dataDir string) (*Manager, error) {
	m := &Manager{eng: eng, baseDir: dataDir, gens: map[string]*Generator{}, next: 1}
	reg, err := lifecycle.Open(lifecycle.Kind[Config, struct{}, *Generator]{
		Records:     records(eng),
		States:      lifecycle.States{Running: StateRunning, Stopped: StateStopped, Failed: StateFailed},
		Start:       m.startGenerator,
		Stop:        (*Generator).Stop,
		Forget:      m.forget,
		ErrNotFound: ErrNotFound, ErrExists: errExists, ErrClosed: ErrClosed,
	})
	if err != nil {
		return nil, err
	}
	for _, it := range reg.List() {
		id, err := strconv.Atoi(it.Name)
		if err != nil || id < 1 {
			return nil, fmt.Errorf("generator %q in %s: the key is not an id", it.Name, eng.Path())
		}
		g, err := m.newGenerator(it.Spec)
		if err != nil {
			return nil, fmt.Errorf("generator %d (%q) in %s: %w", id, it.Spec.Name, eng.Path(), err)
		}
		m.gens[it.Name] = g
		m.next = max(m.next, id+1)
	}
	m.reg = reg
	reg.Resume() // nothing is resumed: a generator stored as running is shown stopped
	return m, nil
}

func (m *Manager) newGenerator(cfg Config) (*Generator, error) {
	g, err := NewGenerator(m.eng, cfg)
	if err != nil {
		return nil, err
	}
	g.baseDir = m.baseDir
	return g, nil
}

// startGenerator is the registry's Start: the item's one Generator, with the stored settings, started.
func (m *Manager) startGenerator(key string, cfg Config, _ struct{}) (*Generator, error) {
	m.mu.Lock()
	g := m.gens[key]
	m.mu.Unlock()
	if g == nil {
		return nil, fmt.Errorf("generator %s: %w", key, ErrNotFound)
	}
	if err := g.SetConfig(cfg); err != nil {
		return nil, err
	}
	if err := g.Start(); err != nil {
		return nil, err
	}
	return g, nil
}

func (m *Manager) forget(key string, _ Config) error {
	m.mu.Lock()
	delete(m.gens, key)
	m.mu.Unlock()
	return nil
}

// legacyFile is generators.json's shape; its version let a later format refuse or migrate it.
type legacyFile struct {
	Version    int      `json:"version"`
	Generators []Config `json:"generators"`
}

const legacyVersion = 1

// ImportLegacy moves the generators of an earlier version's generators.json in dataDir into the database, in one
// transaction, then renames the file so it is never read again. A database that already holds generators (a
// crash between the commit and the rename) only gets the rename. A file that does not parse, or holds a bad
// generator, is an error naming it, and nothing is moved. No file: nothing to do. Not for an in-memory engine,
// which would forget what it moved.
func ImportLegacy(db lifecycle.DB, dataDir string) error {
	path := filepath.Join(dataDir, LegacyFile)
	records := records(db)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load generators: %w", err)
	}
	have, err := records.Load()
	if err != nil {
		return err
	}
	if len(have) == 0 {
		var f legacyFile
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("load generators from %s: %w", path, err)
		}
		if f.Version > legacyVersion {
			return fmt.Errorf("load generators from %s: format %d is newer than this Shardlab's %d", path, f.Version, legacyVersion)
		}
		recs := map[string]lifecycle.Record[Config, struct{}]{}
		for i, cfg := range f.Generators {
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("load generators from %s: %q: %w", path, cfg.Name, err)
			}
			recs[strconv.Itoa(i+1)] = lifecycle.Record[Config, struct{}]{Spec: cfg, State: StateStopped}
		}
		if err := records.PutAll(recs); err != nil {
			return fmt.Errorf("move generators from %s into the database: %w", path, err)
		}
	}
	if err := os.Rename(path, path+ImportedSuffix); err != nil {
		return fmt.Errorf("generators moved into the database, but %s could not be renamed: %w", path, err)
	}
	return nil
}

// Add makes a stopped generator and stores it. An encrypting one is bound to the key its key file holds now.
func (m *Manager) Add(cfg Config) (int, error) {
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	cfg, err := bindKey(cfg, m.baseDir)
	if err != nil {
		return 0, err
	}
	g, err := m.newGenerator(cfg)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	id := m.next
	m.next++
	key := strconv.Itoa(id)
	m.gens[key] = g
	m.mu.Unlock()
	if err := m.reg.Create(key, cfg, false); err != nil {
		m.forget(key, cfg)
		return 0, err
	}
	return id, nil
}

// Status returns one generator's state.
func (m *Manager) Status(id int) (Status, error) {
	m.mu.Lock()
	g := m.gens[strconv.Itoa(id)]
	m.mu.Unlock()
	if g == nil {
		return Status{}, fmt.Errorf("generator %d: %w", id, ErrNotFound)
	}
	return g.Status(), nil
}

// Start starts a generator; a running one is left alone. A sample file that cannot be read is an error here.
func (m *Manager) Start(id int) error { return m.reg.Start(strconv.Itoa(id)) }

// Stop stops a generator, waiting for the call in flight.
func (m *Manager) Stop(id int) error { return m.reg.Stop(strconv.Itoa(id)) }

// Update changes a generator's settings (restarting it if it runs, so a rate change takes effect at once) and
// stores them. An encrypting one is bound to the key its key file holds now, as Add binds it.
func (m *Manager) Update(id int, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg, err := bindKey(cfg, m.baseDir)
	if err != nil {
		return err
	}
	return m.reg.Update(strconv.Itoa(id), cfg, nil)
}

// Remove stops and forgets a generator.
func (m *Manager) Remove(id int) error {
	err := m.reg.Delete(strconv.Itoa(id))
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("generator %d: %w", id, ErrNotFound)
	}
	return err
}

// Listed is one generator in a List.
type Listed struct {
	ID int
	Status
}

// List returns every generator's status by id, optionally only those writing to stream (empty: all).
func (m *Manager) List(stream string) []Listed {
	m.mu.Lock()
	out := make([]Listed, 0, len(m.gens))
	for key, g := range m.gens {
		id, _ := strconv.Atoi(key)
		if st := g.Status(); stream == "" || st.Config.Stream == stream {
			out = append(out, Listed{ID: id, Status: st})
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Listed) int { return a.ID - b.ID })
	return out
}

// StopAll stops every generator, as the app does before it closes the engine; the manager is closed after it.
// They stop together, so quitting waits for the slowest call in flight (one with injected latency, say) once,
// not once per generator.
func (m *Manager) StopAll() { m.reg.Close() }

// RemoveStream stops and forgets every generator writing to stream, as deleting the stream does: a producer left
// behind would fail 50 times a second, unseen, and start writing again if the name were reused.
func (m *Manager) RemoveStream(stream string) error {
	for _, l := range m.List(stream) {
		if err := m.Remove(l.ID); err != nil {
			return err
		}
	}
	return nil
}
