package apibench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
)

// apiBenchConfig is the workload of `shardlab bench-api`; the defaults are the acceptance benchmark of
// BENCHMARKS.md ("Kinesis API side by side").
type apiBenchConfig struct {
	duration    time.Duration
	producers   int
	batch       int
	size        int
	shards      int
	singles     int
	peers       []string
	nodeModules string
	keepGoing   bool
	readLimit   time.Duration

	shardlabCmd ServerCommand
}

// ServerCommand makes the command that runs `shardlab <args>` as a child process. The benchmark runs its own
// server out of process so the server's CPU time can be read apart from the client's: the shardlab binary passes
// itself, and the tests pass the test binary re-entering as a server, so `make test` needs no build of the app.
type ServerCommand func(args ...string) (*exec.Cmd, error)

// apiTargetNames are the -peers names in the order they run: the client's ceiling first, then Shardlab, then the
// peers. "shardlab" selects every Shardlab variant: in memory, in memory with --auth verify, and fsynced.
var apiTargetNames = []string{"null", "shardlab-memory", "shardlab-verify", "shardlab-fsync", "kinesalite", "kinesis-local"}

const benchClientGCPercent = 400

// currentGCPercent reads the collector's setting, which the runtime only hands out in exchange for a new one.
func currentGCPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// MainAPI is `shardlab bench-api`: it runs the workload against every target of args' -peers and prints the table
// of BENCHMARKS.md; it fails when Shardlab's own run did.
func MainAPI(args []string, shardlab ServerCommand) error {
	cfg, err := parseBenchAPIFlags(args, os.Stderr)
	cfg.shardlabCmd = shardlab
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	// The client is the same for every target, and its collector is overhead the servers are not measured by: at
	// the default GOGC the SDK's garbage (every record decoded into maps, then copied) took a fifth of the client's
	// CPU on the two cores it shares with the server. GOGC, when set, wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(benchClientGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results := benchAPI(ctx, cfg, os.Stdout, os.Stderr)
	printAPIResults(os.Stdout, cfg, results)
	return ownFailure(results)
}

// benchAPI runs the workload against every selected target in turn, one server alive at a time so none competes
// with another for the two cores. A peer's failure is reported in its row and never stops the run; a failure of
// Shardlab's own run stops it unless -keep-going.
func benchAPI(ctx context.Context, cfg apiBenchConfig, out, log io.Writer) []apiResult {
	printAPIHeader(out, cfg)
	var results []apiResult
	for _, t := range apiTargets(cfg) {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(log, "%s: ", t.name)
		r := runAPITarget(ctx, cfg, t, log)
		results = append(results, r)
		switch {
		case r.skipped != "":
			fmt.Fprintf(log, "skipped: %s\n", r.skipped)
		case r.err != nil:
			fmt.Fprintf(log, "failed: %v\n", r.err)
		default:
			fmt.Fprintf(log, "done\n")
		}
		if t.own && r.failed() && !cfg.keepGoing {
			break
		}
	}
	return results
}

// runAPITarget starts one target, runs the workload against it and stops it again, whatever happened.
func runAPITarget(ctx context.Context, cfg apiBenchConfig, t apiTarget, log io.Writer) (r apiResult) {
	r = apiResult{target: t.name, own: t.own, inProcess: t.inProcess}
	srv, err := t.start(ctx, cfg)
	var skip *skipError
	if errors.As(err, &skip) {
		r.skipped = skip.reason
		return r
	}
	if err != nil {
		r.err = fmt.Errorf("start: %w", err)
		return r
	}
	defer func() {
		if serr := srv.stop(); serr != nil && r.err == nil {
			r.err = fmt.Errorf("stop: %w", serr)
		}
	}()
	fmt.Fprintf(log, "listening at %s… ", srv.endpoint)
	runAPIWorkload(ctx, cfg, srv, &r, log)
	return r
}

// ownFailure is the exit status: non-zero only when Shardlab's own run lost data or had calls fail.
func ownFailure(results []apiResult) error {
	var errs []error
	for _, r := range results {
		if r.own && r.failed() {
			errs = append(errs, fmt.Errorf("%s: %s", r.target, r.problem()))
		}
	}
	return errors.Join(errs...)
}

func parseBenchAPIFlags(args []string, usageOut io.Writer) (apiBenchConfig, error) {
	var cfg apiBenchConfig
	var peers string
	fs := flag.NewFlagSet("bench-api", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long the ingest phase runs against each target")
	fs.IntVar(&cfg.producers, "producers", 8, "concurrent producer goroutines")
	fs.IntVar(&cfg.batch, "batch", 500, "records per PutRecords call (1–500)")
	fs.IntVar(&cfg.size, "size", 1024, "bytes of data per record")
	fs.IntVar(&cfg.shards, "shards", 4, "shards of the stream")
	fs.IntVar(&cfg.singles, "singles", 1000, "sequential single PutRecord calls timed after the read-back")
	fs.StringVar(&peers, "peers", "shardlab,kinesalite,kinesis-local,null", "targets to run, comma-separated: "+
		strings.Join(apiTargetNames, ", ")+`; "shardlab" is shardlab-memory, shardlab-verify and shardlab-fsync`)
	fs.StringVar(&cfg.nodeModules, "node-modules", "node_modules", "the `directory` where npm ci installed "+
		"kinesalite and kinesis-local")
	fs.BoolVar(&cfg.keepGoing, "keep-going", false, "run the remaining targets after Shardlab's own run failed")
	fs.DurationVar(&cfg.readLimit, "read-limit", 10*time.Minute, "time limit of one target's read-back; "+
		"a read-back cut short is reported as partial")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: shardlab bench-api [flags]\n\nRuns one aws-sdk-go-v2 workload against "+
			"Shardlab's server, kinesalite and kinesis-local on loopback ports, and a null server for the client's "+
			"ceiling (see BENCHMARKS.md).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for p := range strings.SplitSeq(peers, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
		case p == "shardlab":
			cfg.peers = append(cfg.peers, "shardlab-memory", "shardlab-verify", "shardlab-fsync")
		case slices.Contains(apiTargetNames, p):
			cfg.peers = append(cfg.peers, p)
		default:
			return cfg, fmt.Errorf("-peers: unknown target %q (want %s)", p, strings.Join(apiTargetNames, ", "))
		}
	}
	return cfg, cfg.validate()
}

func (c apiBenchConfig) validate() error {
	switch {
	case c.duration <= 0 || c.readLimit <= 0:
		return errors.New("-duration and -read-limit must be positive")
	case c.producers < 1 || c.shards < 1 || c.singles < 0:
		return errors.New("-producers and -shards must be at least 1, -singles at least 0")
	case c.batch < 1 || c.batch > 500:
		return errors.New("-batch must be 1–500, as PutRecords allows")
	case c.size < 1 || c.batch*(c.size+11) > 10<<20:
		return errors.New("-size must be at least 1 and a batch must fit PutRecords' 10 MiB")
	case len(c.peers) == 0:
		return errors.New("-peers names no target")
	}
	return nil
}
