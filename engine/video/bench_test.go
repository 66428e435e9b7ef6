package video

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// clip1080p makes (once per run) 20 s of 1080p25 H.264 at about 6 Mbit/s with ffmpeg, a key frame every 2 s.
func clip1080p(b *testing.B) []byte {
	b.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg is not installed")
	}
	path := filepath.Join(os.TempDir(), "shardlab-bench-1080p.ts")
	if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
		return data
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
		"testsrc2=size=1920x1080:rate=25", "-t", "20", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "6M",
		"-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-f", "mpegts", path).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v %s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkIngest1080p: a 20 s 1080p MPEG-TS stream through Ingest (fragmenting, muxing and committing each
// fragment to bbolt with fsync); realtime-x is media seconds per wall second.
func BenchmarkIngest1080p(b *testing.B) {
	data := clip1080p(b)
	eng := openEngineB(b)
	s, _ := Open(eng)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		name := fmt.Sprint("cam", i)
		if _, err := s.CreateStream(CreateInput{Name: name, RetentionHours: 1}); err != nil {
			b.Fatal(err)
		}
		if err := s.Ingest(context.Background(), name, bytes.NewReader(data), time.Now(), func(Ack) {}); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)*20/elapsed.Seconds(), "realtime-x")
}

// BenchmarkServeSegments: HLS segments (the 1080p clip's fragments, ~1.5 MiB each) read from bbolt and served
// over loopback HTTP, one client.
func BenchmarkServeSegments(b *testing.B) {
	data := clip1080p(b)
	eng := openEngineB(b)
	s, _ := Open(eng)
	if _, err := s.CreateStream(CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		b.Fatal(err)
	}
	if err := s.Ingest(context.Background(), "cam", bytes.NewReader(data), time.Now(), func(Ack) {}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(Handler{Store: s})
	defer srv.Close()
	token := sessionToken(b, srv)
	frags, _ := s.ListFragments("cam", time.Time{}, time.Time{})
	var total int64
	b.ResetTimer()
	for i := range b.N {
		f := frags[i%len(frags)]
		resp, err := http.Get(fmt.Sprintf("%s/hls/v1/getTSFragment.ts?SessionToken=%s&FragmentNumber=%d", srv.URL, token, f.Number))
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		total += n
	}
	b.ReportMetric(float64(total)/(1<<20)/b.Elapsed().Seconds(), "MiB/s")
}

func openEngineB(b *testing.B) *engine.Engine {
	b.Helper()
	eng, err := engine.Open(engine.Options{Path: filepath.Join(b.TempDir(), "shardlab.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	return eng
}

// sessionToken asks the server for a LIVE session and returns its token.
func sessionToken(b *testing.B, srv *httptest.Server) string {
	b.Helper()
	resp, err := http.Post(srv.URL+"/getHLSStreamingSessionURL", "application/json",
		strings.NewReader(`{"StreamName":"cam","PlaybackMode":"LIVE"}`))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ HLSStreamingSessionURL string }
	json.NewDecoder(resp.Body).Decode(&out)
	u, err := url.Parse(out.HLSStreamingSessionURL)
	if err != nil {
		b.Fatal(err)
	}
	return url.QueryEscape(u.Query().Get("SessionToken"))
}
