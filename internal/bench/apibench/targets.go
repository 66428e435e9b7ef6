package apibench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/shardlab/shardlab/engine/auth"
)

// apiTarget is one server the workload runs against.
type apiTarget struct {
	name      string
	own       bool // Shardlab itself: its failures fail the benchmark
	inProcess bool // shares the client's process, so its CPU time cannot be told apart
	start     func(ctx context.Context, cfg apiBenchConfig) (*runningServer, error)
}

// runningServer is a started target: where it listens, and, for a child process, its pid for /proc.
type runningServer struct {
	endpoint string
	pid      int
	stop     func() error
}

// skipError says a target cannot run on this machine (no node, no package): reported, not a failure.
type skipError struct{ reason string }

func (e *skipError) Error() string { return "skipped: " + e.reason }

// startupTimeout bounds how long a server may take to answer its first call; kinesis-local, a Scala.js program,
// takes a few seconds on this machine.
const startupTimeout = 60 * time.Second

func apiTargets(cfg apiBenchConfig) []apiTarget {
	all := []apiTarget{
		{name: "null", inProcess: true, start: startNullTarget},
		{name: "shardlab", own: true, start: func(ctx context.Context, cfg apiBenchConfig) (*runningServer, error) {
			return startShardlab(ctx, cfg, false, false)
		}},
		{name: "shardlab (verify)", own: true, start: func(ctx context.Context, cfg apiBenchConfig) (*runningServer, error) {
			return startShardlab(ctx, cfg, false, true)
		}},
		{name: "shardlab (fsync)", own: true, start: func(ctx context.Context, cfg apiBenchConfig) (*runningServer, error) {
			return startShardlab(ctx, cfg, true, false)
		}},
		{name: "kinesalite", start: startKinesalite},
		{name: "kinesis-local", start: startKinesisLocal},
	}
	var out []apiTarget
	for i, t := range all {
		if slices.Contains(cfg.peers, apiTargetNames[i]) {
			out = append(out, t)
		}
	}
	return out
}

// startShardlab runs `shardlab serve` with limits off and instant stream transitions. In memory, the engine keeps
// its bbolt file in a temporary directory and never fsyncs, like kinesalite keeps everything in memory; with
// fsync it is the durable server a user gets by default. verify adds --auth verify with the workload's
// credentials as the root key, so every call's SigV4 signature is checked.
func startShardlab(ctx context.Context, cfg apiBenchConfig, fsync, verify bool) (*runningServer, error) {
	dir, err := os.MkdirTemp("", "shardlab-bench-api-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := []string{"serve", "--data", dir, "--limits", "off", "--transition", "0s",
		"--addr", "127.0.0.1:" + strconv.Itoa(port)}
	if !fsync {
		args = append(args, "--in-memory")
	}
	if verify {
		args = append(args, "--auth", "verify")
	}
	cmd, err := cfg.shardlabCmd(args...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if verify {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, auth.EnvRootAccessKeyID+"="+benchAccessKey, auth.EnvRootSecretAccessKey+"="+benchSecret)
	}
	srv, err := startChild(ctx, cmd, port, syscall.SIGTERM, 30*time.Second)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stop := srv.stop
	srv.stop = func() error { return errors.Join(stop(), os.RemoveAll(dir)) }
	return srv, nil
}

func startKinesalite(ctx context.Context, cfg apiBenchConfig) (*runningServer, error) {
	node, preload, cleanup, err := nodeSetup()
	if err != nil {
		return nil, err
	}
	cli := filepath.Join(cfg.nodeModules, "kinesalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		cleanup()
		return nil, &skipError{fmt.Sprintf("kinesalite is not installed (%s missing; run npm ci)", cli)}
	}
	port, err := freePort()
	if err != nil {
		cleanup()
		return nil, err
	}
	// Without --shardLimit kinesalite refuses an account more than 10 open shards.
	cmd := exec.Command(node, "-r", preload, cli, "--port", strconv.Itoa(port), "--createStreamMs", "50",
		"--deleteStreamMs", "50", "--updateStreamMs", "50", "--shardLimit", "100")
	srv, err := startChild(ctx, cmd, port, syscall.SIGTERM, 5*time.Second)
	return withCleanup(srv, err, cleanup)
}

// startKinesisLocal runs kinesis-local (kinesis-mock compiled to JavaScript) from its package folder, where it
// reads the TLS key pair of its second port from server.json. It does not end on SIGTERM, so it is killed.
func startKinesisLocal(ctx context.Context, cfg apiBenchConfig) (*runningServer, error) {
	node, preload, cleanup, err := nodeSetup()
	if err != nil {
		return nil, err
	}
	pkg, err := filepath.Abs(filepath.Join(cfg.nodeModules, "kinesis-local"))
	if err == nil {
		_, err = os.Stat(filepath.Join(pkg, "main.js"))
	}
	if err != nil {
		cleanup()
		return nil, &skipError{fmt.Sprintf("kinesis-local is not installed (%s/main.js missing; run npm ci)", pkg)}
	}
	port, err := freePort()
	if err != nil {
		cleanup()
		return nil, err
	}
	tlsPort, err := freePort()
	if err != nil {
		cleanup()
		return nil, err
	}
	cmd := exec.Command(node, "-r", preload, "main.js")
	cmd.Dir = pkg
	cmd.Env = append(os.Environ(), "KINESIS_MOCK_PLAIN_PORT="+strconv.Itoa(port),
		"KINESIS_MOCK_TLS_PORT="+strconv.Itoa(tlsPort), "CREATE_STREAM_DURATION=50ms",
		"DELETE_STREAM_DURATION=50ms", "LOG_LEVEL=WARN")
	srv, err := startChild(ctx, cmd, port, syscall.SIGKILL, 5*time.Second)
	return withCleanup(srv, err, cleanup)
}

// loopbackPreload is loaded into each peer with `node -r`: both peers listen on every interface by default, and a
// benchmark has no business opening ports to the network. It forces the host of every TCP listen to 127.0.0.1.
const loopbackPreload = `'use strict';
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const a = args[0];
  if (a !== null && typeof a === 'object' && a.port !== undefined) {
    args[0] = Object.assign({}, a, { host: '127.0.0.1' });
  } else if (typeof a === 'number' || (typeof a === 'string' && /^\d+$/.test(a))) {
    if (typeof args[1] === 'string') args[1] = '127.0.0.1';
    else args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
`

// nodeSetup finds node and writes the loopback preload into a temporary directory that cleanup removes.
func nodeSetup() (node, preload string, cleanup func(), err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", nil, &skipError{"node is not on PATH"}
	}
	dir, err := os.MkdirTemp("", "shardlab-bench-node-")
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	preload = filepath.Join(dir, "loopback.js")
	if err := os.WriteFile(preload, []byte(loopbackPreload), 0o600); err != nil {
		cleanup()
		return "", "", nil, err
	}
	return node, preload, cleanup, nil
}

// withCleanup runs cleanup after the server stops, or at once if it never started.
func withCleanup(srv *runningServer, err error, cleanup func()) (*runningServer, error) {
	if err != nil {
		cleanup()
		return nil, err
	}
	stop := srv.stop
	srv.stop = func() error { err := stop(); cleanup(); return err }
	return srv, nil
}

// startChild starts cmd and waits until its API answers on port. stop sends sig, waits up to grace for the exit
// and kills the process after that.
func startChild(ctx context.Context, cmd *exec.Cmd, port int, sig syscall.Signal, grace time.Duration) (
	*runningServer, error) {
	out := &tailBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	srv := &runningServer{endpoint: "http://127.0.0.1:" + strconv.Itoa(port), pid: cmd.Process.Pid}
	srv.stop = func() error {
		cmd.Process.Signal(sig)
		select {
		case <-exited:
			return nil // how it ended does not matter once the run's figures are taken
		case <-time.After(grace):
		}
		cmd.Process.Kill()
		<-exited
		if sig == syscall.SIGKILL {
			return nil
		}
		return fmt.Errorf("%s did not end within %v of %v; killed", filepath.Base(cmd.Path), grace, sig)
	}
	if err := waitReady(ctx, srv.endpoint, exited); err != nil {
		srv.stop()
		if waitErr != nil {
			err = fmt.Errorf("%w (%v)", err, waitErr)
		}
		return nil, fmt.Errorf("%w; its output ends: %q", err, out.String())
	}
	return srv, nil
}

// waitReady polls with ListStreams, which every target answers, until the server does or gives up.
func waitReady(ctx context.Context, endpoint string, exited <-chan struct{}) error {
	kc, closeIdle := newBenchAPIClient(endpoint, 1)
	defer closeIdle()
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	for {
		callCtx, callCancel := context.WithTimeout(ctx, 5*time.Second)
		err := listStreams(callCtx, kc)
		callCancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before answering")
		case <-ctx.Done():
			return fmt.Errorf("no answer within %v: %w", startupTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freePort asks the kernel for a free loopback port. Another process could take it before the server binds it,
// which is rare enough for a benchmark: the server then fails to start, or the figures are plainly not its own.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes a child wrote, to explain a failed start without flooding the report.
type tailBuffer struct {
	max int
	b   []byte
}

// Write needs no lock: exec copies stdout and stderr with one goroutine when both are the same writer.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }
