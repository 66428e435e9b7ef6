// Package loadgen is Shardlab's built-in producer: generators that put records of a template into a stream at a set
// rate with a chosen partition-key distribution, through the engine's Go API like any other client, counting what
// was accepted and what was throttled each second. The GUI drives it for the hot-shard workshop.
//
// The camera producer (camera.go) is the video counterpart: ffmpeg's output ingested into a Kinesis Video
// stream through video.Store's public ingest, kept running by Cameras after the screen that started it closes.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/envelope"
)

// MaxRate bounds a generator's rate in records per second.
const MaxRate = 100_000

// Config is what a generator produces, and where.
type Config struct {
	Name       string          `json:"name"`
	Stream     string          `json:"stream"`
	Template   string          `json:"template"`
	SampleFile string          `json:"sampleFile,omitempty"` // relative: to the data directory, so it can move
	Keys       KeyDistribution `json:"keys"`
	Rate       int             `json:"rate"`       // records per second
	RecordSize int             `json:"recordSize"` // bytes each record is padded to; 0 keeps the template's size
	// Seed makes the keys and record contents the same every run (a lesson quotes them); 0 seeds from the clock.
	Seed uint64 `json:"seed,omitempty"`
	// EncryptKeyFile, when set, makes every record an envelope under that key file's key (client-side encryption,
	// docs/encryption.md); the partition keys stay in the clear. The path is kept, never the key: Start loads the
	// file each time, and refuses to start — rather than put plaintext — if it is gone or now holds another key than
	// EncryptKeyID, the id it held when the producer was set up.
	EncryptKeyFile string `json:"encryptKeyFile,omitempty"`
	EncryptKeyID   string `json:"encryptKeyId,omitempty"`
}

// Validate names the field and the limit of the first bad setting.
func (c Config) Validate() error {
	if c.Stream == "" {
		return errors.New("stream: a stream is needed")
	}
	if !slices.Contains(Templates, c.Template) {
		return fmt.Errorf("template %q: must be one of %v", c.Template, Templates)
	}
	if c.Rate < 1 || c.Rate > MaxRate {
		return fmt.Errorf("rate %d records/s: must be between 1 and %d", c.Rate, MaxRate)
	}
	if c.RecordSize < 0 || c.RecordSize > MaxRecordSize {
		return fmt.Errorf("record size %d bytes: must be between 0 and %d", c.RecordSize, MaxRecordSize)
	}
	if c.EncryptKeyFile != "" && c.RecordSize > MaxRecordSize-envelope.Overhead {
		return fmt.Errorf("record size %d bytes: encrypted, at most %d (an envelope adds %d bytes)", c.RecordSize,
			MaxRecordSize-envelope.Overhead, envelope.Overhead)
	}
	if c.EncryptKeyID != "" && c.EncryptKeyFile == "" {
		return errors.New("encrypt key id: given without a key file")
	}
	return c.Keys.Validate()
}

// tick is how often a running generator puts what has come due: 50 calls a second at most, so a rate of a few
// records per second still arrives as a steady trickle rather than in bursts.
const tick = 20 * time.Millisecond

// maxBatchBytes keeps one PutRecords call well under Kinesis's 10 MiB request limit.
const maxBatchBytes = 4 << 20

// gone is how long a running generator keeps trying a stream that does not exist: long enough to ride out a
// stream still being created, short enough that a deleted one stops it.
const gone = 5 * time.Second

// recentSeconds is how many seconds of counts a generator keeps: the one being counted and the last complete one.
const recentSeconds = 2

// Second is one second of a generator's outcomes.
type Second struct {
	Unix      int64
	Accepted  int
	Throttled int
	Failed    int
}

// Generator puts records into one stream while running. Its methods are safe for concurrent use.
type Generator struct {
	eng engineHandle

	mu      sync.Mutex
	cfg     Config
	cancel  context.CancelFunc
	done    chan struct{} // the running run's; nil when stopped
	runDone chan struct{} // the latest run's, kept after it ends (for Done)
	endErr  error         // why the latest run ended by itself
	baseDir string        // relative sample-file paths resolve against it (the data directory)
	recent  [recentSeconds]Second
	totals  Second
	lastErr string
}

// NewGenerator returns a stopped generator.
func NewGenerator(eng engineHandle, cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Generator{eng: eng, cfg: cfg}, nil
}

// Config returns the generator's settings.
func (g *Generator) Config() Config {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg
}

// SetConfig changes the settings; a running generator restarts with them, so a rate change takes effect at once.
func (g *Generator) SetConfig(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	running := g.Running()
	if running {
		g.Stop()
	}
	g.mu.Lock()
	g.cfg = cfg
	g.mu.Unlock()
	if running {
		return g.Start()
	}
	return nil
}

// Running reports whether the generator is producing.
func (g *Generator) Running() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cancel != nil
}

// Start begins producing; starting a running generator does nothing. A sample file that cannot be read is an error
// here, before anything is put.
func (g *Generator) Start() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cancel != nil {
		return nil
	}
	sample := g.cfg.SampleFile
	if sample != "" && !filepath.IsAbs(sample) {
		sample = filepath.Join(g.baseDir, sample)
	}
	maker, err := newRecordMaker(g.cfg.Template, sample, g.cfg.RecordSize)
	if err != nil {
		return err
	}
	if maker.seal, err = loadEncryptKey(g.cfg, g.baseDir); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel, g.done = cancel, make(chan struct{})
	g.runDone, g.endErr = g.done, nil
	g.lastErr = ""
	go g.run(ctx, g.cfg, maker, g.done)
	return nil
}

// bindKey loads cfg's key file (a relative path is relative to baseDir, as Start reads it) and records the id of
// the key it holds in cfg.EncryptKeyID: saving a producer's settings binds it to that key, and Start refuses the
// file once it holds another. A config that does not encrypt comes back without a key id.
func bindKey(cfg Config, baseDir string) (Config, error) {
	cfg.EncryptKeyID = ""
	k, err := loadEncryptKey(cfg, baseDir)
	if k != nil {
		cfg.EncryptKeyID = k.ID()
	}
	return cfg, err
}

// loadEncryptKey loads the key of an encrypting producer (nil for one that does not encrypt); a relative path is
// relative to baseDir. A key other than the one the producer was set up with is refused, so a replaced file never
// silently changes which key a stream's records need.
func loadEncryptKey(cfg Config, baseDir string) (*envelope.Key, error) {
	if cfg.EncryptKeyFile == "" {
		return nil, nil
	}
	path := cfg.EncryptKeyFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(baseDir, path)
	}
	k, err := envelope.LoadKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	if cfg.EncryptKeyID != "" && k.ID() != cfg.EncryptKeyID {
		return nil, fmt.Errorf("encrypt: key file %s now holds key %s, but producer %s was set up with key %s; choose the key file again",
			path, k.ID(), cfg.Name, cfg.EncryptKeyID)
	}
	return k, nil
}

// Stop ends production and waits for the call in flight to finish.
func (g *Generator) Stop() {
	g.mu.Lock()
	cancel, done := g.cancel, g.done
	g.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Done is closed when the latest run ends, by Stop or by itself; before any run, never.
func (g *Generator) Done() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.runDone
}

// Err is why the latest run ended by itself (its stream is gone); nil while it runs and after Stop.
func (g *Generator) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.endErr
}

// Status is a generator's state for display.
type Status struct {
	Config  Config
	Running bool
	// Last is the last complete second; Totals count since the generator was made.
	Last, Totals Second
	// LastError is the most recent failure other than throttling, in the engine's words, until puts succeed again.
	LastError string
}

// Status reports the generator's state.
func (g *Generator) Status() Status {
	now := time.Now().Unix()
	g.mu.Lock()
	defer g.mu.Unlock()
	st := Status{Config: g.cfg, Running: g.cancel != nil, Totals: g.totals, LastError: g.lastErr}
	if s := g.recent[(now-1)%recentSeconds]; s.Unix == now-1 {
		st.Last = s
	} else {
		st.Last = Second{Unix: now - 1}
	}
	return st
}

func (g *Generator) record(now time.Time, accepted, throttled, failed int, errMsg string) {
	unix := now.Unix()
	g.mu.Lock()
	defer g.mu.Unlock()
	slot := &g.recent[unix%recentSeconds]
	if slot.Unix != unix {
		*slot = Second{Unix: unix}
	}
	slot.Accepted += accepted
	slot.Throttled += throttled
	slot.Failed += failed
	g.totals.Accepted += accepted
	g.totals.Throttled += throttled
	g.totals.Failed += failed
	switch {
	case errMsg != "":
		g.lastErr = errMsg
	case failed == 0 && accepted > 0:
		g.lastErr = "" // puts succeed again (the stream finished CREATING, say): the failure is history
	}
}

func (g *Generator) run(ctx context.Context, cfg Config, maker *recordMaker, done chan struct{}) {
	defer func() {
		g.mu.Lock()
		g.cancel, g.done = nil, nil
		g.mu.Unlock()
		close(done)
	}()
	seed := cfg.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	picker := newKeyPicker(cfg.Keys)
	keys := make([]string, cfg.Keys.Keys)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	var (
		entries      []engine.PutRecordsEntry
		arena        []byte
		owed         float64
		last         = time.Now()
		missingSince time.Time // when puts began finding no stream
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		now := time.Now()
		// A slow engine must not build a backlog that bursts out later: at most one second is ever owed.
		owed = min(owed+float64(cfg.Rate)*now.Sub(last).Seconds(), float64(cfg.Rate))
		last = now
		for owed >= 1 && ctx.Err() == nil {
			n := min(int(owed), 500)
			entries, arena = entries[:0], arena[:0]
			offsets := make([]int, 0, n+1)
			for i := 0; i < n && len(arena) < maxBatchBytes; i++ {
				k := picker.pick(rng)
				if keys[k] == "" {
					keys[k] = keyName(cfg.Template, k)
				}
				offsets = append(offsets, len(arena))
				arena = maker.appendRecord(arena, keys[k], now, rng)
				entries = append(entries, engine.PutRecordsEntry{PartitionKey: keys[k]})
			}
			offsets = append(offsets, len(arena))
			if maker.seal != nil {
				arena, offsets = maker.sealAll(arena, offsets)
			}
			for i := range entries {
				entries[i].Data = arena[offsets[i]:offsets[i+1]]
			}
			owed -= float64(len(entries))
			if g.put(ctx, cfg.Stream, entries) {
				missingSince = time.Time{}
			} else if missingSince.IsZero() {
				missingSince = now
			} else if now.Sub(missingSince) > gone {
				// The stream was deleted (through the API, say): stop rather than fail unseen 50 times a second,
				// and never start writing again by surprise if a stream of that name comes back.
				g.mu.Lock()
				g.lastErr = "stopped: stream " + cfg.Stream + " does not exist"
				g.endErr = fmt.Errorf("stream %s does not exist", cfg.Stream)
				g.mu.Unlock()
				return
			}
		}
	}
}

// put sends one batch and counts its outcome; it reports false when the stream does not exist.
func (g *Generator) put(ctx context.Context, stream string, entries []engine.PutRecordsEntry) bool {
	out, err := g.eng.PutRecords(ctx, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: stream}, Records: entries})
	now := time.Now()
	if err != nil {
		if ctx.Err() != nil {
			return true
		}
		if engine.ErrorCode(err) == engine.ErrThroughputExceeded {
			g.record(now, 0, len(entries), 0, "")
			return true
		}
		g.record(now, 0, 0, len(entries), err.Error())
		return engine.ErrorCode(err) != engine.ErrResourceNotFound
	}
	var accepted, throttled, failed int
	var msg string
	for _, r := range out.Records {
		switch r.ErrorCode {
		case "":
			accepted++
		case engine.ErrThroughputExceeded:
			throttled++
		default:
			failed++
			msg = r.ErrorCode + ": " + r.ErrorMessage
		}
	}
	g.record(now, accepted, throttled, failed, msg)
	return true
}

// engineHandle is the part of the engine a generator uses.
type engineHandle interface {
	PutRecords(ctx context.Context, in engine.PutRecordsInput) (*engine.PutRecordsOutput, error)
}
