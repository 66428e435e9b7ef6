// Package files is the Files screen: replay a file of records into a stream, capture a stream to a file, and watch a
// folder whose new lines become records.
package files

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/replay"
	"github.com/shardlab/shardlab/views/ui"
)

// Jobs are the replay, capture and watch running in the app. They outlive the Files screen, so leaving it
// does not stop them; the app stops them when it quits.
type Jobs struct {
	mu      sync.Mutex
	replay  *replayJob
	capture *captureJob
	watch   *watchJob
}

type replayJob struct {
	rp      *replay.Replayer
	size    int64
	started time.Time
	cancel  context.CancelFunc
	done    bool
	paused  bool
	err     error
	bad     []replay.Malformed
}

type captureJob struct {
	p       replay.CaptureProgress
	path    string
	started time.Time
	cancel  context.CancelFunc
	done    bool
	err     error
}

type watchJob struct {
	w      *replay.Watcher
	cancel context.CancelFunc
	done   bool
	err    error
}

// cancel stops one kind of job: "replay", "capture" or "watch".
func (j *Jobs) cancel(kind string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var c context.CancelFunc
	switch {
	case kind == "replay" && j.replay != nil:
		c = j.replay.cancel
	case kind == "capture" && j.capture != nil:
		c = j.capture.cancel
	case kind == "watch" && j.watch != nil:
		c = j.watch.cancel
	}
	if c != nil {
		c()
	}
}

// StopAll cancels every job, as the app quits.
func (j *Jobs) StopAll() {
	for _, kind := range []string{"replay", "capture", "watch"} {
		j.cancel(kind)
	}
}

// Screen puts files into streams and streams into files: replay, capture and folder watching.
type Screen struct {
	env  ui.Env
	win  fyne.Window
	jobs *Jobs
	root fyne.CanvasObject

	// replay
	rFile, rStream, rSpeed, rKeyField, rKeyExpr *widget.Entry
	rStart, rPause, rCancel                     *widget.Button
	rBar                                        *widget.ProgressBar
	rStatus                                     *widget.Label
	// capture
	cStream, cOut, cCount, cDuration *widget.Entry
	cFrom                            *widget.Select
	cFollow, cGzip                   *widget.Check
	cStart, cCancel                  *widget.Button
	cStatus                          *widget.Label
	// watch
	wDir, wGlob, wStream *widget.Entry
	wStart, wStop        *widget.Button
	wTable               *widget.Table
	wFiles               []replay.FileStatus
	wStatus              *widget.Label

	stopF func()
}

func New(env ui.Env, win fyne.Window, jobs *Jobs) *Screen {
	s := &Screen{env: env, win: win, jobs: jobs}
	entry := func(placeholder string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		return e
	}
	s.rFile, s.rStream = entry("file to replay"), entry("stream")
	s.rSpeed, s.rKeyField, s.rKeyExpr = entry("0 = as fast as accepted; 0.1–1000"), entry("JSON member or CSV column"), entry(`expression, e.g. data.user`)
	s.rSpeed.SetText("0")
	s.rBar = widget.NewProgressBar()
	s.rStatus = widget.NewLabel("")
	s.rStatus.Wrapping = fyne.TextWrapWord
	s.rStart = widget.NewButtonWithIcon("Replay", theme.MediaPlayIcon(), s.startReplay)
	s.rStart.Importance = widget.HighImportance
	s.rPause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), s.pauseReplay)
	s.rCancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { s.jobs.cancel("replay") })

	s.cStream, s.cOut, s.cCount, s.cDuration = entry("stream"), entry("capture file to write (.ndjson, .ndjson.gz)"), entry("all"), entry("e.g. 30s, 5m (none: until the end)")
	s.cFrom = widget.NewSelect([]string{"TRIM_HORIZON", "LATEST"}, nil)
	s.cFrom.SetSelected("TRIM_HORIZON")
	s.cFollow, s.cGzip = widget.NewCheck("Keep capturing new records", nil), widget.NewCheck("gzip", nil)
	s.cStatus = widget.NewLabel("")
	s.cStart = widget.NewButtonWithIcon("Capture", theme.DocumentSaveIcon(), s.startCapture)
	s.cStart.Importance = widget.HighImportance
	s.cCancel = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), func() { s.jobs.cancel("capture") })

	s.wDir, s.wGlob, s.wStream = entry("directory to watch"), entry("*.log"), entry("stream")
	s.wGlob.SetText("*.log")
	s.wStatus = widget.NewLabel("")
	s.wStart = widget.NewButtonWithIcon("Watch", theme.VisibilityIcon(), s.startWatch)
	s.wStart.Importance = widget.HighImportance
	s.wStop = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), func() { s.jobs.cancel("watch") })
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
	path, keyField := strings.TrimSpace(s.rFile.Text), strings.TrimSpace(s.rKeyField.Text)
	rp, err := replay.NewReplayer(s.env.Engine, opts)
	if err != nil {
		ui.ShowError("Replay", err, s.win)
		return
	}
	// Opening and format detection read the file: off the UI goroutine, like the run.
	ctx, cancel := context.WithCancel(context.Background())
	job := &replayJob{rp: rp, started: time.Now(), cancel: cancel}
	s.jobs.mu.Lock()
	s.jobs.replay = job
	s.jobs.mu.Unlock()
	go func() {
		err := func() error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if st, err := f.Stat(); err == nil {
				s.jobs.mu.Lock() // fetch reads it from the poll goroutine
				job.size = st.Size()
				s.jobs.mu.Unlock()
			}
			in, err := replay.NewReader(f, replay.ReaderOptions{KeyField: keyField})
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			err = rp.Run(ctx, in)
			s.jobs.mu.Lock()
			job.bad = in.Malformed()
			s.jobs.mu.Unlock()
			return err
		}()
		s.jobs.mu.Lock()
		job.done, job.err = true, err
		s.jobs.mu.Unlock()
	}()
}

func (s *Screen) pauseReplay() {
	s.jobs.mu.Lock()
	job := s.jobs.replay
	if job != nil && !job.done {
		job.paused = !job.paused
		if job.paused {
			job.rp.Pause()
		} else {
			job.rp.Resume()
		}
	}
	s.jobs.mu.Unlock()
}

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
	path := strings.TrimSpace(s.cOut.Text)
	if path == "" || opts.Stream == "" {
		ui.ShowError("Capture", errors.New("a stream and a file to write are needed"), s.win)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	job := &captureJob{path: path, started: time.Now(), cancel: cancel}
	s.jobs.mu.Lock()
	s.jobs.capture = job
	s.jobs.mu.Unlock()
	eng := s.env.Engine
	go func() {
		err := func() error {
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			err = replay.Capture(ctx, eng, f, opts, &job.p)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if errors.Is(err, context.Canceled) {
				err = nil // stopped by hand: the lines written are complete
			}
			return err
		}()
		s.jobs.mu.Lock()
		job.done, job.err = true, err
		s.jobs.mu.Unlock()
	}()
}

func (s *Screen) startWatch() {
	w, err := replay.NewWatcher(s.env.Engine, replay.WatchOptions{Dir: strings.TrimSpace(s.wDir.Text),
		Glob: strings.TrimSpace(s.wGlob.Text), Stream: strings.TrimSpace(s.wStream.Text)})
	if err != nil {
		ui.ShowError("Watch", err, s.win)
		return
	}
	s.jobs.cancel("watch")
	ctx, cancel := context.WithCancel(context.Background())
	job := &watchJob{w: w, cancel: cancel}
	s.jobs.mu.Lock()
	s.jobs.watch = job
	s.jobs.mu.Unlock()
	go func() {
		err := w.Run(ctx)
		s.jobs.mu.Lock()
		job.done, job.err = true, err
		s.jobs.mu.Unlock()
	}()
}

// filesState is one refresh of the three jobs, read off the UI goroutine.
type filesState struct {
	replay, capture, watch string
	replayFrac             float64
	replayOn, replayPaused bool
	captureOn, watchOn     bool
	files                  []replay.FileStatus
}

func (s *Screen) fetch() filesState {
	var st filesState
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	if j := s.jobs.replay; j != nil {
		put, read := j.rp.P.Put.Load(), j.rp.P.BytesRead.Load()
		el := time.Since(j.started).Seconds()
		st.replay = fmt.Sprintf("%s records put · %s/s · %s retried · %s malformed", ui.Thousands(put), ui.Thousands(int64(float64(put)/max(el, 0.001))),
			ui.Thousands(j.rp.P.Retried.Load()), ui.Thousands(j.rp.P.Malformed.Load()))
		if j.size > 0 {
			st.replayFrac = min(1, float64(read)/float64(j.size))
			if st.replayFrac > 0 && !j.done {
				st.replay += " · ETA " + (time.Duration(el/st.replayFrac*float64(time.Second)) - time.Duration(el*float64(time.Second))).Round(time.Second).String()
			}
		}
		switch {
		case j.done && j.err != nil && !errors.Is(j.err, context.Canceled):
			_, msg := ui.Explain(j.err)
			st.replay += " · stopped: " + msg
		case j.done && errors.Is(j.err, context.Canceled):
			st.replay += " · cancelled"
		case j.done:
			st.replay += " · done"
			st.replayFrac = 1
		case j.paused:
			st.replay += " · paused"
		}
		for i, m := range j.bad {
			if i == 5 {
				st.replay += fmt.Sprintf("\n… and %d more malformed lines", len(j.bad)-5)
				break
			}
			st.replay += fmt.Sprintf("\nline %d: %s", m.Line, m.Err)
		}
		st.replayOn, st.replayPaused = !j.done, j.paused
	}
	if j := s.jobs.capture; j != nil {
		st.capture = fmt.Sprintf("%s records (%s KiB of data) to %s", ui.Thousands(j.p.Records.Load()), ui.Thousands(j.p.Bytes.Load()/1024), filepath.Base(j.path))
		switch {
		case j.done && j.err != nil:
			_, msg := ui.Explain(j.err)
			st.capture += " · stopped: " + msg
		case j.done:
			st.capture += " · done"
		default:
			st.capture += " · capturing"
		}
		st.captureOn = !j.done
	}
	if j := s.jobs.watch; j != nil {
		st.files = j.w.Files()
		st.watch = fmt.Sprintf("%d files", len(st.files))
		if j.done {
			st.watch += " · stopped"
			if j.err != nil {
				_, msg := ui.Explain(j.err)
				st.watch += ": " + msg
			}
		}
		st.watchOn = !j.done
	}
	return st
}

func (s *Screen) apply(st filesState) {
	ui.SetText(s.rStatus, st.replay)
	if s.rBar.Value != st.replayFrac {
		s.rBar.SetValue(st.replayFrac)
	}
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
