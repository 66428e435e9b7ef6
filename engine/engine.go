// Package engine is Shardlab's headless core: a local Kinesis Data Streams with the service's semantics (hash-key
// ranges, sequence numbers, iterators, resharding, per-shard limits, errors) on one bbolt file. The GUI, the
// network API, the CLI and every subsystem are clients of this package's Go API, which mirrors the Kinesis actions
// one request/response pair at a time.
//
// Concurrency: every change to stream or shard metadata, and every record write, runs on one committer goroutine,
// which validates against the state it is about to change, commits one bbolt transaction for a whole group of
// waiting writes (one fsync for many calls) and only then publishes the change in memory and acknowledges it.
// Readers take a stream's read lock briefly and read records from bbolt snapshots.
package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
)

// Options configure an Engine. The zero value of each field means its documented default.
type Options struct {
	// Path is the bbolt file. Empty with InMemory.
	Path string
	// InMemory keeps data in a temporary file that is removed on Close and never fsynced.
	InMemory bool
	// Account and Region are the scope of calls whose context carries none (default 000000000000, us-east-1).
	Account, Region string
	// Limits are the per-shard throughput limits (default: Kinesis's 1 MiB/s and 1,000 records/s in, 2 MiB/s and
	// 5 calls/s out).
	Limits ThroughputLimits
	// EnforceLimits is whether new streams start with limit enforcement on.
	EnforceLimits bool
	// LimitsOff switches enforcement off for every stream while the engine runs, whatever each stream's own
	// setting (which it does not change): `serve --limits off`.
	LimitsOff bool
	// TransitionDelay is how long CREATING, UPDATING and DELETING last; zero applies changes before the call returns.
	TransitionDelay time.Duration
	// ShardLimit is the account's open-shard quota per region (default 500, as AWS's).
	ShardLimit int
	// OnDemandStreamLimit is the account's quota of on-demand streams per region (default 50).
	OnDemandStreamLimit int
	// RetentionCheckInterval is how often expired records are trimmed (default 1 minute).
	RetentionCheckInterval time.Duration
	// NoMetricHistory keeps metrics in memory only (the last hour, lost on Close): for benchmarks that measure
	// what writing the history costs, and for tools that open a file to read it.
	NoMetricHistory bool
	// Clock returns the current time (default time.Now); tests move it to expire iterators and records.
	Clock func() time.Time
	// KeyFile holds the local encryption keys (default: shardlab.keys beside Path).
	KeyFile string
	// SubscriptionDuration is how long a SubscribeToShard session lasts (default 5 minutes, as on AWS).
	SubscriptionDuration time.Duration
}

// Engine is an open Shardlab data store. All methods are safe for concurrent use.
type Engine struct {
	opts    Options
	started time.Time // nothing is known of the seconds before this: the engine's start, or the history restored
	db      *storage.DB
	keys    *keyStore
	secret  []byte
	now     func() time.Time
	tmpDir  string

	mu      sync.RWMutex
	streams map[scopedName]*stream
	byID    map[uint64]*stream
	changes signal // fires when streams appear, disappear or change state
	subs    subscriptions

	commitCount atomic.Uint64 // bbolt write transactions committed
	mappedBytes atomic.Int64  // bytes committed or read since the mapped pages were last released
	recordCount atomic.Uint64 // records appended

	submitMu   sync.RWMutex
	closed     bool
	commits    chan *commitReq
	done       chan struct{}
	bg         sync.WaitGroup
	stopBg     chan struct{}
	trimNow    chan struct{}
	releaseNow chan struct{}
}

type scopedName struct{ account, region, name string }

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("engine is closed")

// Open opens (or creates) the data file and loads every stream.
func Open(opts Options) (*Engine, error) {
	opts = withDefaults(opts)
	e := &Engine{
		opts:       opts,
		started:    opts.Clock().Truncate(time.Second),
		now:        opts.Clock,
		streams:    map[scopedName]*stream{},
		byID:       map[uint64]*stream{},
		commits:    make(chan *commitReq, 1024),
		done:       make(chan struct{}),
		stopBg:     make(chan struct{}),
		trimNow:    make(chan struct{}, 1),
		releaseNow: make(chan struct{}, 1),
	}
	path := opts.Path
	if opts.InMemory {
		dir, err := os.MkdirTemp("", "shardlab-mem-")
		if err != nil {
			return nil, fmt.Errorf("in-memory engine: %w", err)
		}
		e.tmpDir, path = dir, filepath.Join(dir, "shardlab.db")
	} else if path == "" {
		return nil, errors.New("engine: Options.Path is empty and InMemory is off")
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory for %s: %w", path, err)
	}
	keyFile := opts.KeyFile
	if opts.InMemory {
		keyFile = "" // keys of a throwaway engine live and die with it
	} else if keyFile == "" {
		keyFile = filepath.Join(filepath.Dir(path), "shardlab.keys")
	}
	keys, err := openKeyStore(keyFile)
	if err != nil {
		e.removeTemp()
		return nil, err
	}
	e.keys = keys
	db, err := storage.Open(path, storage.Options{NoSync: opts.InMemory})
	if err != nil {
		e.removeTemp()
		return nil, err
	}
	e.db = db
	if opts.InMemory && runtime.GOOS != "windows" {
		// bbolt needs the path only to open the file; unlinking it now means nothing is left behind even if the
		// process is killed. (Windows cannot remove an open file: there the directory goes on Close.)
		e.removeTemp()
	}
	if err := e.load(); err != nil {
		db.Close()
		e.removeTemp()
		return nil, err
	}
	if first := e.restoreHistory(); !first.IsZero() && first.Before(e.started) {
		e.started = first // the heatmaps show the hour before the restart again
	}
	go e.commitLoop()
	e.bg.Add(2)
	go e.retentionLoop()
	go e.releaseLoop()
	if !opts.NoMetricHistory {
		e.bg.Add(1)
		go e.historyLoop()
	}
	e.resumeTransitions()
	return e, nil
}

func withDefaults(o Options) Options {
	if o.Account == "" {
		o.Account = "000000000000"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Limits == (ThroughputLimits{}) {
		o.Limits = DefaultLimits
	}
	if o.ShardLimit == 0 {
		o.ShardLimit = 500
	}
	if o.OnDemandStreamLimit == 0 {
		o.OnDemandStreamLimit = 50
	}
	if o.SubscriptionDuration == 0 {
		o.SubscriptionDuration = DefaultSubscriptionDuration
	}
	if o.RetentionCheckInterval == 0 {
		o.RetentionCheckInterval = time.Minute
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// Path is the data file, for the GUI's Settings and About.
func (e *Engine) Path() string {
	if e.opts.InMemory {
		return "(in memory)"
	}
	return e.db.Path()
}

// DiskSize is the data file's size in bytes.
func (e *Engine) DiskSize() int64 { return e.db.Size() }

// ReleaseMapped lets the OS drop all of the data file's pages from this process's memory map (see
// storage.ReleaseMapped). The engine keeps the mapping small by itself; this is for tools that want it empty.
func (e *Engine) ReleaseMapped() { e.db.ReleaseMapped() }

// releaseEvery bounds the file pages a busy writer keeps mapped: bbolt reads through a shared mmap and the pages
// each commit touches stay resident in the process until released, which would grow RSS with everything written.
// (Readers release exactly the pages they read; see storage.ReadTx.Scan.)
const releaseEvery = 4 << 20

// touched counts bytes committed and asks the background loop to release the whole mapping once enough have, so the
// committer never waits for the madvise. The whole mapping, not only the file's tail: with many shards, bbolt's
// copy-on-write reuses freed pages all over the file, and a tail-only release let a 400-shard stream at 20,000
// records/s keep ~1 GiB of it resident. Advising away pages that are not mapped costs only the page-table walk.
func (e *Engine) touched(n int) {
	if e.mappedBytes.Add(int64(n)) < releaseEvery {
		return
	}
	if e.mappedBytes.Swap(0) >= releaseEvery {
		select {
		case e.releaseNow <- struct{}{}:
		default:
		}
	}
}

func (e *Engine) releaseLoop() {
	defer e.bg.Done()
	for {
		select {
		case <-e.stopBg:
			return
		case <-e.releaseNow:
			e.db.ReleaseMapped()
		}
	}
}

// Close stops accepting calls, lets writes already submitted commit, and closes the file.
func (e *Engine) Close() error {
	e.submitMu.Lock()
	if e.closed {
		e.submitMu.Unlock()
		return nil
	}
	e.closed = true
	close(e.commits)
	e.submitMu.Unlock()
	close(e.stopBg)
	e.bg.Wait()
	<-e.done
	e.wakeEveryone()
	err := e.db.Close()
	e.removeTemp()
	return err
}

// wakeEveryone releases every reader blocked on a change feed, so in-process readers see ErrClosed on their next
// call instead of waiting forever.
func (e *Engine) wakeEveryone() {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.byID {
		s.wakeAll()
	}
	e.changes.fire()
}

func (e *Engine) removeTemp() {
	if e.tmpDir != "" {
		os.RemoveAll(e.tmpDir)
		e.tmpDir = ""
	}
}

// Stats are engine-wide counters since Open.
type Stats struct {
	Commits uint64 // write transactions, each one fsync
	Records uint64 // records appended
}

// Stats returns the engine-wide counters: Records/Commits is how many records one fsync covered on average.
func (e *Engine) Stats() Stats {
	return Stats{Commits: e.commitCount.Load(), Records: e.recordCount.Load()}
}

// Changes returns a channel closed at the next change to the set of streams or to a stream's status or shards.
func (e *Engine) Changes() <-chan struct{} { return e.changes.wait() }

// Scope is the account and region a call acts in, as the network API derives them from credentials and signature.
type Scope struct{ Account, Region string }

type scopeKey struct{}

// WithScope returns a context whose calls act in scope s.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

func (e *Engine) scope(ctx context.Context) Scope {
	s, _ := ctx.Value(scopeKey{}).(Scope)
	if s.Account == "" {
		s.Account = e.opts.Account
	}
	if s.Region == "" {
		s.Region = e.opts.Region
	}
	return s
}

// DefaultScope is the account and region of calls whose context names none.
func (e *Engine) DefaultScope() Scope { return Scope{e.opts.Account, e.opts.Region} }

// lookup finds a stream by ARN or by name in the context's scope.
func (e *Engine) lookup(ctx context.Context, ref StreamRef) (*stream, error) {
	key, err := e.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	e.mu.RLock()
	s := e.streams[key]
	e.mu.RUnlock()
	if s == nil {
		return nil, notFound(key)
	}
	return s, nil
}

func (e *Engine) resolve(ctx context.Context, ref StreamRef) (scopedName, error) {
	if ref.StreamARN != "" {
		a, err := parseStreamARN(ref.StreamARN)
		if err != nil {
			return scopedName{}, err
		}
		if ref.StreamName != "" && ref.StreamName != a.name {
			return scopedName{}, newError(ErrInvalidArgument,
				"StreamARN %s and StreamName %s name different streams.", ref.StreamARN, ref.StreamName)
		}
		return a, nil
	}
	if ref.StreamName == "" {
		return scopedName{}, newError(ErrInvalidArgument, "Either StreamName or StreamARN must be provided.")
	}
	sc := e.scope(ctx)
	return scopedName{sc.Account, sc.Region, ref.StreamName}, nil
}

func notFound(k scopedName) error {
	return newError(ErrResourceNotFound, "Stream %s under account %s not found.", k.name, k.account)
}

// activeStream finds a stream that accepts reads and writes: ACTIVE or UPDATING.
func (e *Engine) activeStream(ctx context.Context, ref StreamRef) (*stream, error) {
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	status := s.meta.Status
	s.mu.RUnlock()
	if status == StatusCreating || status == StatusDeleting {
		return nil, notFound(s.key())
	}
	return s, nil
}

func (e *Engine) streamsInScope(sc Scope) []*stream {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []*stream
	for k, s := range e.streams {
		if k.account == sc.Account && k.region == sc.Region {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func newSecret() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}
