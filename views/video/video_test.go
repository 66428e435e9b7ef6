package video

import (
	"bytes"
	"context"
	"image"
	"io"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/kinesisvideoapi"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/samples"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/ui/uitest"
)

// videoEnv is a test ui.Env with video streams, cameras and the loopback playback server.
func videoEnv(t *testing.T) ui.Env {
	t.Helper()
	env := uitest.NewEnv(t)
	store, err := video.Open(env.Engine)
	if err != nil {
		t.Fatal(err)
	}
	playback, err := kinesisvideoapi.ServePlayback(store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { playback.Close() })
	cams := loadgen.NewCameras(store)
	t.Cleanup(cams.StopAll)
	env.Video, env.Cameras, env.Playback = store, cams, playback.FragmentsURL
	return env
}

func TestMain(m *testing.M) { uitest.Main(m) }

// Live on a stream nothing sends to any more plays its newest fragment and says the stream is quiet, not that the
// player is minutes behind live.
func TestLiveOnAQuietStreamSaysItIsQuiet(t *testing.T) {
	test.NewTempApp(t)
	saved := streamQuietAfter
	streamQuietAfter = 0
	t.Cleanup(func() { streamQuietAfter = saved })
	env := videoEnv(t)
	if _, err := env.Video.CreateStream(video.CreateInput{Name: "door", MediaType: "video/h264", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	clip, _ := samples.FS.ReadFile("testpattern.ts")
	// recorded ten minutes ago: played live, its producer times are far behind now
	if err := env.Video.Ingest(context.Background(), "door", bytes.NewReader(clip), time.Now().Add(-10*time.Minute), func(video.Ack) {}); err != nil {
		t.Fatal(err)
	}
	s, _ := openVideoScreen(t, env)
	uitest.UI(func() { s.selectStream("door") })
	uitest.Eventually(t, "the quiet stream said so", func() bool {
		text := s.playback.info.Text
		return strings.Contains(text, "Fragment 5") && strings.Contains(text, "nothing new for") && !strings.Contains(text, "behind live")
	})
}

func openVideoScreen(t *testing.T, env ui.Env) (*Screen, fyne.Window) {
	t.Helper()
	var s *Screen
	var win fyne.Window
	uitest.UI(func() {
		win = test.NewTempWindow(t, widget.NewLabel(""))
		s = New(env, win)
		win.SetContent(s.Content())
		win.Resize(fyne.NewSize(1200, 740))
		s.Start()
	})
	t.Cleanup(func() { uitest.UI(s.Stop) })
	return s, win
}

// TestVideoScreenCreateImportPlayScrubAndLeave walks the screen as a user would: create a stream with the form,
// import the sample clip, watch it play live, scrub the timeline back to the start, pause, refuse a garbage file,
// and leave the screen, which frees mpv.
func TestVideoScreenCreateImportPlayScrubAndLeave(t *testing.T) {
	test.NewTempApp(t)
	env := videoEnv(t)
	s, win := openVideoScreen(t, env)

	uitest.UI(func() { s.askCreate() })
	var entries []*widget.Entry
	uitest.UI(func() {
		form := win.Canvas().Overlays().Top()
		entries = append(entries, findAll[*widget.Entry](form)...)
	})
	if len(entries) != 4 {
		t.Fatalf("the form has %d entries, want name, retention, media type and device", len(entries))
	}
	uitest.UI(func() {
		test.Type(entries[0], "door")
		entries[1].SetText("48")
		create := uitest.Button(t, win.Canvas().Overlays().Top(), "Create")
		test.Tap(create)
	})
	uitest.Eventually(t, "the new stream selected", func() bool { return s.selected == "door" && s.current() != nil })
	if st, _ := env.Video.DescribeStream("door"); st.RetentionHours != 48 || st.MediaType != "video/h264" {
		t.Fatalf("created %+v", st)
	}
	uitest.Eventually(t, "the empty stream's hint", func() bool { return strings.Contains(s.playback.message.Text, "No fragments yet") })

	clip, _ := samples.FS.ReadFile("testpattern.ts")
	uitest.UI(func() {
		s.producers.importFrom("door", "testpattern.ts", io.NopCloser(bytes.NewReader(clip)), int64(len(clip)))
	})
	uitest.Eventually(t, "the import's result", func() bool { return s.producers.importMsg.Text == "imported testpattern.ts: 5 fragments" })
	uitest.Eventually(t, "the facts to count them", func() bool { return strings.Contains(s.facts.Text, "5 fragments stored") })

	// live: the newest fragment plays, with its details
	uitest.Eventually(t, "a live picture", func() bool {
		return strings.Contains(s.playback.info.Text, "Fragment 5") && strings.Contains(s.playback.info.Text, "320×180") &&
			strings.Contains(s.playback.info.Text, "behind live") && !blackFrame(s.playback.player.image.Image)
	})

	// scrubbing to half way (5 s in) plays the third fragment on demand, from one second into it
	uitest.UI(func() {
		tl := s.playback.timeline
		test.TapAt(tl, fyne.NewPos(tl.Size().Width/2, 10))
	})
	uitest.Eventually(t, "on-demand playback of fragment 3", func() bool {
		return s.playback.mode.Selected == modeOnDemand && strings.Contains(s.playback.info.Text, "Fragment 3 ") &&
			strings.Contains(s.playback.info.Text, "before the newest") && s.playback.status.Pos >= 1
	})
	from, _ := s.playback.timeline.Range()
	frags, _ := env.Video.ListFragments("door", time.Time{}, time.Time{})
	if !from.Equal(frags[0].ProducerTimestamp) {
		t.Fatalf("the timeline starts at %v, the first fragment at %v", from, frags[0].ProducerTimestamp)
	}

	uitest.UI(func() { test.Tap(uitest.Button(t, s.Content(), "Pause")) })
	uitest.Eventually(t, "the pause", func() bool { return s.playback.pause.Text == "Play" && s.playback.status.Paused })
	uitest.UI(func() { test.Tap(uitest.Button(t, s.Content(), "Play")) })
	uitest.Eventually(t, "the resume", func() bool { return s.playback.pause.Text == "Pause" })

	// garbage is refused whole: an error, no fragment more
	uitest.UI(func() {
		s.producers.importFrom("door", "notes.ts", io.NopCloser(strings.NewReader(strings.Repeat("not video ", 5000))), 50000)
	})
	uitest.Eventually(t, "the import error", func() bool {
		d := win.Canvas().Overlays().Top()
		if d == nil {
			return false
		}
		_, found := uitest.Find(d, func(l *widget.Label) bool { return strings.Contains(l.Text, "MPEG-TS") })
		return found
	})
	if st, _ := env.Video.DescribeStream("door"); st.Fragments != 5 {
		t.Fatalf("%d fragments after a garbage import", st.Fragments)
	}

	player := s.playback.player
	uitest.UI(s.Stop)
	select {
	case <-player.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("mpv was not freed when the screen was left")
	}
}

// findAll returns every object under o of type T, depth first.
func findAll[T fyne.CanvasObject](o fyne.CanvasObject) []T {
	var out []T
	uitest.Find(o, func(v T) bool { out = append(out, v); return false })
	return out
}

// TestVideoScreenCameraTestPattern: the screen opens on the only stream; Start camera runs ffmpeg's test pattern
// into it, its fragments are counted as they arrive, and Stop camera ends it.
func TestVideoScreenCameraTestPattern(t *testing.T) {
	if _, err := loadgen.FFmpeg(); err != nil {
		t.Skip(err)
	}
	test.NewTempApp(t)
	env := videoEnv(t)
	if _, err := env.Video.CreateStream(video.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	s, _ := openVideoScreen(t, env)
	uitest.Eventually(t, "the only stream opened", func() bool { return s.selected == "cam" })
	uitest.UI(func() { test.Tap(uitest.Button(t, s.Content(), "Start camera")) })
	uitest.Eventually(t, "a captured fragment", func() bool {
		return strings.HasPrefix(s.producers.cameraMsg.Text, "capturing: 1 fragment") && s.producers.camera.Text == "Stop camera"
	})
	uitest.UI(func() { test.Tap(uitest.Button(t, s.Content(), "Stop camera")) })
	uitest.Eventually(t, "the camera stopped", func() bool {
		st, _ := env.Cameras.Stats("cam")
		return !st.Running && s.producers.camera.Text == "Start camera" && s.producers.cameraMsg.Text == ""
	})
	if st, _ := env.Video.DescribeStream("cam"); st.Fragments < 1 {
		t.Fatalf("%d fragments from the camera", st.Fragments)
	}
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

// ingestAt stores the sample clip with its first frame at start.
func ingestAt(t *testing.T, store *video.Store, stream string, start time.Time) {
	t.Helper()
	clip, _ := samples.FS.ReadFile("testpattern.ts")
	if err := store.IngestWith(context.Background(), stream, bytes.NewReader(clip), video.IngestOptions{ProducerStart: start}, func(video.Ack) {}); err != nil {
		t.Fatal(err)
	}
}

// TestVideoPlaybackAcrossAGapAndFollowingLive: the player's clock starts again at every producer restart, so the
// screen plays each run as its own session. On demand, the end of one run goes on with the next, and what is
// shown keeps to the run playing; live, new fragments that continue the run are followed.
func TestVideoPlaybackAcrossAGapAndFollowingLive(t *testing.T) {
	test.NewTempApp(t)
	env := videoEnv(t)
	if _, err := env.Video.CreateStream(video.CreateInput{Name: "door", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	run1 := time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	run2 := run1.Add(70 * time.Second) // a minute's gap after the first ten seconds
	ingestAt(t, env.Video, "door", run1)
	ingestAt(t, env.Video, "door", run2)
	s, _ := openVideoScreen(t, env)
	uitest.Eventually(t, "the ten fragments", func() bool { return len(s.playback.frags) == 10 && s.playback.session != nil })

	uitest.UI(func() { s.playback.scrub(run1.Add(9 * time.Second)) })
	uitest.Eventually(t, "the first run playing on demand", func() bool {
		vs := s.playback.session
		return vs != nil && !vs.live && len(vs.frags) == 5 && strings.Contains(s.playback.info.Text, "Fragment 5 ")
	})
	// the first run ends a second later; the second run follows, and its times are its own
	uitest.Eventually(t, "the second run after the gap", func() bool {
		vs := s.playback.session
		return vs != nil && vs.frags[0].Number == 6 && strings.Contains(s.playback.info.Text, "Fragment 6 ")
	})
	var shown time.Time
	uitest.UI(func() { _, shown, _ = s.playback.session.at(s.playback.status.Pos) })
	if shown.Before(run2) || shown.After(run2.Add(3*time.Second)) {
		t.Fatalf("fragment 6 shown at %v, its run starts at %v", shown, run2)
	}

	// live: the newest fragment, then the ones that continue its run as they arrive
	uitest.UI(func() { s.playback.mode.SetSelected(modeLive) })
	uitest.Eventually(t, "live on the newest fragment", func() bool {
		vs := s.playback.session
		return vs != nil && vs.live && vs.frags[0].Number == 10 && strings.Contains(s.playback.info.Text, "Fragment 10 ")
	})
	ingestAt(t, env.Video, "door", run2.Add(10*time.Second)) // continues the second run: fragments 11–15
	uitest.Eventually(t, "the live session following", func() bool {
		vs := s.playback.session
		return vs != nil && vs.live && vs.frags[0].Number == 10 && len(vs.frags) == 6 &&
			strings.Contains(s.playback.info.Text, "Fragment 11 ")
	})
}

// slowReader hands out the clip a little at a time, as a large file on a slow disk would.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(b []byte) (int, error) {
	time.Sleep(5 * time.Millisecond)
	return s.r.Read(b[:min(len(b), 4096)])
}

// TestVideoImportCancel: cancelling an import keeps what was stored and says so.
func TestVideoImportCancel(t *testing.T) {
	test.NewTempApp(t)
	env := videoEnv(t)
	if _, err := env.Video.CreateStream(video.CreateInput{Name: "door", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	s, _ := openVideoScreen(t, env)
	uitest.Eventually(t, "the stream opened", func() bool { return s.selected == "door" })
	clip, _ := samples.FS.ReadFile("testpattern.ts")
	uitest.UI(func() {
		s.producers.importFrom("door", "slow.ts", io.NopCloser(slowReader{bytes.NewReader(clip)}), int64(len(clip)))
	})
	uitest.Eventually(t, "a fragment in", func() bool {
		st, _ := env.Video.DescribeStream("door")
		return st.Fragments >= 1 && s.producers.progress.Visible() && s.producers.progress.Value > 0
	})
	uitest.UI(func() { test.Tap(s.producers.cancel) })
	uitest.Eventually(t, "the cancel said", func() bool {
		return strings.HasPrefix(s.producers.importMsg.Text, "import of slow.ts cancelled: the ") && s.producers.importing == nil
	})
	if st, _ := env.Video.DescribeStream("door"); st.Fragments == 0 || st.Fragments == 5 {
		t.Fatalf("%d fragments after a cancel part way", st.Fragments)
	}
}

func TestSecondsReadable(t *testing.T) {
	for d, want := range map[time.Duration]string{-time.Second: "0.0 s", 2100 * time.Millisecond: "2.1 s",
		1257 * time.Second: "20 min 57 s", 2*time.Hour + 5*time.Minute: "2 h 05 min"} {
		if got := seconds(d); got != want {
			t.Errorf("%v reads %q, want %q", d, got, want)
		}
	}
}

// TestVideoScreenChangesRetention: Retention… sets the hours, and the facts line follows; a stream that keeps
// nothing cannot be given a retention.
func TestVideoScreenChangesRetention(t *testing.T) {
	test.NewTempApp(t)
	env := videoEnv(t)
	if _, err := env.Video.CreateStream(video.CreateInput{Name: "door", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	s, win := openVideoScreen(t, env)
	uitest.Eventually(t, "the stream opened", func() bool { return strings.Contains(s.facts.Text, "keeps fragments 24 hours") })
	uitest.UI(func() { test.Tap(uitest.Button(t, s.Content(), "Retention…")) })
	uitest.UI(func() {
		form := win.Canvas().Overlays().Top()
		entries := findAll[*widget.Entry](form)
		entries[0].SetText("72")
		test.Tap(uitest.Button(t, form, "Change"))
	})
	uitest.Eventually(t, "72 hours shown", func() bool { return strings.Contains(s.facts.Text, "keeps fragments 72 hours") })
	if st, _ := env.Video.DescribeStream("door"); st.RetentionHours != 72 {
		t.Fatalf("stored %d hours", st.RetentionHours)
	}
	if _, err := env.Video.CreateStream(video.CreateInput{Name: "live"}); err != nil {
		t.Fatal(err)
	}
	uitest.UI(func() { s.selectStream("live") })
	uitest.Eventually(t, "the live-only stream", func() bool { return s.current() != nil && s.retention.Disabled() })
}

// TestVideoPlaybackWithOverlappingRuns: two producers' runs that overlap in producer time still play on, one
// fragment after the next in the timeline's order, and Live starts at the fragment that arrived last, even when
// an import stamped another run later.
func TestVideoPlaybackWithOverlappingRuns(t *testing.T) {
	test.NewTempApp(t)
	env := videoEnv(t)
	if _, err := env.Video.CreateStream(video.CreateInput{Name: "door", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	ingestAt(t, env.Video, "door", start.Add(2*time.Minute)) // 1–5: stamped later than what follows
	ingestAt(t, env.Video, "door", start)                    // 6–10
	ingestAt(t, env.Video, "door", start.Add(500*time.Millisecond))
	s, _ := openVideoScreen(t, env)
	uitest.Eventually(t, "live at the fragment that arrived last", func() bool {
		vs := s.playback.session
		return vs != nil && vs.live && vs.frags[0].Number == 15
	})
	uitest.UI(func() { s.playback.scrub(start) }) // fragment 6, then 11 half a second later, then 7…
	uitest.Eventually(t, "on demand moving past the first overlapping fragment", func() bool {
		vs := s.playback.session
		return vs != nil && !vs.live && vs.frags[0].Number == 11
	})
}
