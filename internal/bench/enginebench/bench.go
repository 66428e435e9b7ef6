package enginebench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/internal/bench"
	"github.com/shardlab/shardlab/internal/numfmt"
)

// benchConfig is the workload of `shardlab bench`; the defaults are the acceptance benchmark of BENCHMARKS.md.
type benchConfig struct {
	dir             string
	duration        time.Duration
	producers       int
	batch           int
	size            int
	shards          int
	visibleRate     int
	visibleDuration time.Duration
	rawDuration     time.Duration
	cpuProfile      string
}

// benchResults gathers every phase's figures for the report.
type benchResults struct {
	dataDir      string
	rawRecords   int
	rawElapsed   time.Duration
	rawValueSize int
	put          putResult
	diskSize     int64 // bbolt's high-water mark of pages in use
	fileSize     int64 // the file's length, which bbolt grows ahead in chunks
	read         readResult
	visible      visibleResult
	mem          rssPeaks
}

// Main is `shardlab bench`: the engine in process, phase by phase, against the targets of BENCHMARKS.md.
func Main(args []string) error {
	cfg, err := parseBenchFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := benchmark(ctx, cfg, os.Stdout, os.Stderr)
	if err != nil {
		return err
	}
	printResults(os.Stdout, cfg, res)
	return nil
}

// benchmark runs every phase in a fresh directory under cfg.dir and removes it afterwards. The header goes out
// first, so an interrupted run still says what it was measuring; progress goes to log.
func benchmark(ctx context.Context, cfg benchConfig, out, log io.Writer) (res benchResults, err error) {
	dir, err := os.MkdirTemp(cfg.dir, "shardlab-bench-")
	if err != nil {
		return res, fmt.Errorf("bench directory: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); err == nil && rerr != nil {
			err = fmt.Errorf("remove bench directory: %w", rerr)
		}
	}()
	res.dataDir = dir
	printHeader(out, cfg, dir)
	sampler := startRSSSampler(100 * time.Millisecond)
	defer func() { res.mem = sampler.finish() }()

	sampler.setPhase("raw")
	if err := runRawPhase(ctx, cfg, dir, &res, log); err != nil {
		return res, fmt.Errorf("raw bbolt phase: %w", err)
	}
	debug.FreeOSMemory()
	if err := runEnginePhases(ctx, cfg, dir, &res, sampler, log); err != nil {
		return res, err
	}
	return res, nil
}

// runRawPhase measures bbolt alone appending the bytes the engine would store, in transactions as large as the
// engine's group commit can get: every producer's batch at once.
func runRawPhase(ctx context.Context, cfg benchConfig, dir string, res *benchResults, log io.Writer) error {
	keys := bench.PartitionKeys(1)
	res.rawValueSize = storage.RecordSize(keys[0], make([]byte, cfg.size))
	fmt.Fprintf(log, "raw bbolt: appending %d-byte values, %d per transaction, for %v…\n", res.rawValueSize,
		cfg.producers*cfg.batch, cfg.rawDuration)
	path := filepath.Join(dir, "raw.db")
	n, elapsed, err := rawAppendBenchmark(ctx, path, cfg.rawDuration, res.rawValueSize, cfg.producers*cfg.batch)
	if err != nil {
		return err
	}
	res.rawRecords, res.rawElapsed = n, elapsed
	return os.Remove(path)
}

// runEnginePhases opens a real, fsynced engine and runs put, read-back and put-to-visible in turn.
func runEnginePhases(ctx context.Context, cfg benchConfig, dir string, res *benchResults, sampler *rssSampler,
	log io.Writer) (err error) {
	path := filepath.Join(dir, "bench.db")
	eng, err := engine.Open(engine.Options{Path: path})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := eng.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close engine: %w", cerr)
		}
	}()
	ref, _, err := createBenchStream(ctx, eng, "bench", cfg.shards)
	if err != nil {
		return err
	}

	sampler.setPhase("put")
	fmt.Fprintf(log, "put: %d producers × PutRecords of %d for %v…\n", cfg.producers, cfg.batch, cfg.duration)
	if res.put, err = runPutPhase(ctx, eng, ref, cfg); err != nil {
		return fmt.Errorf("put phase: %w", err)
	}
	res.diskSize = eng.DiskSize()
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	res.fileSize = fi.Size()
	betweenPhases(eng)

	sampler.setPhase("read")
	fmt.Fprintf(log, "read-back: %s records…\n", numfmt.Thousands(res.put.records))
	if res.read, err = runReadPhase(ctx, eng, ref, res.put.perShard, cfg.size); err != nil {
		return fmt.Errorf("read phase: %w", err)
	}
	betweenPhases(eng)

	sampler.setPhase("visible")
	fmt.Fprintf(log, "put-to-visible: %d records/s for %v…\n", cfg.visibleRate, cfg.visibleDuration)
	if res.visible, err = runVisiblePhase(ctx, eng, cfg); err != nil {
		return fmt.Errorf("put-to-visible phase: %w", err)
	}
	return nil
}

// betweenPhases hands back what the last phase left behind, so each phase's memory peak is its own.
func betweenPhases(eng *engine.Engine) {
	eng.ReleaseMapped()
	debug.FreeOSMemory()
}

func createBenchStream(ctx context.Context, eng *engine.Engine, name string, shards int) (
	engine.StreamRef, []engine.ShardInfo, error) {
	ref := engine.StreamRef{StreamName: name}
	if err := eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: name, ShardCount: &shards}); err != nil {
		return ref, nil, fmt.Errorf("create stream %s: %w", name, err)
	}
	list, err := eng.Shards(ctx, ref)
	if err != nil {
		return ref, nil, fmt.Errorf("list shards of %s: %w", name, err)
	}
	return ref, list, nil
}

func parseBenchFlags(args []string, usageOut io.Writer) (benchConfig, error) {
	var cfg benchConfig
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.StringVar(&cfg.dir, "dir", os.TempDir(), "directory on the disk to measure; a fresh subdirectory is made "+
		"in it and removed afterwards")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long the put phase runs")
	fs.IntVar(&cfg.producers, "producers", 8, "concurrent producer goroutines")
	fs.IntVar(&cfg.batch, "batch", 500, "records per PutRecords call (1–500)")
	fs.IntVar(&cfg.size, "size", 1024, "bytes of data per record (≥ 8: the visible phase stores a timestamp)")
	fs.IntVar(&cfg.shards, "shards", 4, "shards of each stream")
	fs.IntVar(&cfg.visibleRate, "visible-rate", 10_000, "records/s offered in the put-to-visible phase")
	fs.DurationVar(&cfg.visibleDuration, "visible-duration", 10*time.Second, "how long the put-to-visible phase runs")
	fs.DurationVar(&cfg.rawDuration, "raw-duration", 0, "how long the raw bbolt phase runs (default: as long as -duration)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "") // for diagnosing a missed target; left out of the usage
	fs.Usage = func() { benchUsage(fs) }
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.rawDuration == 0 {
		cfg.rawDuration = cfg.duration
	}
	return cfg, cfg.validate()
}

func (c benchConfig) validate() error {
	switch {
	case c.duration <= 0 || c.visibleDuration <= 0 || c.rawDuration <= 0:
		return errors.New("durations must be positive")
	case c.producers < 1 || c.shards < 1 || c.visibleRate < 1:
		return errors.New("-producers, -shards and -visible-rate must be at least 1")
	case c.batch < 1 || c.batch > 500:
		return errors.New("-batch must be 1–500, as PutRecords allows")
	case c.size < 8 || c.batch*(c.size+11) > 10<<20:
		return errors.New("-size must be at least 8 and a batch must fit PutRecords' 10 MiB")
	}
	return nil
}

func benchUsage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintln(out, "Usage: shardlab bench [flags]\n\nMeasures the engine in process against raw bbolt on the "+
		"same disk (see BENCHMARKS.md).\n\nFlags:")
	fs.VisitAll(func(f *flag.Flag) {
		if f.Usage == "" {
			return
		}
		def := ""
		if f.DefValue != "0s" {
			def = " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(out, "  -%s %s\n    \t%s%s\n", f.Name, flagType(f), f.Usage, def)
	})
}

func flagType(f *flag.Flag) string {
	name, _ := flag.UnquoteUsage(f)
	return name
}
