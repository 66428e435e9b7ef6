package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/engine/lifecycle"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/engine/video/container"
	"github.com/shardlab/shardlab/internal/countio"
)

// CameraSource is what a camera producer captures.
type CameraSource string

// Camera sources.
const (
	SourceTestPattern CameraSource = "testpattern" // ffmpeg's moving test picture with a running clock
	SourceWebcam      CameraSource = "webcam"      // a video device (/dev/video0 on Linux)
	SourceScreen      CameraSource = "screen"      // the desktop
)

// CameraOptions say what to capture and how; zero values take the defaults (640×360 at 25 frames/s).
type CameraOptions struct {
	Source CameraSource
	Device string // the webcam (e.g. /dev/video0) or the display (e.g. :0); empty: the first webcam, $DISPLAY
	Width  int
	Height int
	FPS    int
	// FragmentDuration is the key-frame interval, so the fragments run this long; zero: container.DefaultFragmentDuration.
	FragmentDuration time.Duration
}

// ErrNoFFmpeg is returned when ffmpeg is not installed: the camera producer runs it.
var ErrNoFFmpeg = errors.New("ffmpeg is not installed (on Debian or Ubuntu: sudo apt install ffmpeg; macOS: brew install ffmpeg)")

// FFmpeg returns the path of the ffmpeg the camera producer runs.
func FFmpeg() (string, error) {
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		return "", ErrNoFFmpeg
	}
	return path, nil
}

// Webcams lists the video capture devices found (on Linux, /dev/video*).
func Webcams() []string {
	if runtime.GOOS != "linux" {
		return nil
	}
	found, _ := filepath.Glob("/dev/video*")
	slices.Sort(found)
	return found
}

func (o CameraOptions) withDefaults() CameraOptions {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 640, 360
	}
	if o.FPS <= 0 {
		o.FPS = 25
	}
	if o.FragmentDuration <= 0 {
		o.FragmentDuration = container.DefaultFragmentDuration
	}
	return o
}

// CameraArgs are ffmpeg's arguments for a capture: H.264 in MPEG-TS on standard output, with a key frame every
// fragment duration and no B-frame delay, so fragments cut on time and play soon after they are captured.
func CameraArgs(o CameraOptions) ([]string, error) {
	o = o.withDefaults()
	switch {
	case o.Width > 3840 || o.Height > 2160 || o.Width%2 != 0 || o.Height%2 != 0:
		return nil, fmt.Errorf("size: %d×%d must be even and at most 3840×2160", o.Width, o.Height)
	case o.FPS > 60:
		return nil, fmt.Errorf("FPS: %d, at most 60", o.FPS)
	}
	size := fmt.Sprintf("%dx%d", o.Width, o.Height)
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin"}
	switch o.Source {
	case SourceTestPattern:
		args = append(args, "-re", "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%s:rate=%d", size, o.FPS))
	case SourceWebcam:
		dev := o.Device
		switch runtime.GOOS {
		case "darwin":
			if dev == "" {
				dev = "0"
			}
			args = append(args, "-f", "avfoundation", "-framerate", fmt.Sprint(o.FPS), "-i", dev)
		case "windows":
			if dev == "" {
				return nil, errors.New("webcam: name the device (ffmpeg -list_devices true -f dshow -i dummy lists them)")
			}
			args = append(args, "-f", "dshow", "-i", "video="+dev)
		default:
			if dev == "" {
				cams := Webcams()
				if len(cams) == 0 {
					return nil, errors.New("webcam: no video device found (/dev/video*)")
				}
				dev = cams[0]
			}
			args = append(args, "-f", "v4l2", "-framerate", fmt.Sprint(o.FPS), "-i", dev)
		}
	case SourceScreen:
		switch runtime.GOOS {
		case "darwin":
			args = append(args, "-f", "avfoundation", "-framerate", fmt.Sprint(o.FPS), "-i", "1")
		case "windows":
			args = append(args, "-f", "gdigrab", "-framerate", fmt.Sprint(o.FPS), "-i", "desktop")
		default:
			dev := o.Device
			if dev == "" {
				dev = os.Getenv("DISPLAY")
			}
			if dev == "" {
				return nil, errors.New("screen: no X display ($DISPLAY is not set)")
			}
			args = append(args, "-f", "x11grab", "-framerate", fmt.Sprint(o.FPS), "-i", dev)
		}
	default:
		return nil, fmt.Errorf("camera source: %q is not testpattern, webcam or screen", o.Source)
	}
	gop := fmt.Sprint(max(1, int(o.FragmentDuration.Seconds()*float64(o.FPS))))
	// scale keeps whatever the device gives inside the size asked for, with even sides as x264 needs
	scale := fmt.Sprintf("scale=w=%d:h=%d:force_original_aspect_ratio=decrease:force_divisible_by=2,format=yuv420p", o.Width, o.Height)
	args = append(args, "-an", "-vf", scale, "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
		"-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-bf", "0", "-f", "mpegts", "pipe:1")
	return args, nil
}

// CameraStats is how a camera producer is doing.
type CameraStats struct {
	Running   bool
	Fragments int64
	Bytes     int64
	Err       error // why it stopped, if it failed
}

// Camera is a running capture: ffmpeg's output ingested into a stream.
type Camera struct {
	cancel    context.CancelFunc
	done      chan struct{}
	stopped   atomic.Bool // by Stop: its end is not a failure
	fragments atomic.Int64
	bytes     atomic.Int64

	mu  sync.Mutex
	err error
}

// StartCamera runs ffmpeg to capture a source into a video stream of s, until Stop or the capture ends. It is a
// producer like the record generators: it only calls the store's public ingest, as a PutMedia client would.
func StartCamera(s *video.Store, stream string, o CameraOptions) (*Camera, error) {
	if _, err := s.DescribeStream(stream); err != nil {
		return nil, err
	}
	ffmpeg, err := FFmpeg()
	if err != nil {
		return nil, err
	}
	args, err := CameraArgs(o)
	if err != nil {
		return nil, err
	}
	o = o.withDefaults()
	if err := (video.IngestOptions{FragmentDuration: o.FragmentDuration}).Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	var stderr tail
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start ffmpeg: %w", err)
	}
	c := &Camera{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer cancel()
		counted := countio.NewReader(out)
		ierr := s.IngestWith(ctx, stream, counted, video.IngestOptions{ProducerStart: time.Now(), FragmentDuration: o.FragmentDuration}, func(a video.Ack) {
			if a.EventType == video.AckPersisted {
				c.fragments.Add(1)
				c.bytes.Store(counted.N())
			}
		})
		if ierr != nil && !c.stopped.Load() {
			cancel() // storing failed (the stream was deleted, say): a live source would never end by itself
		}
		_, _ = io.Copy(io.Discard, out) // let ffmpeg finish writing before Wait closes the pipe
		werr := cmd.Wait()
		if c.stopped.Load() {
			return // stopped: not a failure
		}
		if ierr != nil {
			c.setErr(ierr)
			return
		}
		switch {
		case werr != nil && stderr.String() != "":
			c.setErr(fmt.Errorf("ffmpeg: %s", stderr.String()))
		case werr != nil:
			c.setErr(fmt.Errorf("ffmpeg: %w", werr))
		}
	}()
	return c, nil
}

func (c *Camera) setErr(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
}

// Stats reports the fragments stored so far and whether the capture still runs.
func (c *Camera) Stats() CameraStats {
	st := CameraStats{Fragments: c.fragments.Load(), Bytes: c.bytes.Load()}
	select {
	case <-c.done:
	default:
		st.Running = true
	}
	c.mu.Lock()
	st.Err = c.err
	c.mu.Unlock()
	return st
}

// Done is closed when the capture ends, by Stop or by itself.
func (c *Camera) Done() <-chan struct{} { return c.done }

// Err is why the capture ended by itself; nil while it runs and after Stop.
func (c *Camera) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Stop ends the capture and waits for ffmpeg to exit; fragments already cut stay stored.
func (c *Camera) Stop() {
	c.stopped.Store(true)
	c.cancel()
	<-c.done
}

// tail keeps the last lines ffmpeg wrote to stderr, to say why it failed.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2048 {
		t.buf = t.buf[len(t.buf)-2048:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// Cameras keeps the camera producers, at most one running per stream, so they outlive the screen that started
// them, as the load generators do. The lifecycle is lifecycle.Registry's, in memory: a camera is never resumed.
type Cameras struct {
	store *video.Store
	reg   *lifecycle.Registry[CameraOptions, struct{}, *Camera]
}

// NewCameras returns an empty registry over a store.
func NewCameras(store *video.Store) *Cameras {
	c := &Cameras{store: store}
	c.reg, _ = lifecycle.Open(lifecycle.Kind[CameraOptions, struct{}, *Camera]{ // no DB: nothing to load, so no error
		Records: lifecycle.Records[CameraOptions, struct{}]{Noun: "camera"},
		States:  lifecycle.States{Running: StateRunning, Stopped: StateStopped, Failed: StateFailed},
		Start: func(stream string, o CameraOptions, _ struct{}) (*Camera, error) {
			return StartCamera(store, stream, o)
		},
		Stop:        (*Camera).Stop,
		ErrNotFound: errors.New("no camera"), ErrExists: errors.New("a camera already streams into it; stop it first"),
		ErrClosed: errors.New("the cameras are stopped"),
	})
	return c
}

// Start starts capturing into a stream; a stream that already has a running camera refuses a second.
func (c *Cameras) Start(stream string, o CameraOptions) error {
	if it, err := c.reg.Get(stream); err == nil {
		if it.Run != nil {
			return fmt.Errorf("%s: a camera already streams into it; stop it first", stream)
		}
		if err := c.reg.Delete(stream); err != nil {
			return err
		}
	}
	if err := c.reg.Create(stream, o, false); err != nil {
		return err
	}
	if err := c.reg.Start(stream); err != nil {
		_ = c.reg.Delete(stream) // never started: nothing to show
		return err
	}
	return nil
}

// Stats reports a stream's camera, if one was started (it may have ended, with its error).
func (c *Cameras) Stats(stream string) (CameraStats, bool) {
	it, err := c.reg.Get(stream)
	if err != nil || it.Last == nil {
		return CameraStats{}, false
	}
	return it.Last.Stats(), true
}

// Stop stops a stream's camera and forgets it.
func (c *Cameras) Stop(stream string) { _ = c.reg.Delete(stream) }

// StopAll stops every camera, as the app closes.
func (c *Cameras) StopAll() { c.reg.Close() }
