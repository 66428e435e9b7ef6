package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/rs/cors"
	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/engine/auth"
	"github.com/shardlab/shardlab/engine/cloudwatch"
	"github.com/shardlab/shardlab/engine/cloudwatchapi"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/engine/firehoseapi"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/engine/iamapi"
	"github.com/shardlab/shardlab/engine/kinesisapi"
	"github.com/shardlab/shardlab/engine/kinesisvideoapi"
	"github.com/shardlab/shardlab/engine/video"
)

// serveMemoryLimit is the soft heap ceiling of `serve`: past it the collector works harder instead of the heap
// growing to GOGC's five times the live data.
const serveMemoryLimit = 1 << 30

type serveConfig struct {
	addr, dataDir, limits, account, region string
	auth                                   string
	inMemory, tls, insecure                bool
	transition                             time.Duration
}

func parseServeFlags(args []string) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:4567", "listen address (host:port)")
	fs.StringVar(&c.dataDir, "data", defaultDataDir(), "data directory (database, keys, certificate)")
	fs.StringVar(&c.limits, "limits", "on", "enforce per-shard throughput limits: on or off")
	fs.BoolVar(&c.inMemory, "in-memory", false, "keep data in a throwaway temporary file, removed on exit")
	fs.BoolVar(&c.tls, "tls", false, "serve HTTPS with a generated local certificate")
	fs.StringVar(&c.account, "account", "000000000000", "account of requests whose access key is not an account id")
	fs.StringVar(&c.region, "region", "us-east-1", "region of requests that carry no SigV4 credential scope")
	fs.StringVar(&c.auth, "auth", authOff, "check request signatures: off, or verify (AWS SigV4 with Shardlab's root credentials)")
	fs.BoolVar(&c.insecure, "insecure", false, "serve beyond loopback with --auth off all the same")
	fs.DurationVar(&c.transition, "transition", 500*time.Millisecond, "how long CREATING, UPDATING and DELETING last")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.limits != "on" && c.limits != "off" {
		return c, fmt.Errorf("-limits %q: want on or off", c.limits)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if err := checkAuthMode(c.auth); err != nil {
		return c, err
	}
	return c, checkExposure(c.addr, c.auth, c.insecure)
}

// runServe runs the engine and the Kinesis API without a window until SIGINT or SIGTERM.
func runServe(args []string) error {
	cfg, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	// A server's live heap is small (indexes, metrics, iterators) while every request allocates its body and
	// answer: at the default GOGC it collects every few hundred puts, and the collections' CPU and pauses were a
	// fifth of a busy server's time and most of its single-put tail. Collecting at 5x the live heap instead costs
	// tens of megabytes; the soft limit keeps it bounded. GOGC and GOMEMLIMIT, when set, win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, os.Stdout, nil)
}

// serve runs until ctx ends, then lets in-flight requests finish and closes the engine. ready, when set, gets the
// endpoint once the server listens.
func serve(ctx context.Context, cfg serveConfig, out *os.File, ready chan<- string) error {
	opts := engine.Options{Path: databasePath(cfg.dataDir), InMemory: cfg.inMemory, EnforceLimits: true,
		LimitsOff: cfg.limits == "off", Account: cfg.account, Region: cfg.region, TransitionDelay: cfg.transition}
	eng, err := engine.Open(opts)
	if err != nil {
		return err
	}
	defer eng.Close()
	deliveries, err := delivery.OpenManager(eng)
	if err != nil {
		return err
	}
	defer deliveries.Close()                // before the engine closes: the delivery streams flush what they hold
	apps, err := analytics.OpenManager(eng) // the analytics applications that were running carry on
	if err != nil {
		return err
	}
	defer apps.Close()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	videos, err := video.Open(eng)
	if err != nil {
		return err
	}
	trimCtx, stopTrim := context.WithCancel(ctx)
	defer stopTrim()
	go videos.TrimEvery(trimCtx, time.Minute)
	var verifier *auth.Verifier
	authLine := "auth: off (any signature, or none, is accepted)"
	access, err := openAccess(ctx, eng, cfg.account) // IAM users, roles, policies and sessions, in shardlab.db
	if err != nil {
		return err
	}
	if cfg.auth == authVerify {
		if verifier, authLine, err = verifierFor(cfg.dataDir, cfg.account, access.Store); err != nil {
			return err
		}
	}
	watch, err := cloudwatch.Open(ctx, eng, nil) // metrics and alarms, CloudWatch's way
	if err != nil {
		return err
	}
	defer watch.Close()
	watch.AddSampler(cloudwatch.FirehoseSampler(deliveries)) // AWS/Firehose
	watch.AddSampler(cloudwatch.VideoSampler(videos))        // AWS/KinesisVideo
	srv := newAPIServer(eng, firehoseapi.New(eng, deliveries, firehoseapi.Options{BucketsDir: bucketsDir(cfg.dataDir)}),
		kinesisvideoapi.Handler{Store: videos}, func() *auth.Verifier { return verifier }, access, watch)
	scheme, certNote := "http", ""
	if cfg.tls {
		cert, certPath, err := localCertificate(cfg.dataDir)
		if err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		srv.Protocols.SetHTTP2(true)
		scheme, certNote = "https", fmt.Sprintf("certificate: %s (trust it with AWS_CA_BUNDLE=%s)\n", certPath, certPath)
	}
	endpoint := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	limits := "on (1 MiB/s and 1,000 records/s in, 2 MiB/s and 5 calls/s out per shard)"
	if cfg.limits == "off" {
		limits = "off"
	}
	fmt.Fprintf(out, "Shardlab %s — Kinesis and Firehose API at %s\n%sdata: %s\nlimits: %s\n"+
		"Firehose S3 buckets: folders under %s\n\n"+
		"Try: aws --endpoint-url %s kinesis list-streams\n"+
		"Go SDK: kinesis.New(kinesis.Options{BaseEndpoint: aws.String(%q), Region: \"us-east-1\", ...})\n"+
		"Ctrl-C stops the server.\n", version, endpoint, certNote, eng.Path(), limits, bucketsDir(cfg.dataDir), endpoint, endpoint)
	fmt.Fprintln(out, streamsLine(eng))
	fmt.Fprintln(out, authLine)
	if ready != nil {
		ready <- endpoint
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.tls {
			errc <- srv.ServeTLS(ln, "", "") // ServeTLS, not a wrapped listener, so HTTP/2 is offered by ALPN
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "Shutting down: finishing requests in flight…")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	deliveries.Close() // their last flush checkpoints into the engine: before it closes
	apps.Close()
	return eng.Close()
}

// newAPIServer is the Kinesis API, and the Firehose API when fh is set, over HTTP/1.1 and HTTP/2 without TLS (h2c,
// the JavaScript SDK v3's default) on one port, as `serve` and the app's in-app server run it. Calls go to one or
// the other by their X-Amz-Target.
func newAPIServer(eng *engine.Engine, fh, vh http.Handler, verifier func() *auth.Verifier, access *iam.Decider, watch *cloudwatch.Service) *http.Server {
	var opts kinesisapi.Options
	if access != nil { // Kinesis calls are decided once decoded, on what the action will act on
		opts.Authorize = iamapi.Authorizer{Decider: access}.Kinesis
	}
	api := kinesisapi.New(eng, opts)
	var h http.Handler = api
	if fh != nil || vh != nil || access != nil || watch != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case access != nil && iamapi.IsQueryAPI(r):
				iamapi.Handler{Store: access.Store, Decider: access}.ServeHTTP(w, r)
			case watch != nil && cloudwatchapi.IsCloudWatch(r):
				cloudwatchapi.Handler{Backend: cloudwatchapi.Service{S: watch}}.ServeHTTP(w, r)
			case fh != nil && strings.HasPrefix(r.Header.Get("X-Amz-Target"), firehoseapi.TargetPrefix):
				fh.ServeHTTP(w, r)
			case vh != nil && kinesisvideoapi.IsAPIPath(r.URL.Path):
				vh.ServeHTTP(w, r)
			default:
				api.ServeHTTP(w, r)
			}
		})
	}
	if access != nil { // signed calls are decided by IAM's logic over the callers' and the streams' policies
		h = iamapi.Authorizer{Decider: access, Next: h}
	}
	if verifier != nil {
		h = auth.Middleware(verifier, kinesisapi.DefaultMaxBodyBytes, h, authErrors)
	}
	// (serve fixes the verifier for the run; the app's in-process API changes it from Settings.)
	srv := &http.Server{Handler: withCORS(h), ReadHeaderTimeout: 10 * time.Second, Protocols: new(http.Protocols)}
	srv.RegisterOnShutdown(api.EndSubscriptions)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	return srv
}

// withCORS lets a web page use the APIs through the JavaScript SDK, as AWS's endpoints do: any origin, the
// methods and headers the SDK sends (a preflight is answered 200, as AWS answers it), and the response headers
// the SDK reads (the request id, the error type) exposed to the page.
func withCORS(h http.Handler) http.Handler {
	return cors.New(cors.Options{
		AllowedOrigins:       []string{"*"},
		AllowedMethods:       []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead},
		AllowedHeaders:       []string{"*"},
		ExposedHeaders:       []string{"x-amzn-RequestId", "x-amzn-ErrorType", "x-amzn-ErrorMessage", "x-amz-request-id", "x-amz-id-2", "Date"},
		MaxAge:               172800,
		OptionsSuccessStatus: http.StatusOK,
	}).Handler(h)
}

// streamsLine says what the data directory holds, and which streams store their records encrypted.
func streamsLine(eng *engine.Engine) string {
	streams := eng.Streams()
	var encrypted []string
	for _, s := range streams {
		if s.EncryptionType == engine.EncryptionKMS {
			encrypted = append(encrypted, fmt.Sprintf("%s (key %s)", s.StreamName, s.KeyId))
		}
	}
	line := fmt.Sprintf("streams: %d in %s", len(streams), eng.DefaultScope().Region)
	if len(encrypted) > 0 {
		line += "; encrypted: " + strings.Join(encrypted, ", ")
	}
	return line
}
