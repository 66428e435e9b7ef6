package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Manager holds the workspace's generators and keeps their settings in a JSON file, so they survive a restart.
// Generators always come back stopped: nothing starts writing until a person says so.
type Manager struct {
	eng  engineHandle
	path string

	mu   sync.Mutex
	gens []*entry
	next int

	// saveMu serialises saves from snapshot to rename, so an older list can never be renamed over a newer one.
	saveMu sync.Mutex
}

type entry struct {
	id  int
	gen *Generator
}

// savedFile is the JSON file's shape; the version lets a later format refuse or migrate it.
type savedFile struct {
	Version    int      `json:"version"`
	Generators []Config `json:"generators"`
}

const fileVersion = 1

// OpenManager loads the generators saved at path (none if the file does not exist yet); relative sample-file paths
// are taken from path's directory. An empty path keeps nothing on disk.
func OpenManager(eng engineHandle, path string) (*Manager, error) {
	m := &Manager{eng: eng, path: path, next: 1}
	if path == "" {
		return m, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load generators: %w", err)
	}
	var f savedFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("load generators from %s: %w", path, err)
	}
	if f.Version > fileVersion {
		return nil, fmt.Errorf("load generators from %s: format %d is newer than this Shardlab's %d", path, f.Version, fileVersion)
	}
	for _, cfg := range f.Generators {
		g, err := NewGenerator(eng, cfg)
		if err != nil {
			return nil, fmt.Errorf("load generators from %s: %q: %w", path, cfg.Name, err)
		}
		g.baseDir = filepath.Dir(path)
		m.gens = append(m.gens, &entry{id: m.next, gen: g})
		m.next++
	}
	return m, nil
}

// Exists reports whether a saved generator file is present: the app's sign that the workspace was set up before.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Add makes a stopped generator and saves the list.
func (m *Manager) Add(cfg Config) (int, error) {
	g, err := NewGenerator(m.eng, cfg)
	if err != nil {
		return 0, err
	}
	if m.path != "" {
		g.baseDir = filepath.Dir(m.path)
	}
	m.mu.Lock()
	id := m.next
	m.next++
	m.gens = append(m.gens, &entry{id: id, gen: g})
	m.mu.Unlock()
	return id, m.save()
}

// Get returns the generator with id, or nil.
func (m *Manager) Get(id int) *Generator {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.gens {
		if e.id == id {
			return e.gen
		}
	}
	return nil
}

// Update changes a generator's settings (restarting it if it runs) and saves the list.
func (m *Manager) Update(id int, cfg Config) error {
	g := m.Get(id)
	if g == nil {
		return fmt.Errorf("generator %d: no such generator", id)
	}
	if err := g.SetConfig(cfg); err != nil {
		return err
	}
	return m.save()
}

// Remove stops and forgets a generator.
func (m *Manager) Remove(id int) error {
	m.mu.Lock()
	i := slices.IndexFunc(m.gens, func(e *entry) bool { return e.id == id })
	if i < 0 {
		m.mu.Unlock()
		return fmt.Errorf("generator %d: no such generator", id)
	}
	g := m.gens[i].gen
	m.gens = slices.Delete(m.gens, i, i+1)
	m.mu.Unlock()
	g.Stop()
	return m.save()
}

// Listed is one generator in a List.
type Listed struct {
	ID int
	Status
}

// List returns every generator's status, optionally only those writing to stream (empty: all).
func (m *Manager) List(stream string) []Listed {
	m.mu.Lock()
	gens := slices.Clone(m.gens)
	m.mu.Unlock()
	out := make([]Listed, 0, len(gens))
	for _, e := range gens {
		st := e.gen.Status()
		if stream == "" || st.Config.Stream == stream {
			out = append(out, Listed{ID: e.id, Status: st})
		}
	}
	return out
}

// StopAll stops every generator, as the app does before it closes the engine. They stop together, so quitting
// waits for the slowest call in flight (one with injected latency, say) once, not once per generator.
func (m *Manager) StopAll() {
	m.mu.Lock()
	gens := slices.Clone(m.gens)
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range gens {
		wg.Go(e.gen.Stop)
	}
	wg.Wait()
}

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

// save writes the list atomically: a crash leaves the old file or the new one, never half of one.
func (m *Manager) save() error {
	if m.path == "" {
		return nil
	}
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	m.mu.Lock()
	f := savedFile{Version: fileVersion}
	for _, e := range m.gens {
		f.Generators = append(f.Generators, e.gen.Config())
	}
	m.mu.Unlock()
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(m.path), ".generators-*.json")
	if err != nil {
		return fmt.Errorf("save generators: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save generators: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save generators: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save generators: %w", err)
	}
	if err := os.Rename(tmp.Name(), m.path); err != nil {
		return fmt.Errorf("save generators: %w", err)
	}
	return nil
}
