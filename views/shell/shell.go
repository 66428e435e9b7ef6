// Package shell is Shardlab's desktop window: the navigation tree, menus and shortcuts, status bar and the theme
// applied at start, around one screen at a time from the screen packages (streams, dashboard, delivery, analytics,
// video, files, settings). It is the only package that imports the screens, and wires them together with callbacks
// when one leads to another.
package shell

import (
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/lessons"
	"github.com/shardlab/shardlab/views/access"
	"github.com/shardlab/shardlab/views/analytics"
	"github.com/shardlab/shardlab/views/dashboard"
	"github.com/shardlab/shardlab/views/delivery"
	"github.com/shardlab/shardlab/views/files"
	lessonsview "github.com/shardlab/shardlab/views/lessons"
	"github.com/shardlab/shardlab/views/metrics"
	"github.com/shardlab/shardlab/views/settings"
	"github.com/shardlab/shardlab/views/streams"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/video"
)

// Preference keys.
const (
	prefWidth      = "window.width"
	prefHeight     = "window.height"
	prefLastScreen = "screen.last"
)

// Navigation ids: the streams list, one per stream ("stream:" + name), settings.
const (
	navStreams   = "streams"
	navSettings  = "settings"
	navFiles     = "files"
	navDelivery  = "delivery"
	navAnalytics = "analytics"
	navVideo     = "video"
	navLessons   = "lessons"
	navAccess    = "access"
	navMetrics   = "metrics"
	navStream    = "stream:"
)

// Shell is the window's frame: navigation on the left, the selected screen in the centre, the status bar below.
type Shell struct {
	env ui.Env
	app fyne.App
	win fyne.Window

	nav     *widget.Tree
	centre  *fyne.Container
	root    *fyne.Container // the whole window: the frame, or in presentation mode the screen alone
	scroll  *container.Scroll
	offset  float64 // the navigation's share of the width, kept across presentation mode
	status  *statusBar
	current ui.Screen
	shownID string
	streams []string
	stopNav func()
	pending string // a screen asked for before its stream exists (--show): opened when the stream appears
	// lesson is the open lesson's step panel, shown beside every screen until the lesson ends; session is its run.
	lesson  *lessonsview.Panel
	session *lessons.Session
}

// New builds the frame and opens the last screen used (the streams list the first time).
func New(a fyne.App, win fyne.Window, env ui.Env) *Shell {
	s := &Shell{env: env, app: a, win: win, centre: container.NewStack(), root: container.NewStack(), offset: 0.16}
	// A screen taller than the window scrolls inside the centre instead of raising the window's minimum height;
	// with room to spare, the scroll gives the screen all of it, so tables and charts still fill.
	s.scroll = container.NewVScroll(s.centre)
	s.streams = ui.StreamNames(env.Engine)
	s.nav = widget.NewTree(s.navChildren, s.navIsBranch, s.navCreate, s.navUpdate)
	s.nav.OpenBranch(navStreams)
	s.nav.OnSelected = func(id widget.TreeNodeID) { s.Show(id) }
	s.status = newStatusBar(env)
	return s
}

// Content is the whole window's content.
func (s *Shell) Content() fyne.CanvasObject {
	s.frame(false)
	return s.root
}

// frame lays the window out: navigation, screen and status bar; or, presenting, the screen alone.
func (s *Shell) frame(presenting bool) {
	if split, ok := s.split(); ok {
		s.offset = split.Offset
	}
	if presenting {
		s.root.Objects = []fyne.CanvasObject{s.withLesson()}
	} else {
		split := container.NewHSplit(s.nav, s.withLesson())
		split.Offset = s.offset
		s.root.Objects = []fyne.CanvasObject{container.NewBorder(nil, s.status.content(), nil, nil, split)}
	}
	s.root.Refresh()
}

func (s *Shell) split() (*container.Split, bool) {
	if len(s.root.Objects) == 0 {
		return nil, false
	}
	border, ok := s.root.Objects[0].(*fyne.Container)
	if !ok {
		return nil, false
	}
	for _, o := range border.Objects {
		if sp, ok := o.(*container.Split); ok {
			return sp, true
		}
	}
	return nil, false
}

// togglePresentation turns presentation mode on or off (View menu, Ctrl+Shift+P): larger type, a high-contrast
// palette and thicker lines, the navigation and status bar hidden (Ctrl+1 and the others still work).
func (s *Shell) togglePresentation() {
	ap := ui.CurrentAppearance(s.app)
	ap.Presentation = !ap.Presentation
	ui.ApplyTheme(s.app, ap)
	s.frame(ap.Presentation)
	if id := s.shownID; id != "" { // rebuilt, so the labels sized at creation take the new size
		s.shownID = ""
		s.Show(id)
	}
}

// Start begins the live parts (navigation and status bar) and opens the remembered screen.
func (s *Shell) Start() {
	s.status.start()
	s.stopNav = ui.Poll(time.Second, func() []string { return ui.StreamNames(s.env.Engine) }, s.setStreams)
	last := s.app.Preferences().StringWithFallback(prefLastScreen, navStreams)
	if strings.HasPrefix(last, navStream) && !slices.Contains(s.streams, strings.TrimPrefix(last, navStream)) {
		s.pending, last = last, navStreams
	}
	s.Select(last)
	s.installShortcuts()
}

// Stop ends every live update, as the window closes.
func (s *Shell) Stop() {
	s.status.stop()
	if s.stopNav != nil {
		s.stopNav()
	}
	if s.current != nil {
		s.current.Stop()
	}
	if s.lesson != nil { // the lesson's streams go with the window: the next start is clean
		s.lesson.Stop()
		s.session.Close()
	}
	ui.SaveSplits(s.app)
	size := s.win.Canvas().Size()
	s.app.Preferences().SetFloat(prefWidth, float64(size.Width))
	s.app.Preferences().SetFloat(prefHeight, float64(size.Height))
}

// ShowOnStart makes the next Start open a stream's dashboard (as soon as the stream exists).
func ShowOnStart(a fyne.App, stream string) {
	a.Preferences().SetString(prefLastScreen, navStream+stream)
}

// DefaultWindowSize fits a 1280×720 projector with room for the window's frame and a desktop's panel.
var DefaultWindowSize = fyne.NewSize(1240, 660)

// WindowSize is the remembered window size, or DefaultWindowSize.
func WindowSize(a fyne.App) fyne.Size {
	p := a.Preferences()
	return fyne.NewSize(float32(p.FloatWithFallback(prefWidth, float64(DefaultWindowSize.Width))),
		float32(p.FloatWithFallback(prefHeight, float64(DefaultWindowSize.Height))))
}

// Select shows a screen and marks it in the navigation.
func (s *Shell) Select(id string) {
	s.nav.Select(id)
	s.Show(id)
}

// Show replaces the centre with the screen for a navigation id.
func (s *Shell) Show(id string) {
	if id == s.shownID && s.current != nil {
		return
	}
	var next ui.Screen
	switch {
	case id == navStreams:
		next = streams.New(s.env, s.win, func(stream string) { s.Select(navStream + stream) })
	case id == navSettings:
		next = settings.New(s.env, s.app, s.win)
	case id == navFiles:
		next = files.New(s.env, s.win)
	case id == navLessons:
		next = lessonsview.New(s.env, s.win, s.openLesson)
	case id == navAccess && s.env.Access != nil:
		next = access.New(s.env, s.win)
	case id == navMetrics && s.env.Metrics != nil:
		next = metrics.New(s.env, s.win)
	case id == navDelivery && s.env.Deliveries != nil:
		next = delivery.New(s.env, s.win)
	case id == navAnalytics && s.env.Analytics != nil:
		next = analytics.New(s.env, s.win)
	case id == navVideo && s.env.Video != nil:
		next = video.New(s.env, s.win)
	case strings.HasPrefix(id, navStream):
		next = dashboard.New(s.env, s.win, strings.TrimPrefix(id, navStream))
	default:
		return
	}
	if s.current != nil {
		s.current.Stop()
	}
	ui.SaveSplits(s.app) // where the user left the panes of the screen being left
	s.current, s.shownID = next, id
	s.centre.Objects = []fyne.CanvasObject{next.Content()}
	s.centre.Refresh()
	next.Start()
	s.app.Preferences().SetString(prefLastScreen, id)
}

func (s *Shell) setStreams(names []string) {
	if slices.Equal(names, s.streams) {
		return
	}
	s.streams = names
	s.nav.Refresh()
	if s.pending != "" && slices.Contains(names, strings.TrimPrefix(s.pending, navStream)) {
		s.Select(s.pending)
		s.pending = ""
		return
	}
	if strings.HasPrefix(s.shownID, navStream) && !slices.Contains(names, strings.TrimPrefix(s.shownID, navStream)) {
		s.Select(navStreams) // the stream shown was deleted
	}
}

func (s *Shell) navChildren(id widget.TreeNodeID) []widget.TreeNodeID {
	switch id {
	case "":
		ids := []string{navStreams}
		if s.env.Deliveries != nil {
			ids = append(ids, navDelivery)
		}
		if s.env.Analytics != nil {
			ids = append(ids, navAnalytics)
		}
		if s.env.Video != nil {
			ids = append(ids, navVideo)
		}
		if s.env.Metrics != nil {
			ids = append(ids, navMetrics)
		}
		ids = append(ids, navFiles, navLessons)
		if s.env.Access != nil {
			ids = append(ids, navAccess)
		}
		return append(ids, navSettings)
	case navStreams:
		out := make([]string, len(s.streams))
		for i, n := range s.streams {
			out[i] = navStream + n
		}
		return out
	}
	return nil
}

func (s *Shell) navIsBranch(id widget.TreeNodeID) bool { return id == "" || id == navStreams }

// navCreate makes a navigation row; a long stream name ends in "…" rather than scrolling the navigation sideways.
func (s *Shell) navCreate(bool) fyne.CanvasObject {
	l := widget.NewLabel("")
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// navTitles are the navigation's page rows (bold); every other row is a stream.
var navTitles = map[string]string{navStreams: "Streams", navSettings: "Settings", navFiles: "Files",
	navDelivery: "Delivery", navAnalytics: "Analytics", navVideo: "Video", navLessons: "Lessons",
	navAccess: "Access", navMetrics: "Metrics"}

func (s *Shell) navUpdate(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	if title, page := navTitles[id]; page {
		l.TextStyle.Bold = true
		l.SetText(title)
	} else {
		l.TextStyle.Bold = false
		l.SetText(strings.TrimPrefix(id, navStream))
	}
	l.Truncation = fyne.TextTruncateEllipsis
}
