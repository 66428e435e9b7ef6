package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/envelope"
	"github.com/shardlab/shardlab/engine/replay"
)

// target is where replay and capture work: the local data directory (the engine, opened here) or a server.
type target struct {
	dataDir, endpoint, region string
}

func (t *target) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.dataDir, "data", defaultDataDir(), "data directory to work on (when no --endpoint)")
	fs.StringVar(&t.endpoint, "endpoint", "", "a Kinesis endpoint instead of the data directory, e.g. http://127.0.0.1:4567")
	fs.StringVar(&t.region, "region", "", "region for --endpoint (default $AWS_REGION, else us-east-1)")
}

// kinesisAPI is what replay and capture need from either target.
type kinesisAPI interface {
	replay.Putter
	replay.Source
}

// open returns the target and a function that releases it.
func (t *target) open() (kinesisAPI, func(), error) {
	if t.endpoint != "" {
		return newRemote(t.endpoint, t.region), func() {}, nil
	}
	eng, err := engine.Open(engine.Options{Path: databasePath(t.dataDir), EnforceLimits: true})
	if err != nil {
		return nil, nil, fmt.Errorf("%w\n(while the app or `shardlab serve` runs, use --endpoint http://127.0.0.1:4567)", err)
	}
	return eng, func() { eng.Close() }, nil
}

// interruptible is a context that Ctrl-C (or SIGTERM) ends, so a long replay or capture stops cleanly.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func runReplay(args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	var t target
	t.flags(fs)
	stream := fs.String("stream", "", "stream to put into (required)")
	speed := fs.Float64("speed", 0, "play the input's timestamps this many times faster (0.1–1000); 0 = as fast as the stream accepts")
	format := fs.String("format", "", "capture, ndjson, csv or lines (default: detected)")
	keyField := fs.String("key-field", "", "take the partition key from this JSON member or CSV column (captures keep their keys)")
	keyExpr := fs.String("key", "", `compute every partition key with an expression over data, key, seq, shard, ts, size, e.g. 'data.user'`)
	timeField := fs.String("time-field", "", "take the time from this member or column (default: ts, timestamp, time, @timestamp)")
	encryptKey := fs.String("encrypt-key", "", "seal each record's data in an envelope under this key file (shardlab encrypt-key new); partition keys stay in the clear")
	if err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: shardlab replay FILE --stream S [--speed X] [--key EXPR | --key-field F] [--encrypt-key KEYFILE] [--endpoint URL]")
	}
	var key *envelope.Key
	if *encryptKey != "" {
		var err error
		if key, err = envelope.LoadKeyFile(*encryptKey); err != nil {
			return fmt.Errorf("--encrypt-key: %w", err)
		}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, _ := f.Stat()
	in, err := replay.NewReader(f, replay.ReaderOptions{Format: *format, KeyField: *keyField, TimeField: *timeField})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	api, release, err := t.open()
	if err != nil {
		return err
	}
	defer release()
	opts := replay.Options{Stream: *stream, Speed: *speed, Encrypt: key}
	if *keyExpr != "" {
		if opts.Key, err = replay.KeyExpr(*keyExpr); err != nil {
			return fmt.Errorf("--key: %w", err)
		}
	}
	rp, err := replay.NewReplayer(api, opts)
	if err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	done := make(chan struct{})
	go reportReplay(rp, st.Size(), done)
	err = rp.Run(ctx, in)
	close(done)
	fmt.Fprintf(os.Stderr, "\r%s\n", replayLine(rp, st.Size(), time.Time{}))
	if bad := in.Malformed(); len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "%d malformed line(s) not put:\n", in.MalformedCount())
		for i, m := range bad {
			if i == 20 {
				fmt.Fprintf(os.Stderr, "  … and %d more\n", in.MalformedCount()-20)
				break
			}
			fmt.Fprintf(os.Stderr, "  line %d: %s\n", m.Line, m.Err)
		}
	}
	if key != nil {
		fmt.Fprintf(os.Stderr, "data sealed with key %s\n", key.ID())
		if n := rp.P.AlreadyEncrypted.Load(); n > 0 {
			fmt.Fprintf(os.Stderr, "%d record(s) were envelopes already and were put as they were, not sealed twice\n", n)
		}
	}
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted")
	}
	return err
}

func reportReplay(rp *replay.Replayer, size int64, done chan struct{}) {
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			fmt.Fprintf(os.Stderr, "\r%s", replayLine(rp, size, start))
		}
	}
}

// replayLine is the progress line: records put and their rate, the share of the file read and the time left.
func replayLine(rp *replay.Replayer, size int64, start time.Time) string {
	put, read := rp.P.Put.Load(), rp.P.BytesRead.Load()
	line := fmt.Sprintf("put %d records, %d retried, %d malformed", put, rp.P.Retried.Load(), rp.P.Malformed.Load())
	if !start.IsZero() {
		el := time.Since(start)
		line += fmt.Sprintf(" · %.0f rec/s", float64(put)/el.Seconds())
		if size > 0 && read > 0 {
			frac := float64(read) / float64(size)
			eta := time.Duration(float64(el)/frac) - el
			line += fmt.Sprintf(" · %.0f %% of the file · ETA %s", frac*100, eta.Round(time.Second))
		}
	}
	return line + "   "
}

func runCapture(args []string) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	var t target
	t.flags(fs)
	var opts replay.CaptureOptions
	fs.StringVar(&opts.Stream, "stream", "", "stream to capture (required)")
	out := fs.String("out", "", "capture file to write (required; - for standard output)")
	shards := fs.String("shards", "", "comma-separated shard ids (default: all, closed ones included)")
	fs.StringVar(&opts.From, "from", "TRIM_HORIZON", "TRIM_HORIZON, LATEST, AT_TIMESTAMP (with --at) or AT_SEQUENCE_NUMBER (with --seq)")
	at := fs.String("at", "", "start time for AT_TIMESTAMP, RFC 3339")
	fs.StringVar(&opts.Seq, "seq", "", "sequence number for AT_SEQUENCE_NUMBER")
	fs.Int64Var(&opts.Count, "count", 0, "stop after this many records")
	fs.DurationVar(&opts.Duration, "duration", 0, "stop after this long")
	fs.BoolVar(&opts.Follow, "follow", false, "keep capturing new records until stopped (Ctrl-C), --count or --duration")
	fs.BoolVar(&opts.Gzip, "gzip", false, "gzip the capture file")
	decryptKey := fs.String("decrypt-key", "", "write the plaintext of records sealed under this key file; other records are written as they are, and counted")
	if err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *out == "" || opts.Stream == "" {
		return errors.New("usage: shardlab capture --stream S --out FILE [--from …] [--count N] [--follow] [--decrypt-key KEYFILE] [--endpoint URL]")
	}
	if *decryptKey != "" {
		var err error
		if opts.Decrypt, err = envelope.LoadKeyFile(*decryptKey); err != nil {
			return fmt.Errorf("--decrypt-key: %w", err)
		}
	}
	if *shards != "" {
		opts.Shards = strings.Split(*shards, ",")
	}
	if *at != "" {
		ts, err := time.Parse(time.RFC3339Nano, *at)
		if err != nil {
			return fmt.Errorf("--at %q: want RFC 3339, e.g. 2026-11-26T09:00:00Z", *at)
		}
		opts.At = ts
	}
	api, release, err := t.open()
	if err != nil {
		return err
	}
	defer release()
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	ctx, stop := interruptible()
	defer stop()
	var p replay.CaptureProgress
	err = replay.Capture(ctx, api, w, opts, &p)
	fmt.Fprintf(os.Stderr, "captured %d records (%d bytes of data) from %s\n", p.Records.Load(), p.Bytes.Load(), opts.Stream)
	if opts.Decrypt != nil {
		fmt.Fprint(os.Stderr, decryptReport(opts.Decrypt.ID(), &p))
	}
	if errors.Is(err, context.Canceled) {
		return nil // Ctrl-C ends a --follow capture; what was written is complete lines
	}
	return err
}

// parseInterleaved lets flags come after positional arguments too (`replay FILE --stream S`), as people type them.
func parseInterleaved(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...)) // flags already set stay set; these become fs.Args()
}
