// Package streams is the Streams screen: the list of streams with their shards, mode, retention and traffic, and the
// dialogs that create a stream, change its retention or delete it. Opening a dashboard goes through a callback the
// shell passes in.
package streams

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/views/ui"
)

// streamLine is one row of the streams list.
type streamLine struct {
	engine.StreamSummary
	RecordsIn float64
}

// Screen lists the streams and holds the actions on them: create, delete, retention, limit enforcement.
type Screen struct {
	env       ui.Env
	win       fyne.Window
	open      func(navID string)
	lines     []streamLine
	selected  int
	table     *widget.Table
	actions   []*widget.Button
	limitsBtn *widget.Button
	root      fyne.CanvasObject
	stopF     func()
}

var streamColumns = []ui.Column{{Title: "Name", Width: 190}, {Title: "Mode", Width: 110}, {Title: "Shards (open / closed)", Width: 170}, {Title: "Status", Width: 100}, {Title: "Retention", Width: 100},
	{Title: "Limits", Width: 70}, {Title: "Encryption", Width: 100}, {Title: "Records/s in", Width: 110}}

func New(env ui.Env, win fyne.Window, open func(stream string)) *Screen {
	s := &Screen{env: env, win: win, open: open, selected: -1}
	s.table = ui.NewColumnTable(streamColumns, func() int { return len(s.lines) },
		func(row, col int) string { return s.cell(widget.TableCellID{Row: row, Col: col}) })
	s.table.OnSelected = func(id widget.TableCellID) {
		s.selected = id.Row
		s.updateActions()
	}
	newBtn := widget.NewButtonWithIcon("New stream…", theme.ContentAddIcon(), func() { ShowCreateStream(env, win, s.refreshNow) })
	newBtn.Importance = widget.HighImportance
	openBtn := widget.NewButtonWithIcon("Open dashboard", theme.NavigateNextIcon(), func() {
		if l, ok := s.current(); ok {
			s.open(l.StreamName)
		}
	})
	retBtn := widget.NewButton("Retention…", func() {
		if l, ok := s.current(); ok {
			showRetention(env, win, l.StreamSummary, s.refreshNow)
		}
	})
	limitsBtn := widget.NewButton("Turn limits off", func() {
		if l, ok := s.current(); ok {
			ref := engine.StreamRef{StreamName: l.StreamName}
			ui.Background(func() (struct{}, error) {
				return struct{}{}, env.Engine.SetLimitsEnforced(context.Background(), ref, !l.LimitsEnforced)
			}, func(_ struct{}, err error) {
				if err != nil {
					ui.ShowError("Change limits of "+l.StreamName, err, win)
				}
				s.refreshNow()
			})
		}
	})
	delBtn := widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), func() {
		if l, ok := s.current(); ok {
			confirmDelete(env, win, l.StreamName, s.refreshNow)
		}
	})
	delBtn.Importance = widget.DangerImportance
	s.limitsBtn = limitsBtn
	s.actions = []*widget.Button{openBtn, retBtn, limitsBtn, delBtn}
	s.updateActions()
	bar := container.NewHBox(newBtn, openBtn, retBtn, limitsBtn, delBtn)
	s.root = container.NewBorder(container.NewVBox(ui.Heading("Streams"), bar), nil, nil, nil, s.table)
	return s
}

func (s *Screen) Content() fyne.CanvasObject { return s.root }

func (s *Screen) Start() { s.stopF = ui.Poll(time.Second, s.fetch, s.apply) }

func (s *Screen) Stop() {
	if s.stopF != nil {
		s.stopF()
	}
}

// refreshNow reloads the list at once after an action, off the UI goroutine.
func (s *Screen) refreshNow() {
	go func() {
		lines := s.fetch()
		ui.OnUI(func() { s.apply(lines) })
	}()
}

func (s *Screen) fetch() []streamLine {
	var snap engine.MetricsSnapshot
	var lines []streamLine
	for _, st := range s.env.Engine.Streams() {
		l := streamLine{StreamSummary: st}
		if err := s.env.Engine.Metrics(context.Background(), engine.StreamRef{StreamName: st.StreamName}, 2, &snap); err == nil {
			for _, sh := range snap.Shards {
				l.RecordsIn += float64(sh.Series[engine.IncomingRecords][0])
			}
		}
		lines = append(lines, l)
	}
	return lines
}

func (s *Screen) apply(lines []streamLine) {
	name := ""
	if l, ok := s.current(); ok {
		name = l.StreamName
	}
	s.lines = lines
	s.selected = -1
	for i, l := range lines {
		if l.StreamName == name {
			s.selected = i
		}
	}
	// The highlight follows the stream, not the row: a stream created above it, or its deletion, must not leave
	// the buttons acting on a stream other than the one shown selected.
	if s.selected >= 0 {
		s.table.Select(widget.TableCellID{Row: s.selected, Col: 0})
	} else {
		s.table.UnselectAll()
	}
	s.table.Refresh()
	s.updateActions()
}

func (s *Screen) current() (streamLine, bool) {
	if s.selected < 0 || s.selected >= len(s.lines) {
		return streamLine{}, false
	}
	return s.lines[s.selected], true
}

func (s *Screen) updateActions() {
	l, ok := s.current()
	label := "Turn limits off"
	if ok && !l.LimitsEnforced {
		label = "Turn limits on"
	}
	if s.limitsBtn.Text != label {
		s.limitsBtn.SetText(label)
	}
	for _, b := range s.actions {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// Lines returns the streams listed (for tests).
func (s *Screen) Lines() []streamLine { return s.lines }

func (s *Screen) cell(id widget.TableCellID) string {
	if id.Row >= len(s.lines) {
		return ""
	}
	l := s.lines[id.Row]
	switch id.Col {
	case 0:
		return l.StreamName
	case 1:
		if l.StreamMode == engine.ModeOnDemand {
			return "On-demand"
		}
		return "Provisioned"
	case 2:
		return fmt.Sprintf("%d / %d", l.OpenShardCount, l.ClosedShardCount)
	case 3:
		return l.StreamStatus
	case 4:
		return ui.RetentionText(l.RetentionPeriodHours)
	case 5:
		if l.LimitsEnforced {
			return "on"
		}
		return "off"
	case 6:
		if l.EncryptionType == "KMS" {
			return "AES-256 (" + l.KeyId + ")"
		}
		return "none"
	case 7:
		return ui.Thousands(int64(l.RecordsIn + 0.5))
	}
	return ""
}

func confirmDelete(env ui.Env, win fyne.Window, name string, done func()) {
	producers := len(env.Generators.List(name))
	text := "The stream " + name + " and all its records will be deleted."
	if producers > 0 {
		text += fmt.Sprintf(" Its %d producer(s) will be removed too.", producers)
	}
	dialog.ShowConfirm("Delete "+name+"?", text,
		func(ok bool) {
			if !ok {
				return
			}
			ui.Background(func() (struct{}, error) {
				err := env.Engine.DeleteStream(context.Background(), engine.DeleteStreamInput{
					StreamRef: engine.StreamRef{StreamName: name}, EnforceConsumerDeletion: true})
				if err != nil {
					return struct{}{}, err
				}
				return struct{}{}, env.Generators.RemoveStream(name)
			}, func(_ struct{}, err error) {
				if err != nil {
					ui.ShowError("Delete "+name, err, win)
				}
				if done != nil {
					done()
				}
			})
		}, win)
}
