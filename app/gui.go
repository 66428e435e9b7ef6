package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/assets"
	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/engine/auth"
	"github.com/shardlab/shardlab/engine/cloudwatch"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/engine/firehoseapi"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/engine/iamapi"
	"github.com/shardlab/shardlab/engine/kinesisvideoapi"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/replay"
	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/samples"
	"github.com/shardlab/shardlab/views/shell"
	"github.com/shardlab/shardlab/views/ui"
)

type guiConfig struct {
	dataDir, api, show string
	inMemory, start    bool
	insecure           bool
}

func parseGUIFlags(args []string) (guiConfig, error) {
	var c guiConfig
	fs := flag.NewFlagSet("gui", flag.ContinueOnError)
	fs.StringVar(&c.dataDir, "data", defaultDataDir(), "data directory (database, keys, workspace)")
	fs.StringVar(&c.api, "api", "127.0.0.1:4567", `address of the in-app Kinesis API, or "off"`)
	fs.BoolVar(&c.inMemory, "in-memory", false, "keep stream data in a throwaway temporary file")
	fs.StringVar(&c.show, "show", "", "open this stream's dashboard")
	fs.BoolVar(&c.start, "start-producers", false, "start the shown stream's producers (for demos and the smoke test)")
	fs.BoolVar(&c.insecure, "insecure", false, "serve the in-app API beyond loopback all the same (it checks no signatures)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if c.api != "off" {
		// The in-app API checks no signatures: beyond loopback it would let anyone in, so it needs --insecure.
		return c, checkExposure(c.api, "", c.insecure)
	}
	return c, nil
}

// guiMemoryLimit is the Go heap size above which the app collects garbage eagerly.
const guiMemoryLimit = 160 << 20

// appID names the app to Fyne: its preferences live under it.
const appID = "io.shardlab.app"

// runGUI opens the window on the embedded engine, with the Kinesis API served from inside the app.
func runGUI(args []string) error {
	cfg, err := parseGUIFlags(args)
	if err != nil {
		return err
	}
	// The dashboard makes short-lived garbage every frame; collecting at 1.5x the live heap instead of 2x keeps a
	// desktop app's footprint small for a few percent more GC work, and a soft ceiling caps it. GOGC and
	// GOMEMLIMIT, when set, win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(guiMemoryLimit)
	}
	eng, gens, seeded, err := openWorkspace(cfg)
	if err != nil {
		showStartupError(err) // someone who double-clicked the app never sees stderr
		return err
	}
	defer eng.Close()
	defer gens.StopAll()
	if seeded && cfg.show == "" {
		cfg.show = sampleStream // a first start opens on the workshop's picture, not an empty list
	}
	deliveries, err := delivery.OpenManager(eng)
	if err != nil {
		showStartupError(err)
		return err
	}
	defer deliveries.Close() // runs before eng.Close: the delivery streams flush what they hold
	apps, err := analytics.OpenManager(eng)
	if err != nil {
		showStartupError(err)
		return err
	}
	defer apps.Close() // before eng.Close
	if seeded {        // the first start's workspace has an analytics application on the sample stream, ready to start
		if b, err := samples.FS.ReadFile("analytics/clickstream-live.json"); err == nil {
			_, _ = apps.Import(b)
		}
	}
	videos, err := video.Open(eng)
	if err != nil {
		showStartupError(err)
		return err
	}
	if seeded {
		seedVideo(videos)
	}
	trimCtx, stopTrim := context.WithCancel(context.Background())
	defer stopTrim()
	go videos.TrimEvery(trimCtx, time.Minute)
	fileJobs := replay.NewJobs(eng)
	defer fileJobs.StopAll() // before eng.Close: a capture's last lines are written, a replay's puts answered
	cameras := loadgen.NewCameras(videos)
	defer cameras.StopAll() // before eng.Close: the fragments being cut are stored
	var playbackURL func(stream string, first, last uint64) (string, error)
	if playback, err := kinesisvideoapi.ServePlayback(videos); err == nil {
		defer playback.Close()
		playbackURL = playback.FragmentsURL
	} else {
		fmt.Fprintln(os.Stderr, "video playback is off:", err)
	}
	access, err := openAccess(context.Background(), eng, eng.DefaultScope().Account)
	if err != nil {
		return err
	}
	watch, err := cloudwatch.Open(context.Background(), eng, nil) // metrics and alarms, CloudWatch's way
	if err != nil {
		return err
	}
	defer watch.Close()
	watch.AddSampler(cloudwatch.FirehoseSampler(deliveries)) // AWS/Firehose
	watch.AddSampler(cloudwatch.VideoSampler(videos))        // AWS/KinesisVideo
	a := fyneapp.NewWithID(appID)
	api := startInAppAPI(eng, cfg.api, firehoseapi.New(eng, deliveries, firehoseapi.Options{BucketsDir: bucketsDir(cfg.dataDir)}),
		kinesisvideoapi.Handler{Store: videos}, access, watch)
	defer api.stop()
	api.dataDir, api.account = cfg.dataDir, eng.DefaultScope().Account
	if a.Preferences().String(prefAPIAuth) == authVerify { // set before the window opens, kept across restarts
		if err := api.setAuth(authVerify); err != nil {
			fmt.Fprintln(os.Stderr, "in-app API signatures:", err)
		}
	}
	setAuth := func(mode string) error {
		if err := api.setAuth(mode); err != nil {
			return err
		}
		a.Preferences().SetString(prefAPIAuth, mode)
		return nil
	}
	a.SetIcon(assets.Icon)
	ui.ApplyTheme(a, ui.CurrentAppearance(a))
	win := a.NewWindow("Shardlab")
	env := ui.Env{Engine: eng, Generators: gens, DataDir: cfg.dataDir, Version: version,
		SampleDir: samplesDir(cfg.dataDir), API: api.status, SetAPIAuth: setAuth, Deliveries: deliveries,
		Analytics: apps, Video: videos, Cameras: cameras, Playback: playbackURL, Files: fileJobs, Access: access, Metrics: watch}
	frame := shell.New(a, win, env)
	win.SetContent(frame.Content())
	win.Resize(shell.WindowSize(a))
	win.SetMaster()
	if cfg.show != "" {
		shell.ShowOnStart(a, cfg.show)
	}
	win.SetCloseIntercept(func() {
		frame.Stop()
		win.Close()
	})
	frame.Start()
	if cfg.start && cfg.show != "" {
		for _, g := range gens.List(cfg.show) {
			if err := gens.Start(g.ID); err != nil {
				fmt.Fprintln(os.Stderr, "start producer:", err)
			}
		}
	}
	win.ShowAndRun()
	return nil
}

// openWorkspace opens the engine and the producers in the data directory, creating the sample workspace on a first
// start. Whatever fails is returned with the file it concerns, for the startup window.
func openWorkspace(cfg guiConfig) (*engine.Engine, *loadgen.Manager, bool, error) {
	if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
		return nil, nil, false, fmt.Errorf("data directory: %w", err)
	}
	eng, err := engine.Open(engine.Options{Path: databasePath(cfg.dataDir), InMemory: cfg.inMemory, EnforceLimits: true,
		TransitionDelay: 500 * time.Millisecond})
	if err != nil {
		return nil, nil, false, err
	}
	fail := func(err error) (*engine.Engine, *loadgen.Manager, bool, error) {
		eng.Close()
		return nil, nil, false, err
	}
	if err := installSamples(cfg.dataDir); err != nil {
		return fail(err)
	}
	if !cfg.inMemory { // an in-memory engine would forget what it moved in
		if err := loadgen.ImportLegacy(eng, cfg.dataDir); err != nil {
			return fail(fmt.Errorf("%w (fix or remove the file; it holds only the producers' settings)", err))
		}
	}
	gens, err := loadgen.OpenManager(eng, cfg.dataDir)
	if err != nil {
		return fail(err)
	}
	seeded, err := seedWorkspace(context.Background(), eng, gens, cfg.dataDir)
	if err != nil {
		return fail(err)
	}
	return eng, gens, seeded, nil
}

// prefAPIAuth keeps the in-app API's signature mode (off or verify) across restarts.
const prefAPIAuth = "api.auth"

// inAppAPI is the Kinesis API served while the window is open, so SDK traffic shows up live in the app.
type inAppAPI struct {
	mu       sync.Mutex
	endpoint string
	err      string
	srv      *http.Server
	// verifier checks signatures when Settings turned that on (nil: off), against the account's root key and its
	// IAM users' and sessions' keys.
	verifier         atomic.Pointer[auth.Verifier]
	dataDir, account string
	root             auth.Key
	access           *iam.Decider
}

// setAuth turns signature checking on (verify) or off while the API serves.
func (a *inAppAPI) setAuth(mode string) error {
	if err := checkAuthMode(mode); err != nil {
		return err
	}
	if mode == authOff {
		a.verifier.Store(nil)
		return nil
	}
	root, _, err := auth.RootKey(a.dataDir, a.account)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.root = root
	a.mu.Unlock()
	a.verifier.Store(auth.NewVerifier(iamapi.KeyChain{auth.NewKeyRing(root), a.access.Store}, nil))
	return nil
}

func startInAppAPI(eng *engine.Engine, addr string, fh, vh http.Handler, access *iam.Decider, watch *cloudwatch.Service) *inAppAPI {
	a := &inAppAPI{access: access}
	if addr == "off" {
		return a
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		a.err = err.Error()
		if errors.Is(err, syscall.EADDRINUSE) {
			a.err = addr + " is in use by another program"
		}
		return a
	}
	a.srv = newAPIServer(eng, fh, vh, a.verifier.Load, access, watch)
	a.endpoint = "http://" + ln.Addr().String()
	go func() {
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.mu.Lock()
			a.endpoint, a.err = "", err.Error()
			a.mu.Unlock()
		}
	}()
	return a
}

func (a *inAppAPI) status() ui.APIStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := ui.APIStatus{Endpoint: a.endpoint, Err: a.err, Auth: authOff}
	if a.verifier.Load() != nil {
		st.Auth, st.RootAccessKeyID, st.RootSecret = authVerify, a.root.AccessKeyID, a.root.Secret
	}
	return st
}

// stop lets requests in flight finish before the engine closes.
func (a *inAppAPI) stop() {
	if a.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.srv.Shutdown(ctx)
}

// showStartupError puts a failure to open the data in a window of its own, with what to do about it.
func showStartupError(err error) {
	a := fyneapp.NewWithID(appID)
	win := a.NewWindow("Shardlab")
	text := "Shardlab could not open its data:\n\n" + err.Error()
	if errors.Is(err, storage.ErrLocked) {
		text += "\n\nAnother Shardlab (the app or `shardlab serve`) has this data directory open: close it, or start " +
			"this one with --data on another directory."
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	win.SetContent(container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), widget.NewButton("Quit", a.Quit)), nil, nil, msg))
	win.Resize(fyne.NewSize(560, 240))
	win.ShowAndRun()
}
