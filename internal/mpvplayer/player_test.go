package mpvplayer

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/kinesisvideoapi"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/samples"
)

// firstPicture plays url until a frame with something other than black is drawn.
func firstPicture(t *testing.T, url string) *image.RGBA {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Load(url); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 320, 180))
	deadline := time.After(20 * time.Second)
	for {
		select {
		case <-p.Ready():
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no picture from %s", url)
		}
		drew, err := p.Frame(img)
		if err != nil {
			t.Fatal(err)
		}
		if drew && !black(img) {
			if w := p.Property("width"); w != "320" {
				t.Fatalf("width %q", w)
			}
			return img
		}
	}
}

func black(img *image.RGBA) bool {
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] > 16 || img.Pix[i+1] > 16 || img.Pix[i+2] > 16 {
			return false
		}
	}
	return true
}

// TestPlaysTheSampleFile: libmpv's software renderer draws the sample's test pattern.
func TestPlaysTheSampleFile(t *testing.T) {
	data, _ := samples.FS.ReadFile("testpattern.ts")
	path := filepath.Join(t.TempDir(), "testpattern.ts")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	firstPicture(t, path)
}

// TestPlaysAnHLSSessionFromALiveServer: the sample put into a video stream plays back from the server's HLS URL,
// after the engine was closed and opened again (fragments stay playable across a restart).
func TestPlaysAnHLSSessionFromALiveServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shardlab.db")
	eng, err := engine.Open(engine.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	store, err := video.Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateStream(video.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	data, _ := samples.FS.ReadFile("testpattern.ts")
	start := time.Now().Add(-time.Minute)
	if err := store.Ingest(context.Background(), "cam", bytes.NewReader(data), start, func(video.Ack) {}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	eng, err = engine.Open(engine.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if store, err = video.Open(eng); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(kinesisvideoapi.Handler{Store: store})
	defer srv.Close()
	body, _ := json.Marshal(map[string]any{"StreamName": "cam", "PlaybackMode": "LIVE"})
	resp, err := http.Post(srv.URL+"/getHLSStreamingSessionURL", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ HLSStreamingSessionURL string }
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	firstPicture(t, out.HLSStreamingSessionURL)
}
