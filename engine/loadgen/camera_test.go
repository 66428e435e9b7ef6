package loadgen

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/video"
)

func TestCameraArgs(t *testing.T) {
	args, err := CameraArgs(CameraOptions{Source: SourceTestPattern, FPS: 10, FragmentDuration: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	for _, want := range []string{"-re -f lavfi -i testsrc2=size=640x360:rate=10", "-g 30 -keyint_min 30", "-f mpegts pipe:1", "-bf 0"} {
		if !strings.Contains(joined, want) {
			t.Errorf("%q lacks %q", joined, want)
		}
	}
	t.Setenv("DISPLAY", ":77")
	if args, err := CameraArgs(CameraOptions{Source: SourceScreen}); err != nil || !slices.Contains(args, ":77") {
		t.Errorf("screen capture: %v %v", args, err)
	}
	for _, bad := range []CameraOptions{{Source: "radio"}, {Source: SourceTestPattern, Width: 641, Height: 360},
		{Source: SourceTestPattern, FPS: 120}, {Source: SourceWebcam, Device: ""}} {
		if bad.Source == SourceWebcam && len(Webcams()) > 0 {
			continue // this machine has a webcam: the default is fine
		}
		if _, err := CameraArgs(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	t.Setenv("DISPLAY", "")
	if _, err := CameraArgs(CameraOptions{Source: SourceScreen}); err == nil || !strings.Contains(err.Error(), "DISPLAY") {
		t.Errorf("screen capture without a display: %v", err)
	}
}

// TestCameraCapturesATestPatternIntoFragments runs ffmpeg's test pattern live into a stream: fragments arrive while
// it runs, about one per fragment duration, and stopping ends ffmpeg without an error.
func TestCameraCapturesATestPatternIntoFragments(t *testing.T) {
	if _, err := FFmpeg(); err != nil {
		t.Skip(err)
	}
	s, err := video.Open(openEngine(t, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StartCamera(s, "nope", CameraOptions{Source: SourceTestPattern}); err == nil {
		t.Fatal("a camera into a missing stream started")
	}
	if _, err := s.CreateStream(video.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	cam, err := StartCamera(s, "cam", CameraOptions{Source: SourceTestPattern, Width: 320, Height: 180, FPS: 10,
		FragmentDuration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for cam.Stats().Fragments < 2 {
		if st := cam.Stats(); !st.Running {
			t.Fatalf("the capture ended: %v", st.Err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("fragments after 20 s: %+v", cam.Stats())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cam.Stop()
	st := cam.Stats()
	if st.Running || st.Err != nil || st.Bytes == 0 {
		t.Fatalf("after stop: %+v", st)
	}
	frags, err := s.ListFragments("cam", time.Time{}, time.Time{})
	if err != nil || int64(len(frags)) != st.Fragments {
		t.Fatalf("%d fragments stored, %d counted: %v", len(frags), st.Fragments, err)
	}
	for _, f := range frags[:len(frags)-1] { // the last may be cut short by the stop
		if f.Duration < 900*time.Millisecond || f.Duration > 1100*time.Millisecond {
			t.Errorf("fragment %d runs %v, want about 1 s", f.Number, f.Duration)
		}
	}
}

// TestCameraStopsWhenItsStreamGoes: a capture whose stream is deleted under it ends with the error, instead of
// running ffmpeg on for nothing.
func TestCameraStopsWhenItsStreamGoes(t *testing.T) {
	if _, err := FFmpeg(); err != nil {
		t.Skip(err)
	}
	s, err := video.Open(openEngine(t, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateStream(video.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	cam, err := StartCamera(s, "cam", CameraOptions{Source: SourceTestPattern, Width: 160, Height: 90, FPS: 10, FragmentDuration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Stop()
	for deadline := time.Now().Add(20 * time.Second); cam.Stats().Fragments < 1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no fragment: %+v", cam.Stats())
		}
	}
	if err := s.DeleteStream("cam"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); cam.Stats().Running; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the camera runs on into a deleted stream")
		}
	}
	if st := cam.Stats(); st.Err == nil || !strings.Contains(st.Err.Error(), "not found") {
		t.Fatalf("ended with %v, want the stream's absence", st.Err)
	}
}

// TestCamerasKeepOnePerStream: a second camera into a stream is refused while the first runs; Stop forgets it.
func TestCamerasKeepOnePerStream(t *testing.T) {
	if _, err := FFmpeg(); err != nil {
		t.Skip(err)
	}
	s, err := video.Open(openEngine(t, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateStream(video.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	cams := NewCameras(s)
	defer cams.StopAll()
	if err := cams.Start("nope", CameraOptions{Source: SourceTestPattern}); err == nil {
		t.Fatal("a camera into a missing stream started")
	}
	if _, ok := cams.Stats("nope"); ok {
		t.Error("a camera that never started is listed")
	}
	o := CameraOptions{Source: SourceTestPattern, Width: 160, Height: 90, FPS: 10, FragmentDuration: time.Second}
	if err := cams.Start("cam", o); err != nil {
		t.Fatal(err)
	}
	if err := cams.Start("cam", o); err == nil || !strings.Contains(err.Error(), "already") {
		t.Fatalf("a second camera: %v", err)
	}
	if st, ok := cams.Stats("cam"); !ok || !st.Running {
		t.Fatalf("stats: %+v %v", st, ok)
	}
	cams.Stop("cam")
	if _, ok := cams.Stats("cam"); ok {
		t.Error("a stopped camera is still listed")
	}
	if err := cams.Start("cam", o); err != nil {
		t.Fatalf("a camera after the first stopped: %v", err)
	}
}
