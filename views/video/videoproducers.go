package video

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/internal/countio"
	"github.com/shardlab/shardlab/views/ui"
)

// Camera sources as the screen names them.
var cameraSources = []struct {
	label  string
	source loadgen.CameraSource
}{{"Test pattern", loadgen.SourceTestPattern}, {"Webcam", loadgen.SourceWebcam}, {"Screen", loadgen.SourceScreen}}

// videoProducers puts media into the selected stream: a file imported (with progress, cancellable) or a camera
// that ffmpeg captures.
type videoProducers struct {
	s *Screen

	importBtn *widget.Button
	cancel    *widget.Button
	progress  *widget.ProgressBar
	importMsg *widget.Label
	source    *widget.Select
	camera    *widget.Button
	cameraMsg *widget.Label
	content   fyne.CanvasObject

	stream    string
	importing *importJob
	capturing bool
	starting  bool
	noFFmpeg  bool
}

// importJob is a file being ingested.
type importJob struct {
	stream    string
	name      string
	size      int64
	read      *countio.Reader
	fragments atomic.Int64
	cancel    context.CancelFunc
}

func newVideoProducers(s *Screen) *videoProducers {
	p := &videoProducers{s: s, progress: widget.NewProgressBar(), importMsg: widget.NewLabel(""), cameraMsg: widget.NewLabel("")}
	p.importBtn = widget.NewButton("Import file…", p.askImport)
	p.cancel = widget.NewButton("Cancel", func() {
		if p.importing != nil {
			p.importing.cancel()
		}
	})
	var labels []string
	for _, c := range cameraSources {
		labels = append(labels, c.label)
	}
	p.source = widget.NewSelect(labels, nil)
	p.source.SetSelected(labels[0])
	p.camera = widget.NewButton("Start camera", p.toggleCamera)
	ui.Background(func() (string, error) { return loadgen.FFmpeg() }, func(_ string, err error) { // a PATH search: off the UI
		if err != nil {
			p.noFFmpeg = true
			p.camera.Disable()
			p.source.Disable()
			p.cameraMsg.SetText("Camera: " + err.Error())
		}
	})
	p.cameraMsg.Truncation = fyne.TextTruncateEllipsis
	p.importMsg.Truncation = fyne.TextTruncateEllipsis
	importRow := container.NewBorder(nil, nil, p.importBtn, p.cancel, container.NewStack(p.progress, p.importMsg))
	cameraRow := container.NewBorder(nil, nil, container.NewHBox(p.source, p.camera), nil, p.cameraMsg)
	p.content = container.NewVBox(importRow, cameraRow)
	p.showImport()
	return p
}

func (p *videoProducers) setStream(name string) {
	p.stream = name
	p.capturing = false
	ui.SetButton(p.camera, "Start camera", nil)
	if !p.noFFmpeg {
		ui.SetText(p.cameraMsg, "")
	}
	p.showImport()
}

// update shows the selected stream's camera from the poll.
func (p *videoProducers) update(st loadgen.CameraStats, has bool) {
	p.capturing = has && st.Running
	if p.capturing {
		ui.SetButton(p.camera, "Stop camera", nil)
		ui.SetText(p.cameraMsg, fmt.Sprintf("capturing: %s, %s", ui.Plural(int(st.Fragments), "fragment"), sizeText(st.Bytes)))
	} else {
		ui.SetButton(p.camera, "Start camera", nil)
		switch {
		case has && st.Err != nil:
			ui.SetText(p.cameraMsg, "stopped: "+st.Err.Error())
		case !p.noFFmpeg && !p.starting:
			ui.SetText(p.cameraMsg, "")
		}
	}
	p.showImport()
}

func (p *videoProducers) toggleCamera() {
	cams := p.s.env.Cameras
	if cams == nil || p.stream == "" {
		return
	}
	stream := p.stream
	if p.capturing {
		ui.SetText(p.cameraMsg, "stopping…")
		ui.Background(func() (struct{}, error) { cams.Stop(stream); return struct{}{}, nil }, func(struct{}, error) {})
		return
	}
	var source loadgen.CameraSource
	for _, c := range cameraSources {
		if c.label == p.source.Selected {
			source = c.source
		}
	}
	ui.SetText(p.cameraMsg, "starting ffmpeg…")
	p.starting = true
	ui.Background(func() (struct{}, error) {
		return struct{}{}, cams.Start(stream, loadgen.CameraOptions{Source: source})
	}, func(_ struct{}, err error) {
		p.starting = false
		if err != nil {
			ui.SetText(p.cameraMsg, "")
			ui.ShowError("Start camera", err, p.s.win)
		}
	})
}

// askImport asks for a media file, starting in the samples folder.
func (p *videoProducers) askImport() {
	if p.stream == "" {
		return
	}
	stream := p.stream
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		ui.Background(func() (int64, error) { // the size, for the progress bar; unknown for other kinds of URI
			if r.URI().Scheme() != "file" {
				return -1, nil
			}
			return statPath(r.URI().Path())
		}, func(size int64, err error) {
			if err != nil {
				size = -1
			}
			p.importFrom(stream, r.URI().Name(), r, size)
		})
	}, p.s.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".ts", ".m2ts", ".mts", ".mkv", ".webm"}))
	if lister, err := storage.ListerForURI(storage.NewFileURI(p.s.env.SampleDir)); err == nil {
		d.SetLocation(lister)
	}
	d.Show()
}

// importFrom ingests r (closed at the end) into a stream off the UI goroutine, showing the progress.
func (p *videoProducers) importFrom(stream, name string, r io.ReadCloser, size int64) {
	if p.importing != nil {
		r.Close()
		ui.ShowError("Import "+name, fmt.Errorf("%s is still being imported", p.importing.name), p.s.win)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	job := &importJob{stream: stream, name: name, size: size, cancel: cancel, read: countio.NewReader(r)}
	p.importing = job
	p.showImport()
	stopProgress := ui.Poll(200*time.Millisecond, func() struct{} { return struct{}{} }, func(struct{}) { p.showImport() })
	ui.Background(func() (struct{}, error) {
		defer r.Close()
		err := p.s.env.Video.Ingest(ctx, stream, job.read, time.Now(), func(a video.Ack) {
			if a.EventType == video.AckPersisted {
				job.fragments.Add(1)
			}
		})
		if ctx.Err() != nil {
			err = nil // cancelled: the fragments cut so far stay, which the message says
		}
		return struct{}{}, err
	}, func(_ struct{}, err error) {
		stopProgress()
		p.importing = nil
		p.showImport()
		if err != nil {
			ui.ShowError("Import "+name, fmt.Errorf("%w (%s stored before the error)", err, ui.Plural(int(job.fragments.Load()), "fragment")), p.s.win)
			return
		}
		kept := ui.Plural(int(job.fragments.Load()), "fragment")
		if ctx.Err() != nil {
			ui.SetText(p.importMsg, fmt.Sprintf("import of %s cancelled: the %s stored before stay", name, kept))
			return
		}
		ui.SetText(p.importMsg, fmt.Sprintf("imported %s: %s", name, kept))
	})
}

// showImport shows the import in progress, if any, with its cancel button.
func (p *videoProducers) showImport() {
	job := p.importing
	if job == nil {
		p.progress.Hide()
		p.importMsg.Show()
		p.cancel.Hide()
		p.importBtn.Enable()
		if p.stream == "" {
			p.importBtn.Disable()
		}
		return
	}
	p.importBtn.Disable()
	p.cancel.Show()
	if job.size > 0 {
		p.progress.Show()
		p.progress.SetValue(min(1, float64(job.read.N())/float64(job.size)))
		p.importMsg.Hide()
		return
	}
	p.progress.Hide()
	p.importMsg.Show()
	ui.SetText(p.importMsg, fmt.Sprintf("importing %s: %s read", job.name, sizeText(job.read.N())))
}

// stop is called when the screen is left. An import goes on to its end, as a camera does; its fragments appear
// when the screen is opened again.
func (p *videoProducers) stop() {}

func statPath(path string) (int64, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}
