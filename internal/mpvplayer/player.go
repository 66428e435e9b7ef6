// Package mpvplayer plays media through libmpv's software renderer (go-mpv) into RGBA images: no window, no GPU,
// so the app's video screen can show frames through a Fyne image and tests can look at them. Render (Ready,
// Frame) from one goroutine and nothing else there: libmpv's render API forbids other mpv calls on the render
// thread, and a frame not rendered stalls its video output. Commands and properties go from another goroutine;
// mpv's own update callback only signals.
package mpvplayer

import (
	"errors"
	"fmt"
	"image"

	mpv "github.com/gen2brain/go-mpv"

	_ "github.com/shardlab/shardlab/internal/mpvcompat" // the libmpv 2.1 calls Debian 12's libmpv lacks
)

// Player is one libmpv instance with a software render context.
type Player struct {
	m     *mpv.Mpv
	rc    *mpv.RenderContext
	ready chan struct{} // signalled by mpv when a new frame can be rendered
}

// New starts a player: no video output of its own (vo=libmpv), no audio device, software decoding.
func New() (*Player, error) {
	m := mpv.New()
	if m == nil {
		return nil, errors.New("libmpv could not be started")
	}
	// mpv's default read-ahead (150 MiB forward, 50 MiB back) is sized for a media player alone; inside the app
	// a few fragments ahead are plenty, and the rest of the app keeps the memory
	for _, opt := range [][2]string{{"vo", "libmpv"}, {"ao", "null"}, {"hwdec", "no"}, {"keep-open", "yes"}, {"keep-open-pause", "no"},
		{"terminal", "no"}, {"msg-level", "all=no"}, {"demuxer-max-bytes", "32MiB"}, {"demuxer-max-back-bytes", "8MiB"}} {
		if err := m.SetOptionString(opt[0], opt[1]); err != nil {
			m.TerminateDestroy()
			return nil, fmt.Errorf("mpv option %s=%s: %w", opt[0], opt[1], err)
		}
	}
	if err := m.Initialize(); err != nil {
		m.TerminateDestroy()
		return nil, fmt.Errorf("mpv: %w", err)
	}
	rc, err := m.NewRenderContextSW()
	if err != nil {
		m.TerminateDestroy()
		return nil, fmt.Errorf("mpv software renderer: %w", err)
	}
	p := &Player{m: m, rc: rc, ready: make(chan struct{}, 1)}
	rc.SetUpdateCallback(func() { // on mpv's thread: only signal
		select {
		case p.ready <- struct{}{}:
		default:
		}
	})
	return p, nil
}

// Load starts playing a file or URL (an HLS session URL, say).
func (p *Player) Load(url string) error { return p.m.Command([]string{"loadfile", url}) }

// Ready is signalled when a new frame may be rendered.
func (p *Player) Ready() <-chan struct{} { return p.ready }

// Frame renders the current frame into img (its size is the render size) when one is due; it reports whether it
// drew.
func (p *Player) Frame(img *image.RGBA) (bool, error) {
	if p.rc.Update()&mpv.RenderUpdateFrame == 0 {
		return false, nil
	}
	b := img.Bounds()
	if err := p.rc.RenderSW(b.Dx(), b.Dy(), img.Stride, "rgb0", img.Pix); err != nil {
		return false, err
	}
	for i := 3; i < len(img.Pix); i += 4 { // rgb0 leaves the fourth byte zero: make the pixels opaque
		img.Pix[i] = 0xff
	}
	return true, nil
}

// Property reads an mpv property as text (e.g. "width", "video-bitrate", "time-pos"); "" when unknown.
func (p *Player) Property(name string) string { return p.m.GetPropertyString(name) }

// Set sets an mpv property or option by its text value (e.g. "pause" "yes", "start" "12.5").
func (p *Player) Set(name, value string) error { return p.m.SetPropertyString(name, value) }

// Command runs an mpv command (seek, pause…).
func (p *Player) Command(args ...string) error { return p.m.Command(args) }

// Close frees the renderer and mpv.
func (p *Player) Close() {
	p.rc.Free()
	p.m.TerminateDestroy()
}
