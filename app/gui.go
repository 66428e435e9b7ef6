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
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/assets"
	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/kinesisapi"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/views"
)

type guiConfig struct {
	dataDir, api, show string
	inMemory, start    bool
}

func parseGUIFlags(args []string) (guiConfig, error) {
	var c guiConfig
	fs := flag.NewFlagSet("gui", flag.ContinueOnError)
	fs.StringVar(&c.dataDir, "data", defaultDataDir(), "data directory (database, keys, workspace)")
	fs.StringVar(&c.api, "api", "127.0.0.1:4567", `address of the in-app Kinesis API, or "off"`)
	fs.BoolVar(&c.inMemory, "in-memory", false, "keep stream data in a throwaway temporary file")
	fs.StringVar(&c.show, "show", "", "open this stream's dashboard")
	fs.BoolVar(&c.start, "start-producers", false, "start the shown stream's producers (for demos and the smoke test)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %v", fs.Args())
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
	if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	eng, err := engine.Open(engine.Options{Path: databasePath(cfg.dataDir), InMemory: cfg.inMemory, EnforceLimits: true,
		TransitionDelay: 500 * time.Millisecond})
	if err != nil {
		showStartupError(err) // someone who double-clicked the app never sees stderr
		return err
	}
	defer eng.Close()
	if err := installSamples(cfg.dataDir); err != nil {
		return err
	}
	gens, err := loadgen.OpenManager(eng, generatorsPath(cfg.dataDir))
	if err != nil {
		return err
	}
	defer gens.StopAll()
	seeded, err := seedWorkspace(context.Background(), eng, gens, cfg.dataDir)
	if err != nil {
		return err
	}
	if seeded && cfg.show == "" {
		cfg.show = sampleStream // a first start opens on the workshop's picture, not an empty list
	}
	api := startInAppAPI(eng, cfg.api)
	defer api.stop()

	a := fyneapp.NewWithID(appID)
	a.SetIcon(assets.Icon)
	views.ApplyTheme(a, a.Preferences().StringWithFallback(views.PrefTheme, views.ThemeSystem))
	win := a.NewWindow("Shardlab")
	env := views.Env{Engine: eng, Generators: gens, DataDir: cfg.dataDir, Version: version,
		SampleDir: samplesDir(cfg.dataDir), API: api.status}
	shell := views.NewShell(a, win, env)
	win.SetContent(shell.Content())
	win.Resize(views.WindowSize(a))
	win.SetMaster()
	if cfg.show != "" {
		a.Preferences().SetString("screen.last", "stream:"+cfg.show)
	}
	win.SetCloseIntercept(func() {
		shell.Stop()
		win.Close()
	})
	shell.Start()
	if cfg.start && cfg.show != "" {
		for _, g := range gens.List(cfg.show, false) {
			if err := gens.Get(g.ID).Start(); err != nil {
				fmt.Fprintln(os.Stderr, "start producer:", err)
			}
		}
	}
	win.ShowAndRun()
	return nil
}

// inAppAPI is the Kinesis API served while the window is open, so SDK traffic shows up live in the app.
type inAppAPI struct {
	mu       sync.Mutex
	endpoint string
	err      string
	srv      *http.Server
}

func startInAppAPI(eng *engine.Engine, addr string) *inAppAPI {
	a := &inAppAPI{}
	if addr == "off" {
		return a
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		a.err = fmt.Sprintf("%s is in use (is `shardlab serve` running?)", addr)
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			a.err = err.Error()
		}
		return a
	}
	a.srv = &http.Server{Handler: kinesisapi.New(eng, kinesisapi.Options{}), ReadHeaderTimeout: 10 * time.Second,
		Protocols: new(http.Protocols)}
	a.srv.Protocols.SetHTTP1(true)
	a.srv.Protocols.SetUnencryptedHTTP2(true)
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

func (a *inAppAPI) status() views.APIStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	return views.APIStatus{Endpoint: a.endpoint, Err: a.err}
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
	hint := "Another Shardlab (the app or `shardlab serve`) may have this data directory open: close it, or start " +
		"this one with --data on another directory."
	msg := widget.NewLabel("Shardlab could not open its data:\n\n" + err.Error() + "\n\n" + hint)
	msg.Wrapping = fyne.TextWrapWord
	win.SetContent(container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), widget.NewButton("Quit", a.Quit)), nil, nil, msg))
	win.Resize(fyne.NewSize(560, 240))
	win.ShowAndRun()
}
