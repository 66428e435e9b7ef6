// Package lessons is the Lessons screen, the list of lessons to take, and the step panel an open lesson shows beside
// whatever screen its step is about. The lessons themselves run in engine/lessons; this package only shows them.
package lessons

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/lessons"
	"github.com/shardlab/shardlab/views/ui"
)

// Screen lists the lessons, built in and imported; Start opens the selected one through open.
type Screen struct {
	env  ui.Env
	win  fyne.Window
	open func(*lessons.Lesson)

	all      []*lessons.Lesson
	problems []string // imported files that do not parse
	selected int
	list     *widget.List
	title    *widget.Label
	about    *widget.Label
	steps    *widget.Label
	start    *widget.Button
	note     *widget.Label
	root     fyne.CanvasObject
}

// New builds the screen; open is called on the UI goroutine with the lesson to start.
func New(env ui.Env, win fyne.Window, open func(*lessons.Lesson)) *Screen {
	s := &Screen{env: env, win: win, open: open, selected: -1}
	s.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.title.Wrapping = fyne.TextWrapWord
	s.about = widget.NewLabel("")
	s.about.Wrapping = fyne.TextWrapWord
	s.steps = widget.NewLabel("")
	s.steps.Wrapping = fyne.TextWrapWord
	s.note = widget.NewLabel("")
	s.note.Wrapping = fyne.TextWrapWord
	s.start = widget.NewButton("Start lesson", func() {
		if s.selected >= 0 && s.selected < len(s.all) {
			s.open(s.all[s.selected])
		}
	})
	s.start.Importance = widget.HighImportance
	s.start.Disable()
	s.list = widget.NewList(func() int { return len(s.all) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("")
			t.Truncation = fyne.TextTruncateEllipsis
			return t
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			l := s.all[i]
			o.(*widget.Label).SetText(fmt.Sprintf("%s · %d min", l.Title, l.Minutes))
		})
	s.list.OnSelected = func(i widget.ListItemID) { s.show(i) }
	importButton := widget.NewButton("Import lesson…", s.importLesson)
	intro := widget.NewLabel("Each lesson sets up streams of its own (named lesson-…; yours are never touched), " +
		"shows its steps beside the screen they are about, and ticks each step off when the engine shows it done. " +
		"Show me does a step for you; the Left and Right arrow keys move between steps.")
	intro.Wrapping = fyne.TextWrapWord
	left := container.NewBorder(ui.Heading("Lessons"), container.NewHBox(importButton), nil, nil, s.list)
	right := container.NewBorder(container.NewVBox(intro, widget.NewSeparator(), s.title, s.about),
		container.NewVBox(s.note, container.NewHBox(s.start)), nil, nil, container.NewVScroll(s.steps))
	split := container.NewHSplit(left, right)
	split.Offset = 0.38
	s.root = split
	s.reload()
	return s
}

func (s *Screen) Content() fyne.CanvasObject { return s.root }
func (s *Screen) Start()                     {}
func (s *Screen) Stop()                      {}

// reload reads the built-in and imported lessons (small files: read on the UI goroutine at screen open).
func (s *Screen) reload() {
	all, err := lessons.BuiltIn()
	if err != nil {
		s.note.SetText("The built-in lessons could not be read: " + err.Error())
	}
	imported, errs := lessons.Imported(lessons.ImportDir(s.env.DataDir))
	s.all = append(all, imported...)
	s.problems = s.problems[:0]
	for _, e := range errs {
		s.problems = append(s.problems, e.Error())
	}
	if len(s.problems) > 0 {
		s.note.SetText("Skipped imported lessons with problems:\n" + strings.Join(s.problems, "\n"))
	}
	s.list.Refresh()
	if len(s.all) > 0 {
		s.list.Select(0)
	}
}

func (s *Screen) show(i int) {
	if i < 0 || i >= len(s.all) {
		return
	}
	s.selected = i
	l := s.all[i]
	s.title.SetText(l.Title)
	s.about.SetText(fmt.Sprintf("%s\n\n%d minutes · %s · %s", l.Teaches, l.Minutes, ui.Plural(len(l.Steps), "step"), l.Source))
	var b strings.Builder
	for j, st := range l.Steps {
		fmt.Fprintf(&b, "%d. %s\n", j+1, st.Title)
	}
	s.steps.SetText(strings.TrimRight(b.String(), "\n"))
	s.start.Enable()
}

func (s *Screen) importLesson() {
	dir := lessons.ImportDir(s.env.DataDir)
	ui.OpenFile(s.win, "Import lesson", s.env.DataDir, []string{".yaml", ".yml"},
		func(name string, b []byte) (*lessons.Lesson, error) { return lessons.Import(name, b, dir) },
		func(l *lessons.Lesson) {
			s.reload()
			for i, x := range s.all {
				if x.ID == l.ID {
					s.list.Select(i)
				}
			}
		})
}
