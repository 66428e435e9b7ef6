package lessons

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/lessons"
	"github.com/shardlab/shardlab/views/ui"
)

// Panel is an open lesson's steps, shown beside the screen the open step is about: what to do, what to notice,
// each check as it stands (✓ when met), and Show me, Previous / Next (the arrow keys), Reset and End lesson. It polls the session off the UI
// goroutine twice a second; a met step ticks and the next opens, and navigate shows the next step's screen.
type Panel struct {
	session  *lessons.Session
	win      fyne.Window
	navigate func(step lessons.Step, fresh bool)
	end      func()

	shownStep int
	state     lessons.State
	busy      bool
	stop      func()

	title, progress, stepTitle, do, notice, status *widget.Label
	checks                                         *fyne.Container
	prev, showMe, next, reset, endButton           *widget.Button
	root                                           fyne.CanvasObject
}

// reopen marks the shown step as needing its screen rebuilt.
const reopen = -2

// pollEvery is how often the panel looks at the open step's checks.
const pollEvery = 500 * time.Millisecond

// NewPanel shows session; navigate opens a step's screen (fresh: built anew, as after Reset the streams are new),
// end closes the lesson (after its resources are removed).
func NewPanel(session *lessons.Session, win fyne.Window, navigate func(step lessons.Step, fresh bool), end func()) *Panel {
	p := &Panel{session: session, win: win, navigate: navigate, end: end, shownStep: -1}
	wrap := func(style fyne.TextStyle) *widget.Label {
		l := widget.NewLabelWithStyle("", fyne.TextAlignLeading, style)
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	p.title, p.progress, p.stepTitle = wrap(fyne.TextStyle{Bold: true}), wrap(fyne.TextStyle{}), wrap(fyne.TextStyle{Bold: true})
	p.do, p.notice, p.status = wrap(fyne.TextStyle{}), wrap(fyne.TextStyle{Italic: true}), wrap(fyne.TextStyle{})
	p.checks = container.NewVBox()
	p.prev = widget.NewButtonWithIcon("Previous", theme.NavigateBackIcon(), func() { p.Go(-1) })
	p.next = widget.NewButtonWithIcon("Next", theme.NavigateNextIcon(), func() { p.Go(+1) })
	p.showMe = widget.NewButton("Show me", p.runShowMe)
	p.showMe.Importance = widget.HighImportance
	p.reset = widget.NewButton("Reset", p.runReset)
	p.endButton = widget.NewButton("End lesson", p.runEnd)
	p.title.SetText(session.Lesson().Title)
	body := container.NewVBox(p.title, p.progress, widget.NewSeparator(), p.stepTitle,
		ui.Heading("Do"), p.do, ui.Heading("Notice"), p.notice, ui.Heading("Check"), p.checks, p.status)
	buttons := ui.NewFlow(p.prev, p.showMe, p.next, p.reset, p.endButton)
	p.root = container.NewBorder(nil, buttons, nil, nil, container.NewVScroll(body))
	return p
}

func (p *Panel) Content() fyne.CanvasObject { return p.root }

// Start begins polling the session; the first result opens step 1's screen.
func (p *Panel) Start() {
	p.stop = ui.Poll(pollEvery, func() lessons.State { return p.session.Poll(context.Background()) }, p.apply)
}

// Stop ends the polling.
func (p *Panel) Stop() {
	if p.stop != nil {
		p.stop()
	}
}

func (p *Panel) apply(st lessons.State) {
	l := p.session.Lesson()
	if len(st.Met) != len(l.Steps) { // before the first poll
		st.Met = make([]bool, len(l.Steps))
	}
	p.state = st
	open := p.session.Step() // the step the session has open now (a met step has already moved it on)
	if open != p.shownStep {
		fresh := p.shownStep == reopen
		p.shownStep = open
		p.navigate(l.Steps[open], fresh)
	}
	var marks []string
	for i := range l.Steps {
		switch {
		case st.Met[i]:
			marks = append(marks, fmt.Sprintf("✓ %d", i+1))
		case i == open:
			marks = append(marks, fmt.Sprintf("▸ %d", i+1))
		default:
			marks = append(marks, fmt.Sprint(i+1))
		}
	}
	done := 0
	for _, m := range st.Met {
		if m {
			done++
		}
	}
	progress := fmt.Sprintf("Step %d of %d · %s", open+1, len(l.Steps), strings.Join(marks, "  "))
	if done == len(l.Steps) {
		progress = fmt.Sprintf("Every step done ✓ · %s", strings.Join(marks, "  "))
	}
	ui.SetText(p.progress, progress)
	step := l.Steps[open]
	ui.SetText(p.stepTitle, fmt.Sprintf("%d. %s", open+1, step.Title))
	ui.SetText(p.do, step.Do)
	ui.SetText(p.notice, step.Notice)
	// The results are the step that was polled; right after a step opens they may still be the previous one's.
	results := st.Results
	if st.Step != open {
		results = nil
	}
	p.showChecks(step, results, st.Met[open])
	ui.SetEnabled(p.prev, open > 0 && !p.busy)
	ui.SetEnabled(p.next, open+1 < len(l.Steps) && !p.busy)
	ui.SetEnabled(p.showMe, !p.busy && !st.Met[open])
	ui.SetEnabled(p.reset, !p.busy)
	ui.SetEnabled(p.endButton, !p.busy)
}

func (p *Panel) showChecks(step lessons.Step, results []lessons.Result, met bool) {
	rows := make([]string, len(step.Check))
	for i := range step.Check {
		switch {
		case i < len(results) && results[i].Met:
			rows[i] = "✓ " + results[i].Want + " — " + results[i].Now
		case i < len(results):
			rows[i] = "○ " + results[i].Want + " — " + results[i].Now
		case met:
			rows[i] = "✓ (met)"
		default:
			rows[i] = "○ …"
		}
	}
	if len(p.checks.Objects) != len(rows) {
		p.checks.Objects = nil
		for range rows {
			l := widget.NewLabel("")
			l.Wrapping = fyne.TextWrapWord
			p.checks.Objects = append(p.checks.Objects, l)
		}
		p.checks.Refresh()
	}
	for i, r := range rows {
		ui.SetText(p.checks.Objects[i].(*widget.Label), r)
	}
}

// Go moves by delta steps (← is −1, → is +1): the presenter's keys.
func (p *Panel) Go(delta int) {
	if p.busy {
		return
	}
	to := p.session.Step() + delta
	if to < 0 || to >= len(p.session.Lesson().Steps) {
		return
	}
	p.session.Go(context.Background(), to) // takes the new step's baselines: a metrics read, in memory
	p.apply(p.state)
}

func (p *Panel) runShowMe() {
	p.act("Show me…", "Show me", func() error { return p.session.ShowMe(context.Background()) })
}

func (p *Panel) runReset() {
	p.act("Resetting the lesson…", "Reset lesson", func() error { return p.session.Reset(context.Background()) })
}

func (p *Panel) runEnd() {
	p.Stop()
	p.act("Removing the lesson's streams…", "End lesson", func() error { p.session.Close(); return nil })
}

// act runs work off the UI goroutine with the buttons disabled, then says how it went.
func (p *Panel) act(doing, what string, work func() error) {
	p.busy = true
	ui.SetText(p.status, doing)
	p.apply(p.state)
	ui.Background(func() (struct{}, error) { return struct{}{}, work() }, func(_ struct{}, err error) {
		p.busy = false
		ui.SetText(p.status, "")
		if err != nil {
			ui.ShowError(what, err, p.win)
		}
		if what == "End lesson" {
			p.end()
			return
		}
		if what == "Reset lesson" && err == nil {
			p.shownStep = reopen // its streams were made again: the screen is rebuilt on them
		}
		p.apply(p.state)
	})
}
