package video

import (
	"image"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2/canvas"

	"github.com/shardlab/shardlab/internal/mpvplayer"
	"github.com/shardlab/shardlab/views/ui"
)

// playerStatus is what the player reports a few times a second.
type playerStatus struct {
	Path      string  // what is loaded (the URL), "" when nothing is
	Pos       float64 // seconds since the start of what was loaded
	PosKnown  bool    // mpv has a position (not yet, just after a load)
	Paused    bool
	Width     int // the video's own size
	Height    int
	DispW     int // its size on screen (pixel aspect applied)
	DispH     int
	Bitrate   float64 // bits/s of the video, as mpv measures it
	Ended     bool    // played to the end of what was loaded (keep-open holds the last frame)
	Buffering bool    // waiting for media (a live stream's next fragment, say)
	Err       string  // why the player could not start
}

// videoPlayer shows libmpv's software-rendered frames in a Fyne image. Two goroutines own mpv, as libmpv's render
// API asks: the render goroutine only renders, every frame mpv offers (skipping one stalls mpv's video output),
// into a buffer neither shown nor waiting to be; the control goroutine runs the UI's commands and reads the
// status. Only the newest frame is handed to the UI, so a busy UI drops frames instead of stalling playback, and
// no mpv call ever runs on the UI goroutine. Close ends both goroutines and frees mpv.
type videoPlayer struct {
	image    *canvas.Image
	blank    *image.RGBA
	onStatus func(playerStatus) // on the UI goroutine

	cmds   chan func(*mpvplayer.Player)
	done   chan struct{}
	closed chan struct{} // closed once mpv is freed

	mu        sync.Mutex
	buffers   [3]*image.RGBA
	shown     *image.RGBA // on screen
	latest    *image.RGBA // rendered, waiting for the UI
	scheduled bool        // a hand-off to the UI is queued
	blanked   bool        // unloaded: frames are dropped until the next load
	size      [2]int      // render size asked for by the control goroutine
}

// maxRender bounds the render size: larger video is scaled down by mpv, which keeps the copy to the screen cheap.
const maxRenderW, maxRenderH = 960, 540

func newVideoPlayer(onStatus func(playerStatus)) *videoPlayer {
	blank := image.NewRGBA(image.Rect(0, 0, 16, 9))
	for i := 3; i < len(blank.Pix); i += 4 {
		blank.Pix[i] = 0xff
	}
	img := canvas.NewImageFromImage(blank)
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScaleFastest
	v := &videoPlayer{image: img, blank: blank, onStatus: onStatus, cmds: make(chan func(*mpvplayer.Player), 16),
		done: make(chan struct{}), closed: make(chan struct{}), size: [2]int{640, 360}}
	go v.run()
	return v
}

// send queues a command for mpv; a full queue (mpv stuck) drops it rather than block the caller.
func (v *videoPlayer) send(cmd func(*mpvplayer.Player)) {
	select {
	case v.cmds <- cmd:
	case <-v.done:
	default:
	}
}

// Load plays url from offset seconds into it, paused or not.
func (v *videoPlayer) Load(url string, offset float64, paused bool) {
	pause := "no"
	if paused {
		pause = "yes"
	}
	v.send(func(p *mpvplayer.Player) {
		_ = p.Set("start", strconv.FormatFloat(offset, 'f', 3, 64))
		_ = p.Command("loadfile", url)
		_ = p.Set("pause", pause) // after: a file held open at its end would pause again before the new one loads
		v.mu.Lock()
		v.blanked = false // frames from here on are the new file's
		v.mu.Unlock()
	})
}

// TogglePause pauses or resumes.
func (v *videoPlayer) TogglePause() {
	v.send(func(p *mpvplayer.Player) { _ = p.Command("cycle", "pause") })
}

// Seek jumps by seconds (negative: back) within what is loaded.
func (v *videoPlayer) Seek(seconds float64) {
	v.send(func(p *mpvplayer.Player) {
		_ = p.Command("seek", strconv.FormatFloat(seconds, 'f', 3, 64), "relative")
	})
}

// Unload stops playing and blanks the picture.
func (v *videoPlayer) Unload() {
	v.send(func(p *mpvplayer.Player) { _ = p.Command("stop") })
	v.mu.Lock()
	v.latest = nil
	v.blanked = true // until mpv has run the stop, it still offers the old file's frames
	v.mu.Unlock()
	v.image.Image = v.blank // Unload is called on the UI goroutine
	v.image.Refresh()
}

// Close ends playback and frees mpv (off the UI goroutine).
func (v *videoPlayer) Close() {
	select {
	case <-v.done:
	default:
		close(v.done)
	}
}

// run is the control goroutine: it starts mpv and the render goroutine, runs commands, reads the status.
func (v *videoPlayer) run() {
	defer close(v.closed)
	p, err := mpvplayer.New()
	if err != nil {
		ui.OnUI(func() { v.onStatus(playerStatus{Err: err.Error()}) })
		return
	}
	var rendering sync.WaitGroup
	rendering.Add(1)
	go func() {
		defer rendering.Done()
		v.render(p)
	}()
	defer func() {
		rendering.Wait() // the render context is freed with mpv: the render goroutine must be out of it
		p.Close()
	}()
	status := time.NewTicker(250 * time.Millisecond)
	defer status.Stop()
	for {
		select {
		case <-v.done:
			return
		case cmd := <-v.cmds:
			cmd(p)
		case <-status.C:
			st := readStatus(p)
			ui.OnUI(func() { v.onStatus(st) })
			w, h := renderSize(st.DispW, st.DispH)
			v.mu.Lock()
			v.size = [2]int{w, h}
			v.mu.Unlock()
		}
	}
}

// render draws every frame mpv offers into a free buffer and hands the newest to the UI.
func (v *videoPlayer) render(p *mpvplayer.Player) {
	for {
		select {
		case <-v.done:
			return
		case <-p.Ready():
		}
		img := v.freeBuffer()
		drew, err := p.Frame(img)
		if err != nil || !drew {
			continue
		}
		v.mu.Lock()
		if v.blanked {
			v.mu.Unlock()
			continue
		}
		v.latest = img
		schedule := !v.scheduled
		v.scheduled = true
		v.mu.Unlock()
		if schedule {
			ui.OnUI(v.showLatest)
		}
	}
}

// freeBuffer is a buffer of the render size that is neither on screen nor waiting for the UI.
func (v *videoPlayer) freeBuffer() *image.RGBA {
	v.mu.Lock()
	defer v.mu.Unlock()
	w, h := v.size[0], v.size[1]
	for i, b := range v.buffers {
		if b != nil && (b == v.shown || b == v.latest) {
			continue
		}
		if b == nil || b.Rect.Dx() != w || b.Rect.Dy() != h {
			b = image.NewRGBA(image.Rect(0, 0, w, h))
			v.buffers[i] = b
		}
		return b
	}
	panic("videoPlayer: three buffers, at most two in use") // cannot happen: shown and latest are two
}

// showLatest puts the newest rendered frame on screen (on the UI goroutine).
func (v *videoPlayer) showLatest() {
	v.mu.Lock()
	img := v.latest
	v.latest, v.scheduled = nil, false
	if img != nil {
		v.shown = img
	}
	v.mu.Unlock()
	if img != nil {
		v.image.Image = img
		v.image.Refresh()
	}
}

// readStatus reads the properties the screen shows.
func readStatus(p *mpvplayer.Player) playerStatus {
	num := func(name string) float64 {
		f, _ := strconv.ParseFloat(p.Property(name), 64)
		return f
	}
	return playerStatus{
		Path:      p.Property("path"),
		Pos:       num("time-pos"),
		PosKnown:  p.Property("time-pos") != "",
		Paused:    p.Property("pause") == "yes",
		Width:     int(num("width")),
		Height:    int(num("height")),
		DispW:     int(num("dwidth")),
		DispH:     int(num("dheight")),
		Bitrate:   num("video-bitrate"),
		Ended:     p.Property("eof-reached") == "yes",
		Buffering: p.Property("paused-for-cache") == "yes",
	}
}

// renderSize fits a video's size inside the render bound, keeping its shape (mpv letterboxes otherwise).
func renderSize(w, h int) (int, int) {
	if w <= 0 || h <= 0 {
		return 640, 360
	}
	scale := min(1, float64(maxRenderW)/float64(w), float64(maxRenderH)/float64(h))
	return max(2, int(float64(w)*scale)), max(2, int(float64(h)*scale))
}
