package video

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/video"
)

type closeBuffer struct{ bytes.Buffer }

func (*closeBuffer) Close() error { return nil }

// TestSaveClipOfTheTimelineWindow: a clip holds the fragments that overlap the window shown, and what is written
// plays: ffprobe counts their frames.
func TestSaveClipOfTheTimelineWindow(t *testing.T) {
	env := videoEnv(t)
	if _, err := env.Video.CreateStream(video.CreateInput{Name: "door", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	ingestAt(t, env.Video, "door", start)
	frags, _ := env.Video.ListFragments("door", time.Time{}, time.Time{})
	clip, size := clipFragments(frags, start.Add(3*time.Second), start.Add(5*time.Second))
	if len(clip) != 2 || clip[0].Number != 2 || clip[1].Number != 3 || size != int64(clip[0].Size+clip[1].Size) {
		t.Fatalf("the window 3–5 s holds %v (%d bytes)", clip, size)
	}
	st, _ := env.Video.DescribeStream("door")
	var out closeBuffer
	if r, err := writeClip(env.Video, "door", st.ARN, clip, &out); r.fragments != 2 || r.bytes != size || err != nil {
		t.Fatalf("wrote %+v: %v", r, err)
	}
	if _, err := writeClip(env.Video, "door", "arn:of:another:door", clip, &closeBuffer{}); err == nil {
		t.Fatal("a clip of a stream made again under its name was written")
	}
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe is not installed")
	}
	path := filepath.Join(t.TempDir(), "clip.ts")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
		"stream=nb_read_frames", "-of", "csv=p=0", path).Output()
	if fields := strings.Fields(string(got)); err != nil || len(fields) == 0 || fields[0] != "100" { // also listed per program
		t.Fatalf("ffprobe reads %q frames of two 2 s fragments at 25 frames/s: %v", got, err)
	}
}
