package views

import (
	"image"
	"strconv"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/canvas"

	"github.com/shardlab/shardlab/internal/mpvplayer"
)

// playerStatus is what the player reports a few times a second.
type playerStatus struct {
	Loaded   bool    // a URL is loaded
	Pos      float64 // seconds since the start of what was loaded
	Paused   bool
	Width    int
	Height   int
	Bitrate  float64 // bits/s of the video, as mpv measures it
	Ended    bool    // played to the end (on demand) or waiting for more (live)
	Frames   int64   // frames drawn since the last load
	Err      string  // why the player could not start
	Rendered time.Time
}

// videoPlayer shows libmpv's software-rendered frames in a Fyne image. One goroutine owns mpv: it starts it,
// runs the commands the UI sends it, renders each frame into the buffer not on screen and hands it over through
// onUI, so neither decoding nor a slow mpv call ever holds the UI goroutine. Close ends the goroutine, which
// frees mpv.
type videoPlayer struct {
	image    *canvas.Image
	onStatus func(playerStatus) // on the UI goroutine

	cmds   chan func(*mpvplayer.Player)
	done   chan struct{}
	closed chan struct{} // closed once mpv is freed
	shown  atomic.Bool   // the last frame handed over is on screen
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
	v := &videoPlayer{image: img, onStatus: onStatus, cmds: make(chan func(*mpvplayer.Player), 16),
		done: make(chan struct{}), closed: make(chan struct{})}
	v.shown.Store(true)
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

// Load plays url from offset seconds into it.
func (v *videoPlayer) Load(url string, offset float64) {
	v.send(func(p *mpvplayer.Player) {
		_ = p.Set("start", strconv.FormatFloat(offset, 'f', 3, 64))
		_ = p.Command("loadfile", url)
		_ = p.Set("pause", "no") // after: a file held open at its end would pause again before the new one loads
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
func (v *videoPlayer) Unload() { v.send(func(p *mpvplayer.Player) { _ = p.Command("stop") }) }

// Close ends playback and frees mpv (off the UI goroutine).
func (v *videoPlayer) Close() {
	select {
	case <-v.done:
	default:
		close(v.done)
	}
}

func (v *videoPlayer) run() {
	defer close(v.closed)
	p, err := mpvplayer.New()
	if err != nil {
		onUI(func() { v.onStatus(playerStatus{Err: err.Error()}) })
		return
	}
	defer p.Close()
	buffers := [2]*image.RGBA{image.NewRGBA(image.Rect(0, 0, 640, 360)), image.NewRGBA(image.Rect(0, 0, 640, 360))}
	back := 0
	status := time.NewTicker(250 * time.Millisecond)
	defer status.Stop()
	var st playerStatus
	for {
		select {
		case <-v.done:
			return
		case cmd := <-v.cmds:
			cmd(p)
			st.Frames = 0
			continue
		case <-status.C:
			st = v.readStatus(p, st)
			s := st
			onUI(func() { v.onStatus(s) })
			if w, h := renderSize(st.Width, st.Height); w != buffers[back].Rect.Dx() || h != buffers[back].Rect.Dy() {
				buffers[0], buffers[1] = image.NewRGBA(image.Rect(0, 0, w, h)), image.NewRGBA(image.Rect(0, 0, w, h))
			}
			continue
		case <-p.Ready():
		}
		if !v.shown.Load() {
			continue // the UI has not shown the last frame yet: drop this one rather than queue frames
		}
		img := buffers[back]
		drew, err := p.Frame(img)
		if err != nil || !drew {
			continue
		}
		st.Frames++
		st.Rendered = time.Now()
		back = 1 - back
		v.shown.Store(false)
		onUI(func() {
			v.image.Image = img
			v.image.Refresh()
			v.shown.Store(true)
		})
	}
}

// readStatus reads the properties the screen shows.
func (v *videoPlayer) readStatus(p *mpvplayer.Player, prev playerStatus) playerStatus {
	num := func(name string) float64 {
		f, _ := strconv.ParseFloat(p.Property(name), 64)
		return f
	}
	st := playerStatus{Frames: prev.Frames, Rendered: prev.Rendered}
	st.Loaded = p.Property("path") != ""
	st.Pos = num("time-pos")
	st.Paused = p.Property("pause") == "yes"
	st.Width, st.Height = int(num("width")), int(num("height"))
	st.Bitrate = num("video-bitrate")
	st.Ended = p.Property("eof-reached") == "yes" || p.Property("paused-for-cache") == "yes"
	return st
}

// renderSize fits a video's size inside the render bound, keeping its shape (mpv letterboxes otherwise).
func renderSize(w, h int) (int, int) {
	if w <= 0 || h <= 0 {
		return 640, 360
	}
	scale := min(1, float64(maxRenderW)/float64(w), float64(maxRenderH)/float64(h))
	return max(2, int(float64(w)*scale)), max(2, int(float64(h)*scale))
}

// blackFrame reports whether an image is all (nearly) black: nothing drawn yet.
func blackFrame(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r > 0x1000 || g > 0x1000 || bl > 0x1000 {
				return false
			}
		}
	}
	return true
}
