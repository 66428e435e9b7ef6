// Package files is the Files screen: replay a file of records into a stream, capture a stream to a file, and watch a
// folder whose new lines become records.
package files

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/replay"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// Screen puts files into streams and streams into files: replay, capture and folder watching.
type Screen struct {
	env  ui.Env
	win  fyne.Window
	jobs *replay.Jobs // env.Files: the jobs run in the engine-side runner, the screen only shows and steers them
	root fyne.CanvasObject

	// replay
	rFile, rSpeed, rKeyField, rKeyExpr *widget.Entry
	// The Stream fields offer the streams that exist and still take a new name (a replay creates it).
	rStream, cStream, wStream *widget.SelectEntry
	streams                   []string
	rStart, rPause, rCancel   *widget.Button
	rBar                      *widgets.Progress
	rStatus                   *widget.Label
	// capture
	cOut, cCount, cDuration *widget.Entry
	cFrom                   *widget.Select
	cFollow, cGzip          *widget.Check
	cStart, cCancel         *widget.Button
	cStatus                 *widget.Label
	// watch
	wDir, wGlob   *widget.Entry
	wStart, wStop *widget.Button
	wTable        *widget.Table
	wFiles        []replay.FileStatus
	wStatus       *widget.Label

	stopF func()
}

func New(env ui.Env, win fyne.Window) *Screen {
	s := &Screen{env: env, win: win, jobs: env.Files}
	entry := func(placeholder string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		return e
	}
	streamEntry := func() *widget.SelectEntry {
		e := widget.NewSelectEntry(nil)
		e.SetPlaceHolder("a stream, or a new name")
		return e
	}
	s.rStream, s.cStream, s.wStream = streamEntry(), streamEntry(), streamEntry()
	s.rFile = entry("file to replay")
	s.rSpeed, s.rKeyField, s.rKeyExpr = entry("0 = as fast as accepted; 0.1–1000"), entry("JSON member or CSV column"), entry(`expression, e.g. data.user`)
	s.rSpeed.SetText("0")
	s.rBar = widgets.NewProgress()
	s.rStatus = widget.NewLabel("")
	s.rStatus.Wrapping = fyne.TextWrapWord
	s.rStart = widget.NewButtonWithIcon("Replay", theme.MediaPlayIcon(), s.startReplay)
	s.rStart.Importance = widget.HighImportance
	s.rPause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), s.pauseReplay)
	s.rCancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { s.jobs.Cancel(replay.JobReplay) })

	s.cOut, s.cCount, s.cDuration = entry("capture file to write (.ndjson, .ndjson.gz)"), entry("all"), entry("e.g. 30s, 5m (none: until the end)")
	s.cFrom = widget.NewSelect([]string{"TRIM_HORIZON", "LATEST"}, nil)
	s.cFrom.SetSelected("TRIM_HORIZON")
	s.cFollow, s.cGzip = widget.NewCheck("Keep capturing new records", nil), widget.NewCheck("gzip", nil)
	s.cStatus = widget.NewLabel("")
	s.cStart = widget.NewButtonWithIcon("Capture", theme.DocumentSaveIcon(), s.startCapture)
	s.cStart.Importance = widget.HighImportance
	s.cCancel = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), func() { s.jobs.Cancel(replay.JobCapture) })

	s.wDir, s.wGlob = entry("directory to watch"), entry("*.log")
	s.wGlob.SetText("*.log")
	s.wStatus = widget.NewLabel("")
	s.wStart = widget.NewButtonWithIcon("Watch", theme.VisibilityIcon(), s.startWatch)
	s.wStart.Importance = widget.HighImportance
	s.wStop = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), func() { s.jobs.Cancel(replay.JobWatch) })
	s.wTable = ui.NewColumnTable(watchColumns, func() int { return len(s.wFiles) },
		func(row, col int) string { return watchCell(s.wFiles[row], col) })

	browse := func(target *widget.Entry, folder, save bool) *widget.Button {
		return widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() { s.pick(target, folder, save) })
	}
	withBrowse := func(e *widget.Entry, b *widget.Button) fyne.CanvasObject {
		return container.NewBorder(nil, nil, nil, b, e)
	}
	about := func(text string) *widget.Label {
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	replayTab := container.NewVBox(
		about("A capture, NDJSON, a CSV with a header or log lines (gzip or not) into a stream, at the file's own pace × "+
			"speed (0.1–1000; 0 puts as fast as the stream accepts). Throttled records are retried until all are in; "+
			"malformed lines are listed with their numbers."),
		widget.NewForm(
			widget.NewFormItem("File", withBrowse(s.rFile, browse(s.rFile, false, false))),
			widget.NewFormItem("Stream", s.rStream),
			widget.NewFormItem("Speed", s.rSpeed),
			widget.NewFormItem("Key from field", s.rKeyField),
			widget.NewFormItem("Key expression", s.rKeyExpr),
		), container.NewHBox(s.rStart, s.rPause, s.rCancel), s.rBar, s.rStatus)
	captureTab := container.NewVBox(
		about("A stream's records into a file, one NDJSON line each (shard, sequence number, key, arrival time, data), "+
			"in arrival order: the format Replay reads back."),
		widget.NewForm(
			widget.NewFormItem("Stream", s.cStream),
			widget.NewFormItem("File", withBrowse(s.cOut, browse(s.cOut, false, true))),
			widget.NewFormItem("From", s.cFrom),
			widget.NewFormItem("Records", s.cCount),
			widget.NewFormItem("For", s.cDuration),
		), container.NewHBox(s.cFollow, s.cGzip), container.NewHBox(s.cStart, s.cCancel), s.cStatus)
	watchTab := container.NewBorder(container.NewVBox(
		about("Tails the matching files of a directory into a stream, like the Kinesis Agent: appended lines, new files, "+
			"rotation and truncation. Offsets are stored with the lines they cover: exactly once across restarts."),
		widget.NewForm(
			widget.NewFormItem("Directory", withBrowse(s.wDir, browse(s.wDir, true, false))),
			widget.NewFormItem("Files", s.wGlob),
			widget.NewFormItem("Stream", s.wStream),
		), container.NewHBox(s.wStart, s.wStop), s.wStatus), nil, nil, nil, s.wTable)
	s.root = container.NewBorder(ui.Heading("Files"), nil, nil, nil, container.NewAppTabs(
		container.NewTabItem("Replay", container.NewVScroll(replayTab)),
		container.NewTabItem("Capture", container.NewVScroll(captureTab)),
		container.NewTabItem("Watch a folder", watchTab),
	))
	return s
}

var watchColumns = []ui.Column{{Title: "File", Width: 150}, {Title: "Offset", Width: 90}, {Title: "Size", Width: 90}, {Title: "Lines", Width: 80}, {Title: "Lines/s", Width: 70}, {Title: "Malformed", Width: 90}, {Title: "Last problem", Width: 260}}

func watchCell(f replay.FileStatus, col int) string {
	switch col {
	case 0:
		return filepath.Base(f.Path)
	case 1:
		return ui.Thousands(f.Offset)
	case 2:
		return ui.Thousands(f.Size)
	case 3:
		return ui.Thousands(f.Lines)
	case 4:
		return strconv.FormatFloat(f.PerSecond, 'f', 0, 64)
	case 5:
		return ui.Thousands(f.Malformed)
	case 6:
		if f.LastError != "" {
			return f.LastError
		}
		return f.LastMalformed
	}
	return ""
}

func (s *Screen) Content() fyne.CanvasObject { return s.root }

func (s *Screen) Start() { s.stopF = ui.Poll(ui.RefreshInterval, s.fetch, s.apply) }

func (s *Screen) Stop() {
	if s.stopF != nil {
		s.stopF()
	}
}

func (s *Screen) pick(target *widget.Entry, folder, save bool) {
	switch {
	case folder:
		dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				target.SetText(u.Path())
			}
		}, s.win)
	case save:
		dialog.ShowFileSave(func(w fyne.URIWriteCloser, err error) {
			if err == nil && w != nil {
				target.SetText(w.URI().Path())
				w.Close()
			}
		}, s.win)
	default:
		dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
			if err == nil && r != nil {
				target.SetText(r.URI().Path())
				r.Close()
			}
		}, s.win)
	}
}

func (s *Screen) startReplay() {
	speed, err := strconv.ParseFloat(strings.TrimSpace(s.rSpeed.Text), 64)
	if err != nil {
		ui.ShowError("Replay", fmt.Errorf("speed %q: a number, 0 for as fast as accepted", s.rSpeed.Text), s.win)
		return
	}
	opts := replay.Options{Stream: strings.TrimSpace(s.rStream.Text), Speed: speed}
	if src := strings.TrimSpace(s.rKeyExpr.Text); src != "" {
		if opts.Key, err = replay.KeyExpr(src); err != nil {
			ui.ShowError("Replay", fmt.Errorf("key expression: %w", err), s.win)
			return
		}
	}
	// Opening the file and detecting its format happen in the job's goroutine, off the UI.
	ro := replay.ReaderOptions{KeyField: strings.TrimSpace(s.rKeyField.Text)}
	if err := s.jobs.StartReplay(strings.TrimSpace(s.rFile.Text), ro, opts); err != nil {
		ui.ShowError("Replay", err, s.win)
	}
}

func (s *Screen) pauseReplay() { s.jobs.PauseReplay() }

func (s *Screen) startCapture() {
	opts := replay.CaptureOptions{Stream: strings.TrimSpace(s.cStream.Text), From: s.cFrom.Selected, Follow: s.cFollow.Checked,
		Gzip: s.cGzip.Checked}
	if c := strings.TrimSpace(s.cCount.Text); c != "" && c != "all" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 1 {
			ui.ShowError("Capture", fmt.Errorf("records %q: a whole number of records, or empty for all", c), s.win)
			return
		}
		opts.Count = n
	}
	if d := strings.TrimSpace(s.cDuration.Text); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			ui.ShowError("Capture", fmt.Errorf("for %q: a duration such as 30s or 5m", d), s.win)
			return
		}
		opts.Duration = dur
	}
	if err := s.jobs.StartCapture(strings.TrimSpace(s.cOut.Text), opts); err != nil {
		ui.ShowError("Capture", err, s.win)
	}
}

func (s *Screen) startWatch() {
	err := s.jobs.StartWatch(replay.WatchOptions{Dir: strings.TrimSpace(s.wDir.Text),
		Glob: strings.TrimSpace(s.wGlob.Text), Stream: strings.TrimSpace(s.wStream.Text)})
	if err != nil {
		ui.ShowError("Watch", err, s.win)
	}
}

// filesState is one refresh of the three jobs, read off the UI goroutine.
type filesState struct {
	replay, capture, watch string
	replayFrac             float64
	replayOn, replayPaused bool
	captureOn, watchOn     bool
	files                  []replay.FileStatus
	streams                []string
}

func (s *Screen) fetch() filesState {
	st := filesState{streams: ui.StreamNames(s.env.Engine)}
	if j, ok := s.jobs.Replay(); ok {
		done := j.State != replay.JobRunning
		el := time.Since(j.Started).Seconds()
		st.replay = fmt.Sprintf("%s records put · %s/s · %s retried · %s malformed", ui.Thousands(j.Put), ui.Thousands(int64(float64(j.Put)/max(el, 0.001))),
			ui.Thousands(j.Retried), ui.Thousands(j.Malformed))
		if j.Size > 0 {
			st.replayFrac = min(1, float64(j.Read)/float64(j.Size))
			if st.replayFrac > 0 && !done {
				st.replay += " · ETA " + (time.Duration(el/st.replayFrac*float64(time.Second)) - time.Duration(el*float64(time.Second))).Round(time.Second).String()
			}
		}
		switch {
		case j.State == replay.JobFailed:
			_, msg := ui.Explain(j.Err)
			st.replay += " · stopped: " + msg
		case j.State == replay.JobStopped:
			st.replay += " · cancelled"
		case j.State == replay.JobDone:
			st.replay += " · done"
			st.replayFrac = 1
		case j.Paused:
			st.replay += " · paused"
		}
		for i, m := range j.Bad {
			if i == 5 {
				st.replay += fmt.Sprintf("\n… and %d more malformed lines", len(j.Bad)-5)
				break
			}
			st.replay += fmt.Sprintf("\nline %d: %s", m.Line, m.Err)
		}
		st.replayOn, st.replayPaused = !done, j.Paused
	}
	if j, ok := s.jobs.Capture(); ok {
		st.capture = fmt.Sprintf("%s records (%s KiB of data) to %s", ui.Thousands(j.Records), ui.Thousands(j.Bytes/1024), filepath.Base(j.Path))
		switch j.State {
		case replay.JobFailed:
			_, msg := ui.Explain(j.Err)
			st.capture += " · stopped: " + msg
		case replay.JobRunning:
			st.capture += " · capturing"
		default:
			st.capture += " · done" // a capture stopped by hand is complete too: every line written is whole
		}
		st.captureOn = j.State == replay.JobRunning
	}
	if j, ok := s.jobs.Watch(); ok {
		st.files = j.Files
		st.watch = fmt.Sprintf("%d files", len(st.files))
		if j.State != replay.JobRunning {
			st.watch += " · stopped"
			if j.Err != nil {
				_, msg := ui.Explain(j.Err)
				st.watch += ": " + msg
			}
		}
		st.watchOn = j.State == replay.JobRunning
	}
	return st
}

func (s *Screen) apply(st filesState) {
	if !slices.Equal(st.streams, s.streams) {
		s.streams = st.streams
		for _, e := range []*widget.SelectEntry{s.rStream, s.cStream, s.wStream} {
			e.SetOptions(st.streams)
		}
	}
	ui.SetText(s.rStatus, st.replay)
	s.rBar.SetValue(st.replayFrac)
	enable(s.rStart, !st.replayOn)
	enable(s.rPause, st.replayOn)
	enable(s.rCancel, st.replayOn)
	if st.replayPaused {
		ui.SetButton(s.rPause, "Resume", theme.MediaPlayIcon())
	} else {
		ui.SetButton(s.rPause, "Pause", theme.MediaPauseIcon())
	}
	ui.SetText(s.cStatus, st.capture)
	enable(s.cStart, !st.captureOn)
	enable(s.cCancel, st.captureOn)
	ui.SetText(s.wStatus, st.watch)
	enable(s.wStop, st.watchOn)
	if !slices.Equal(s.wFiles, st.files) {
		s.wFiles = st.files
		s.wTable.Refresh()
	}
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}
