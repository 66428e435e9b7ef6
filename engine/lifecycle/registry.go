package lifecycle

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Runner is the value doing an item's work while it runs. Done is closed when it ends, by Stop or by itself; Err
// is then nil if it was stopped or finished, and why otherwise.
type Runner interface {
	comparable
	Done() <-chan struct{}
	Err() error
}

// States are a kind's names for its states (Firehose calls running ACTIVE, analytics RUNNING).
type States struct {
	Running, Stopped, Failed string
	// Finished is the state of an item that ended by itself without an error (a replay that reached the end of its
	// file); empty: Stopped.
	Finished string
}

// Kind says how one kind of item runs.
type Kind[S, P any, R Runner] struct {
	Records[S, P]
	States States
	// Resume lists the stored states that start again when the registry opens (the app's restart); any other
	// Running state comes back Stopped. Empty: everything comes back stopped.
	Resume []string
	// Start runs an item from its spec and stored progress.
	Start func(name string, spec S, progress P) (R, error)
	// Stop stops a runner and waits for it, flushing what it holds.
	Stop func(R)
	// Forget, if set, drops what a deleted item kept outside its record (its consumer's leases and checkpoints).
	Forget func(name string, spec S) error
	// The errors for a name that does not exist, a name taken, and a call after Close; wrapped with the name.
	ErrNotFound, ErrExists, ErrClosed error
}

// Item is one item as listed.
type Item[S, P any, R Runner] struct {
	Name string
	Record[S, P]
	Run  R // the runner while running; zero otherwise
	Last R // the most recent runner, still there after it ended (its final counts); zero if never started
}

type entry[S, P any, R Runner] struct {
	rec  Record[S, P]
	run  R
	last R
	gen  int // counts starts, so a watch on an earlier run never touches a later one
}

// Registry keeps one kind's items, stored through Records, and runs them.
type Registry[S, P any, R Runner] struct {
	kind Kind[S, P, R]

	// lifecycle serializes Create, Start, Stop, Update and Delete: they wait on flushes outside mu, and one landing
	// in the middle of another (a Start during an Update's stop, say) would leave a runner that nothing tracks.
	lifecycle sync.Mutex

	mu     sync.Mutex
	items  map[string]*entry[S, P, R]
	closed bool
}

// Open loads a kind's stored items, all stopped; Resume then starts those that were running. The two steps let
// a caller keep the registry before anything runs (a runner saves its progress through it).
func Open[S, P any, R Runner](kind Kind[S, P, R]) (*Registry[S, P, R], error) {
	recs, err := kind.Load()
	if err != nil {
		return nil, err
	}
	g := &Registry[S, P, R]{kind: kind, items: map[string]*entry[S, P, R]{}}
	for name, rec := range recs {
		g.items[name] = &entry[S, P, R]{rec: rec}
	}
	return g, nil
}

// Resume starts again the items whose stored state is in kind.Resume (after the app's restart); any other item
// stored as running comes back stopped. A resume that fails leaves the item FAILED with the reason.
func (g *Registry[S, P, R]) Resume() {
	g.lifecycle.Lock()
	defer g.lifecycle.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	for name, e := range g.items {
		var zero R
		switch {
		case e.run != zero || g.closed:
		case slices.Contains(g.kind.Resume, e.rec.State):
			_ = g.startLocked(name, e)
		case e.rec.State == g.kind.States.Running:
			e.rec.State = g.kind.States.Stopped // not resumed: shown, and next saved, as what it is
		}
	}
}

func (g *Registry[S, P, R]) notFound(name string) error {
	return fmt.Errorf("%w: %s", g.kind.ErrNotFound, name)
}

// Create stores a new item and, with start, runs it. A start that fails leaves the item FAILED with the reason;
// Create still succeeds, since the item exists (Start again returns the error).
func (g *Registry[S, P, R]) Create(name string, spec S, start bool) error {
	g.lifecycle.Lock()
	defer g.lifecycle.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return g.kind.ErrClosed
	}
	if g.items[name] != nil {
		return fmt.Errorf("%w: %s", g.kind.ErrExists, name)
	}
	e := &entry[S, P, R]{rec: Record[S, P]{Spec: spec, State: g.kind.States.Stopped, Created: time.Now().UTC()}}
	if err := g.kind.Put(name, e.rec); err != nil {
		return err
	}
	g.items[name] = e
	if start {
		_ = g.startLocked(name, e) // a failure is kept in the record, where List shows it
	}
	return nil
}

// Start runs a stopped, failed or finished item from its stored progress; a running one is left alone.
func (g *Registry[S, P, R]) Start(name string) error {
	g.lifecycle.Lock()
	defer g.lifecycle.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return g.kind.ErrClosed
	}
	e := g.items[name]
	if e == nil {
		return g.notFound(name)
	}
	return g.startLocked(name, e)
}

// startLocked starts an item and stores its new state. Caller holds g.mu.
func (g *Registry[S, P, R]) startLocked(name string, e *entry[S, P, R]) error {
	var zero R
	if e.run != zero {
		return nil
	}
	r, err := g.kind.Start(name, e.rec.Spec, e.rec.Progress)
	if err != nil {
		e.rec.State, e.rec.Error = g.kind.States.Failed, err.Error()
		_ = g.kind.Put(name, e.rec)
		return err
	}
	e.rec.State, e.rec.Error = g.kind.States.Running, ""
	e.run, e.last = r, r
	e.gen++
	go g.watch(name, e, e.gen, r, r.Done()) // Done now: a runner reused across runs hands out each run's own
	return g.kind.Put(name, e.rec)
}

// watch records how a runner ended by itself: FAILED with its error, or Finished. An end caused by Stop, Update,
// Delete or Close has already taken the runner away, and is left alone.
func (g *Registry[S, P, R]) watch(name string, e *entry[S, P, R], gen int, r R, done <-chan struct{}) {
	<-done
	err := r.Err()
	g.mu.Lock()
	defer g.mu.Unlock()
	var zero R
	if g.items[name] != e || e.gen != gen || e.run != r {
		return
	}
	e.run = zero
	switch {
	case err != nil:
		e.rec.State, e.rec.Error = g.kind.States.Failed, err.Error()
		go g.kind.Stop(r) // let it flush and release what it holds; nothing waits on it
	case g.kind.States.Finished != "":
		e.rec.State = g.kind.States.Finished
	default:
		e.rec.State = g.kind.States.Stopped
	}
	_ = g.kind.Put(name, e.rec)
}

// Stop stops an item, waiting for it to flush; it stays stopped across restarts.
func (g *Registry[S, P, R]) Stop(name string) error {
	g.lifecycle.Lock()
	defer g.lifecycle.Unlock()
	return g.stop(name)
}

func (g *Registry[S, P, R]) stop(name string) error {
	var zero R
	g.mu.Lock()
	e := g.items[name]
	if e == nil {
		g.mu.Unlock()
		return g.notFound(name)
	}
	r := e.run
	e.run = zero
	e.rec.State, e.rec.Error = g.kind.States.Stopped, ""
	err := g.kind.Put(name, e.rec)
	g.mu.Unlock()
	if r != zero {
		g.kind.Stop(r)
	}
	return err
}

// Update replaces an item's spec. A running item is stopped (flushing under the old spec), replace is called with
// the old record and returns the progress to keep (it may also drop what the old spec kept elsewhere), and the
// item is started again. A nil replace keeps the progress.
func (g *Registry[S, P, R]) Update(name string, spec S, replace func(old Record[S, P]) (P, error)) error {
	g.lifecycle.Lock()
	defer g.lifecycle.Unlock()
	var zero R
	g.mu.Lock()
	e, closed := g.items[name], g.closed
	var wasRunning bool
	if e != nil {
		wasRunning = e.run != zero
	}
	g.mu.Unlock()
	switch {
	case closed:
		return g.kind.ErrClosed
	case e == nil:
		return g.notFound(name)
	}
	if wasRunning {
		if err := g.stop(name); err != nil {
			return err
		}
	}
	g.mu.Lock()
	old := e.rec
	g.mu.Unlock()
	progress := old.Progress
	if replace != nil {
		var err error
		if progress, err = replace(old); err != nil {
			return err
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	e.rec.Spec, e.rec.Progress = spec, progress
	if g.closed { // closed while stopping: keep it running, as Close does, so the next Open resumes it
		if wasRunning {
			e.rec.State = g.kind.States.Running
		}
		if err := g.kind.Put(name, e.rec); err != nil {
			return err
		}
		return g.kind.ErrClosed
	}
	if err := g.kind.Put(name, e.rec); err != nil {
		return err
	}
	if wasRunning {
		return g.startLocked(name, e)
	}
	return nil
}

// SaveProgress stores how far a running item got (an analytics query's closed windows, say), before the work
// that depends on it goes out. It is for the item's own goroutine: it does not take the lifecycle lock.
func (g *Registry[S, P, R]) SaveProgress(name string, progress P) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.items[name]
	if e == nil {
		return nil // deleted meanwhile
	}
	e.rec.Progress = progress
	return g.kind.Put(name, e.rec)
}

// Delete stops an item and forgets it with what it kept (kind.Forget): a new one of the same name starts afresh.
func (g *Registry[S, P, R]) Delete(name string) error {
	g.lifecycle.Lock()
	defer g.lifecycle.Unlock()
	if err := g.stop(name); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.items[name]
	if e == nil {
		return g.notFound(name)
	}
	delete(g.items, name)
	if g.kind.Forget != nil {
		if err := g.kind.Forget(name, e.rec.Spec); err != nil {
			return err
		}
	}
	return g.kind.Delete(name)
}

// Get returns one item.
func (g *Registry[S, P, R]) Get(name string) (Item[S, P, R], error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.items[name]
	if e == nil {
		return Item[S, P, R]{}, g.notFound(name)
	}
	return Item[S, P, R]{Name: name, Record: e.rec, Run: e.run, Last: e.last}, nil
}

// List returns every item, by name.
func (g *Registry[S, P, R]) List() []Item[S, P, R] {
	g.mu.Lock()
	out := make([]Item[S, P, R], 0, len(g.items))
	for name, e := range g.items {
		out = append(out, Item[S, P, R]{Name: name, Record: e.rec, Run: e.run, Last: e.last})
	}
	g.mu.Unlock()
	slices.SortFunc(out, func(a, b Item[S, P, R]) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Close stops every running item, all together, but keeps each one's state, so the next Open resumes it. Every
// call after Close returns kind.ErrClosed.
func (g *Registry[S, P, R]) Close() {
	var zero R
	g.mu.Lock()
	var running []R
	for _, e := range g.items {
		if e.run != zero {
			running = append(running, e.run)
			e.run = zero
		}
	}
	g.closed = true
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range running {
		wg.Go(func() { g.kind.Stop(r) })
	}
	wg.Wait()
}
