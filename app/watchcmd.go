package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/replay"
)

func runWatch(args []string) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	var t target
	t.flags(fs)
	var opts replay.WatchOptions
	fs.StringVar(&opts.Glob, "glob", "*", "file names to tail, e.g. '*.log' (with copytruncate rotation, exclude the rotated copies)")
	fs.StringVar(&opts.Stream, "stream", "", "stream to put into (required)")
	fs.StringVar(&opts.Reader.Format, "format", "", "capture, ndjson, csv or lines (default: detected per file)")
	fs.StringVar(&opts.Reader.KeyField, "key-field", "", "take the partition key from this JSON member or CSV column")
	keyExpr := fs.String("key", "", "compute every partition key with an expression, e.g. 'data.host'")
	quiet := fs.Bool("quiet", false, "do not print per-file progress")
	if err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || opts.Stream == "" {
		return errors.New("usage: shardlab watch DIR --glob '*.log' --stream S [--key EXPR] [--endpoint URL]")
	}
	opts.Dir = fs.Arg(0)
	if *keyExpr != "" {
		var err error
		if opts.Key, err = replay.KeyExpr(*keyExpr); err != nil {
			return fmt.Errorf("--key: %w", err)
		}
	}
	wt, release, err := t.openWatchTarget()
	if err != nil {
		return err
	}
	defer release()
	w, err := replay.NewWatcher(wt, opts)
	if err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	if !*quiet {
		go reportWatch(ctx, w)
	}
	fmt.Fprintf(os.Stderr, "watching %s for %s into %s (Ctrl-C stops)\n", opts.Dir, opts.Glob, opts.Stream)
	return w.Run(ctx)
}

func reportWatch(ctx context.Context, w *replay.Watcher) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			for _, f := range w.Files() {
				line := fmt.Sprintf("%s: %d of %d bytes, %d lines (%.0f/s), %d malformed", filepath.Base(f.Path), f.Offset, f.Size,
					f.Lines, f.PerSecond, f.Malformed)
				if f.LastError != "" {
					line += " · " + f.LastError
				}
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}
}

// openWatchTarget is the engine on the data directory, whose checkpointed puts make watching exactly once; with
// --endpoint, puts go to the server and offsets to watch.db in the data directory, which makes it at least once (a
// crash between a put and its offset repeats that batch).
func (t *target) openWatchTarget() (replay.WatchTarget, func(), error) {
	if t.endpoint == "" {
		api, release, err := t.open()
		if err != nil {
			return nil, nil, err
		}
		return api.(*engine.Engine), release, nil
	}
	if err := os.MkdirAll(t.dataDir, 0o755); err != nil {
		return nil, nil, err
	}
	local, err := engine.Open(engine.Options{Path: filepath.Join(t.dataDir, "watch.db")})
	if err != nil {
		return nil, nil, err
	}
	return &remoteWatch{remote: newRemote(t.endpoint, t.region), Engine: local}, func() { local.Close() }, nil
}

// remoteWatch puts to a server and keeps offsets in a local engine file.
type remoteWatch struct {
	remote *remoteStream
	*engine.Engine
}

func (r *remoteWatch) PutRecordsCheckpointed(ctx context.Context, in engine.PutRecordsInput, cp engine.Checkpoint) (*engine.PutRecordsOutput, error) {
	out, err := r.remote.PutRecords(ctx, in)
	if err != nil || out.FailedRecordCount > 0 {
		return out, err
	}
	return out, r.PutCheckpoint(ctx, cp)
}
