package views

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/samples"
)

// videoEnv is a test Env with video streams, cameras and the loopback playback server.
func videoEnv(t *testing.T) Env {
	t.Helper()
	env := newEnv(t)
	store, err := video.Open(env.Engine)
	if err != nil {
		t.Fatal(err)
	}
	playback, err := video.ServePlayback(store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { playback.Close() })
	cams := video.NewCameras(store)
	t.Cleanup(cams.StopAll)
	env.Video, env.Cameras, env.Playback = store, cams, playback.URL
	return env
}

func openVideoScreen(t *testing.T, env Env) (*videoScreen, fyne.Window) {
	t.Helper()
	var s *videoScreen
	var win fyne.Window
	ui(func() {
		win = test.NewTempWindow(t, widget.NewLabel(""))
		s = newVideoScreen(env, win)
		win.SetContent(s.Content())
		win.Resize(fyne.NewSize(1200, 740))
		s.Start()
	})
	t.Cleanup(func() { ui(s.Stop) })
	return s, win
}

// TestVideoScreenCreateImportPlayScrubAndLeave walks the screen as a user would: create a stream with the form,
// import the sample clip, watch it play live, scrub the timeline back to the start, pause, refuse a garbage file,
// and leave the screen, which frees mpv.
func TestVideoScreenCreateImportPlayScrubAndLeave(t *testing.T) {
	test.NewTempApp(t)
	env := videoEnv(t)
	s, win := openVideoScreen(t, env)

	ui(func() { s.askCreate() })
	var entries []*widget.Entry
	ui(func() {
		form := win.Canvas().Overlays().Top()
		for _, e := range findAll[*widget.Entry](form) {
			entries = append(entries, e)
		}
	})
	if len(entries) != 4 {
		t.Fatalf("the form has %d entries, want name, retention, media type and device", len(entries))
	}
	ui(func() {
		test.Type(entries[0], "door")
		entries[1].SetText("48")
		create := button(t, win.Canvas().Overlays().Top(), "Create")
		test.Tap(create)
	})
	eventually(t, "the new stream selected", func() bool { return s.selected == "door" && s.current() != nil })
	if st, _ := env.Video.DescribeStream("door"); st.RetentionHours != 48 || st.MediaType != "video/h264" {
		t.Fatalf("created %+v", st)
	}
	eventually(t, "the empty stream's hint", func() bool { return strings.Contains(s.playback.message.Text, "No fragments yet") })

	clip, _ := samples.FS.ReadFile("testpattern.ts")
	ui(func() {
		s.producers.importFrom("door", "testpattern.ts", io.NopCloser(bytes.NewReader(clip)), int64(len(clip)))
	})
	eventually(t, "the import's result", func() bool { return s.producers.importMsg.Text == "imported testpattern.ts: 5 fragments" })
	eventually(t, "the facts to count them", func() bool { return strings.Contains(s.facts.Text, "5 fragments stored") })

	// live: the newest fragment plays, with its details
	eventually(t, "a live picture", func() bool {
		return strings.Contains(s.playback.info.Text, "Fragment 5") && strings.Contains(s.playback.info.Text, "320×180") &&
			strings.Contains(s.playback.info.Text, "behind live") && !blackFrame(s.playback.player.image.Image)
	})

	// scrubbing to a tenth of the way plays the first fragment on demand
	ui(func() {
		tl := s.playback.timeline
		test.TapAt(tl, fyne.NewPos(tl.Size().Width/10, 10))
	})
	eventually(t, "on-demand playback of fragment 1", func() bool {
		return s.playback.mode.Selected == modeOnDemand && strings.Contains(s.playback.info.Text, "Fragment 1 ") &&
			strings.Contains(s.playback.info.Text, "before the newest")
	})
	from, _ := s.playback.timeline.Range()
	frags, _ := env.Video.ListFragments("door", time.Time{}, time.Time{})
	if !from.Equal(frags[0].ProducerTimestamp) {
		t.Fatalf("the timeline starts at %v, the first fragment at %v", from, frags[0].ProducerTimestamp)
	}

	ui(func() { test.Tap(button(t, s.Content(), "Pause")) })
	eventually(t, "the pause", func() bool { return s.playback.pause.Text == "Play" && s.playback.status.Paused })
	ui(func() { test.Tap(button(t, s.Content(), "Play")) })
	eventually(t, "the resume", func() bool { return s.playback.pause.Text == "Pause" })

	// garbage is refused whole: an error, no fragment more
	ui(func() {
		s.producers.importFrom("door", "notes.ts", io.NopCloser(strings.NewReader(strings.Repeat("not video ", 5000))), 50000)
	})
	eventually(t, "the import error", func() bool {
		d, ok := win.Canvas().Overlays().Top().(fyne.CanvasObject)
		if !ok || d == nil {
			return false
		}
		_, found := find(d, func(l *widget.Label) bool { return strings.Contains(l.Text, "MPEG-TS") })
		return found
	})
	if st, _ := env.Video.DescribeStream("door"); st.Fragments != 5 {
		t.Fatalf("%d fragments after a garbage import", st.Fragments)
	}

	player := s.playback.player
	ui(s.Stop)
	select {
	case <-player.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("mpv was not freed when the screen was left")
	}
}

// findAll returns every object under o of type T, depth first.
func findAll[T fyne.CanvasObject](o fyne.CanvasObject) []T {
	var out []T
	find(o, func(v T) bool { out = append(out, v); return false })
	return out
}

// TestVideoScreenCameraTestPattern: the screen opens on the only stream; Start camera runs ffmpeg's test pattern
// into it, its fragments are counted as they arrive, and Stop camera ends it.
func TestVideoScreenCameraTestPattern(t *testing.T) {
	if _, err := video.FFmpeg(); err != nil {
		t.Skip(err)
	}
	test.NewTempApp(t)
	env := videoEnv(t)
	if _, err := env.Video.CreateStream(video.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	s, _ := openVideoScreen(t, env)
	eventually(t, "the only stream opened", func() bool { return s.selected == "cam" })
	ui(func() { test.Tap(button(t, s.Content(), "Start camera")) })
	eventually(t, "a captured fragment", func() bool {
		return strings.HasPrefix(s.producers.cameraMsg.Text, "capturing: 1 fragment") && s.producers.camera.Text == "Stop camera"
	})
	ui(func() { test.Tap(button(t, s.Content(), "Stop camera")) })
	eventually(t, "the camera stopped", func() bool {
		st, _ := env.Cameras.Stats("cam")
		return !st.Running && s.producers.camera.Text == "Start camera"
	})
	if st, _ := env.Video.DescribeStream("cam"); st.Fragments < 1 {
		t.Fatalf("%d fragments from the camera", st.Fragments)
	}
}
