// Package ui is what Shardlab's screens share: the Env they work on, the Screen interface the shell drives, the
// poller and background runner that keep engine calls off the UI goroutine, number formatting, engine errors in
// plain words, file dialogs, column tables and the theme. Screens never touch bbolt or HTTP, only the engine's Go API.
package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/engine/cloudwatch"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/replay"
	"github.com/shardlab/shardlab/engine/video"
)

// Env is what the screens work on: the engine, the workspace's generators and facts about the running app.
type Env struct {
	Engine     *engine.Engine
	Generators *loadgen.Manager
	// Files runs the replay, capture and watch jobs of the Files screen; they outlive the screen.
	Files     *replay.Jobs
	DataDir   string // where the bbolt file and the workspace live (shown in Settings and About)
	Version   string
	SampleDir string // sample files the load generator offers
	// API reports the in-app Kinesis API server's state; nil when the app runs without one. SetAPIAuth turns its
	// signature checking on ("verify") or off ("off"), kept across restarts; nil when it cannot be changed.
	API        func() APIStatus
	SetAPIAuth func(mode string) error
	// Deliveries runs the delivery streams (Firehose); nil hides the Delivery screen.
	Deliveries *delivery.Manager
	// Analytics runs the analytics applications; nil hides the Analytics screen.
	Analytics *analytics.Manager
	// Video keeps the video streams; nil hides the Video screen. Cameras runs their camera producers, and
	// Playback gives an HLS session URL the embedded player can open: fragments first to last by number, or
	// from first on, following the stream, when last is 0.
	Video    *video.Store
	Cameras  *loadgen.Cameras
	Playback func(stream string, first, last uint64) (string, error)
	// Access holds the account's IAM users, roles and policies and decides the API's signed calls; nil hides
	// the Access screen.
	Access *iam.Decider
	// Metrics is CloudWatch's view of the engine (metrics, custom metrics, alarms); nil hides the Metrics screen.
	Metrics *cloudwatch.Service
}

// APIStatus is the in-app API server's state for the status bar.
type APIStatus struct {
	Endpoint string // e.g. http://127.0.0.1:4567, empty when not serving
	Err      string // why it is not serving
	// Auth is "off" (any signature or none accepted) or "verify" (SigV4 against the root credentials, given here).
	Auth                        string
	RootAccessKeyID, RootSecret string
}

// Screen is one page of the window's centre. Start begins its live updates; Stop ends them when it is left, so
// hidden screens cost nothing.
type Screen interface {
	Content() fyne.CanvasObject
	Start()
	Stop()
}

// ShowError puts an error in a dialog in plain words: the title says what was tried and what happened ("Create
// orders: already exists"), the text is the engine's own message, which names the field and the limit.
func ShowError(what string, err error, win fyne.Window) {
	title, text := Explain(err)
	d := dialog.NewInformation(what+": "+strings.ToLower(title[:1])+title[1:], text, win)
	d.Show()
}

// Explain names what happened, in a few words for a title, and gives the message to show under it.
func Explain(err error) (title, text string) {
	var e *engine.Error
	if !errors.As(err, &e) {
		msg := err.Error()
		return "Failed", strings.ToUpper(msg[:min(1, len(msg))]) + msg[min(1, len(msg)):]
	}
	msg := strings.TrimSuffix(e.Message, ".") + "."
	switch e.Code {
	case engine.ErrResourceInUse:
		switch {
		case strings.Contains(msg, "already exists"):
			return "Already exists", msg
		case strings.Contains(msg, "not ACTIVE"):
			return "Not ACTIVE yet, try again in a moment", msg
		}
		return "In use", msg
	case engine.ErrResourceNotFound:
		return "Not found", msg
	case engine.ErrLimitExceeded:
		return "Over a limit", msg
	case engine.ErrInvalidArgument, engine.ErrValidation:
		return "Not accepted", msg
	case engine.ErrThroughputExceeded:
		return "Throttled", msg
	default:
		return e.Code, msg
	}
}
