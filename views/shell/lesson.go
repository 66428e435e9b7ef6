package shell

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/shardlab/shardlab/engine/lessons"
	"github.com/shardlab/shardlab/views/dashboard"
	lessonsview "github.com/shardlab/shardlab/views/lessons"
	"github.com/shardlab/shardlab/views/ui"
)

// pages maps a lesson step's page names to navigation ids.
var pages = map[string]string{"Streams": navStreams, "Delivery": navDelivery, "Analytics": navAnalytics,
	"Video": navVideo, "Metrics": navMetrics, "Files": navFiles, "Access": navAccess, "Settings": navSettings}

func (s *Shell) lessonWorkspace() *lessons.Workspace {
	return &lessons.Workspace{Engine: s.env.Engine, Generators: s.env.Generators, Deliveries: s.env.Deliveries,
		Analytics: s.env.Analytics, Video: s.env.Video, Access: s.env.Access, Metrics: s.env.Metrics}
}

// openLesson sets a lesson up off the UI goroutine (it makes streams), then shows its panel beside the screens.
// A lesson already open ends first.
func (s *Shell) openLesson(l *lessons.Lesson) {
	if s.lesson != nil {
		s.lesson.Stop()
		old := s.session
		s.lesson, s.session = nil, nil
		s.frame(s.presenting())
		go old.Close()
	}
	ws := s.lessonWorkspace()
	ui.Background(func() (*lessons.Session, error) { return lessons.Open(context.Background(), ws, l) },
		func(sess *lessons.Session, err error) {
			if err != nil {
				ui.ShowError("Start lesson "+l.Title, err, s.win)
				return
			}
			s.session = sess
			s.lesson = lessonsview.NewPanel(sess, s.win, s.showStep, s.endLesson)
			s.frame(s.presenting())
			s.lesson.Start()
		})
}

// endLesson drops the panel once the lesson's resources are gone, and goes back to the Lessons screen.
func (s *Shell) endLesson() {
	s.lesson, s.session = nil, nil
	s.frame(s.presenting())
	s.Select(navLessons)
}

// showStep opens the screen a lesson's step is about: a stream's dashboard tab, or a page; fresh rebuilds it.
func (s *Shell) showStep(step lessons.Step, fresh bool) {
	if fresh {
		s.shownID = ""
	}
	stream, tab, page := step.ScreenTarget()
	if stream == "" {
		if id, ok := pages[page]; ok {
			s.Select(id)
		}
		return
	}
	s.nav.OpenBranch(navStreams)
	s.Select(navStream + stream)
	if d, ok := s.current.(*dashboard.Dashboard); ok {
		d.ShowTab(tab)
	}
}

func (s *Shell) presenting() bool { return ui.CurrentAppearance(s.app).Presentation }

// withLesson is the centre of the frame: the screen, with the open lesson's panel beside it.
func (s *Shell) withLesson() fyne.CanvasObject {
	if s.lesson == nil {
		return s.scroll
	}
	split := container.NewHSplit(s.scroll, s.lesson.Content())
	split.Offset = 0.66
	return split
}

// stepKey moves the open lesson by delta steps (← and →); without a lesson the keys do nothing here.
func (s *Shell) stepKey(delta int) func() {
	return func() {
		if s.lesson != nil {
			s.lesson.Go(delta)
		}
	}
}
