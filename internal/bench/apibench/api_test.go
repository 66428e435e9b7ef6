package apibench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/auth"
	"github.com/shardlab/shardlab/engine/kinesisapi"
)

// benchAPIChildEnv marks the test binary re-run as the benchmark's Shardlab server.
const benchAPIChildEnv = "SHARDLAB_BENCH_API_CHILD"

// TestBenchAPIServeChild is no test of its own: it is how the benchmark's test gets a real child-process server
// without building the app. The benchmark launches the server as a separate process so its CPU time can be read
// from /proc; re-running this test binary with only this test selected and the server's arguments after "--"
// gives exactly that, serving the engine through kinesisapi as `shardlab serve` does, and costs no `go build`
// inside `make test`. (app's tests run the real `serve` command.)
func TestBenchAPIServeChild(t *testing.T) {
	if os.Getenv(benchAPIChildEnv) != "1" {
		t.Skip("runs only as the bench-api test's server process")
	}
	i := slices.Index(os.Args, "--")
	if i < 0 || i+1 >= len(os.Args) || os.Args[i+1] != "serve" {
		fmt.Fprintln(os.Stderr, "want -- serve [flags]")
		os.Exit(2)
	}
	if err := serveForTest(os.Args[i+2:]); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveForTest takes the flags startShardlab gives `shardlab serve` and serves the Kinesis API until SIGTERM.
func serveForTest(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := fs.String("data", "", "")
	limits := fs.String("limits", "on", "")
	transition := fs.Duration("transition", 0, "")
	addr := fs.String("addr", "", "")
	inMemory := fs.Bool("in-memory", false, "")
	authMode := fs.String("auth", "off", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	eng, err := engine.Open(engine.Options{Path: filepath.Join(*data, "shardlab.db"), InMemory: *inMemory,
		EnforceLimits: true, LimitsOff: *limits == "off", TransitionDelay: *transition})
	if err != nil {
		return err
	}
	defer eng.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	api := kinesisapi.New(eng, kinesisapi.Options{})
	var h http.Handler = api
	if *authMode == "verify" { // as serve wraps the port
		root, _, err := auth.RootKey(*data, "000000000000")
		if err != nil {
			return err
		}
		v := auth.NewVerifier(auth.NewKeyRing(root), nil)
		h = auth.Middleware(func() *auth.Verifier { return v }, kinesisapi.DefaultMaxBodyBytes, api,
			func(w http.ResponseWriter, r *http.Request, e *auth.Error) { kinesisapi.WriteError(w, r, e) })
	}
	srv := &http.Server{Handler: h, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	srv.RegisterOnShutdown(api.EndSubscriptions)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func testBinaryCommand(args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestBenchAPIServeChild$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), benchAPIChildEnv+"=1")
	return cmd, nil
}

func TestBenchAPIAgainstShardlabAndNull(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two servers for a few seconds each")
	}
	cfg, err := parseBenchAPIFlags([]string{"-peers", "shardlab,null", "-duration", "1s", "-singles", "50"},
		io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.shardlabCmd = testBinaryCommand
	var out bytes.Buffer
	results := benchAPI(context.Background(), cfg, &out, io.Discard)
	printAPIResults(&out, cfg, results)
	if len(results) != 4 {
		t.Fatalf("%d results, want null, shardlab, shardlab (verify) and shardlab (fsync):\n%s", len(results), out.String())
	}
	for _, r := range results {
		if r.failed() || r.skipped != "" {
			t.Errorf("%s: skipped %q, problem %q\n%s", r.target, r.skipped, r.problem(), out.String())
			continue
		}
		if r.ingest.records == 0 || r.singles.latency.N != 50 {
			t.Errorf("%s: ingest %d records, %d single puts timed", r.target, r.ingest.records, r.singles.latency.N)
		}
		if r.target == "null" {
			continue
		}
		if r.read.records != r.ingest.records || !r.serverCPUKnown {
			t.Errorf("%s: read back %d of %d records, server CPU known %v", r.target, r.read.records,
				r.ingest.records, r.serverCPUKnown)
		}
	}
	if err := ownFailure(results); err != nil {
		t.Error(err)
	}
	for _, want := range []string{"ingest rec/s", "shardlab (fsync)", "shardlab (verify)", "PutRecord p99", "in process"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBenchAPISkipsMissingPeers(t *testing.T) {
	cfg, err := parseBenchAPIFlags([]string{"-peers", "kinesalite,kinesis-local", "-node-modules",
		t.TempDir()}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	results := benchAPI(context.Background(), cfg, io.Discard, io.Discard)
	printAPIResults(&out, cfg, results)
	if len(results) != 2 {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		if r.skipped == "" || r.failed() {
			t.Errorf("%s: skipped %q, problem %q", r.target, r.skipped, r.problem())
		}
	}
	if !strings.Contains(out.String(), "kinesalite: skipped: ") || ownFailure(results) != nil {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestBenchAPIFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-peers", "dynamo"},
		{"-peers", ""},
		{"-batch", "501"},
		{"-duration", "0s"},
		{"extra"},
	} {
		if _, err := parseBenchAPIFlags(args, io.Discard); err == nil {
			t.Errorf("parseBenchAPIFlags(%q) accepted it", args)
		}
	}
	cfg, err := parseBenchAPIFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"shardlab-memory", "shardlab-verify", "shardlab-fsync", "kinesalite", "kinesis-local", "null"}
	if !slices.Equal(cfg.peers, want) || cfg.duration != 20*time.Second || cfg.singles != 1000 {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestParseProcStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses; utime 250 and stime 50 ticks are 3 s.
	stat := []byte("4242 (node (peer) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 7 0 1 2 3")
	if cpu, ok := parseProcStatCPU(stat); !ok || cpu != 3*time.Second {
		t.Errorf("parseProcStatCPU = %v, %v; want 3s", cpu, ok)
	}
	if _, ok := parseProcStatCPU([]byte("4242 (short) S 1")); ok {
		t.Error("accepted a truncated stat line")
	}
	if cpu, ok := procCPU(0); ok && cpu <= 0 {
		t.Errorf("procCPU(self) = %v", cpu)
	}
}
