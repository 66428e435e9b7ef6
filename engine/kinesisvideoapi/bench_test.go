package kinesisvideoapi

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
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/engine/video/container"
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
func BenchmarkIngest1080p(b *testing.B) { benchmarkIngest(b, clip1080p(b)) }

// BenchmarkIngest1080pMatroska: the same clip remuxed into Matroska, as KVS producers send it; on top of the
// MPEG-TS path it costs reading EBML and rewriting each frame (AVCC to Annex B) and PES headers.
func BenchmarkIngest1080pMatroska(b *testing.B) { benchmarkIngest(b, clip1080pMKV(b)) }

func benchmarkIngest(b *testing.B, data []byte) {
	eng := openEngineB(b)
	s, _ := video.Open(eng)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		name := fmt.Sprint("cam", i)
		if _, err := s.CreateStream(video.CreateInput{Name: name, RetentionHours: 1}); err != nil {
			b.Fatal(err)
		}
		if err := s.Ingest(context.Background(), name, bytes.NewReader(data), time.Now(), func(video.Ack) {}); err != nil {
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
	s, _ := video.Open(eng)
	if _, err := s.CreateStream(video.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		b.Fatal(err)
	}
	if err := s.Ingest(context.Background(), "cam", bytes.NewReader(data), time.Now(), func(video.Ack) {}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(Handler{Store: s})
	defer srv.Close()
	token := sessionToken(b, srv, "cam")
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

// sessionToken asks the server for a LIVE session of a stream and returns its token.
func sessionToken(b *testing.B, srv *httptest.Server, stream string) string {
	b.Helper()
	resp, err := http.Post(srv.URL+"/getHLSStreamingSessionURL", "application/json",
		strings.NewReader(`{"StreamName":"`+stream+`","PlaybackMode":"LIVE"}`))
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

// BenchmarkLiveLatency: a producer sends the 20 s 1080p clip at real time (each frame when its decode time comes)
// through PutMedia over loopback, while a player's poll of the LIVE HLS playlist (fetched over loopback each time
// Store.NewFragment fires) notes when each fragment is listed. Per fragment it reports the time from when the
// fragment could be cut (the next key frame's bytes written; for the last, the body closed) to its listing, and
// from its first frame's first byte sent to its listing, which is bounded below by the fragment's duration. The
// target is first-frame-to-listed ≤ fragment duration + 500 ms, i.e. over-duration-max-ms ≤ 500. Sub-benchmarks:
// the clip as MPEG-TS, and remuxed (ffmpeg -c copy) into Matroska as KVS producers send it.
func BenchmarkLiveLatency(b *testing.B) {
	clip := clip1080p(b)
	b.Run("mpegts", func(b *testing.B) { liveLatency(b, tsUnits(b, clip)) })
	b.Run("matroska", func(b *testing.B) { liveLatency(b, mkvUnits(b, clip1080pMKV(b))) })
}

// mediaUnit is what a real-time producer sends at one instant: one video frame (with what precedes it in the
// stream), due at its decode time from the stream's start.
type mediaUnit struct {
	data []byte
	due  time.Duration
	key  bool
}

func liveLatency(b *testing.B, units []mediaUnit) {
	eng := openEngineB(b)
	s, _ := video.Open(eng)
	srv := httptest.NewServer(Handler{Store: s})
	defer srv.Close()
	var sinceCut, sinceFirst, over []time.Duration
	for i := range b.N {
		name := fmt.Sprint("live", i)
		if _, err := s.CreateStream(video.CreateInput{Name: name, RetentionHours: 1}); err != nil {
			b.Fatal(err)
		}
		playlist := fmt.Sprintf("%s/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=%s", srv.URL, sessionToken(b, srv, name))
		listed := map[uint64]time.Time{}
		stop, watched := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(watched)
			for {
				woken := s.NewFragment(name) // before fetching, so a fragment stored meanwhile still wakes us
				if resp, err := http.Get(playlist); err == nil {
					text, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					now := time.Now()
					for _, line := range strings.Split(string(text), "\n") {
						if _, n, ok := strings.Cut(line, "FragmentNumber="); ok {
							num, _ := strconv.ParseUint(n, 10, 64)
							if _, seen := listed[num]; !seen {
								listed[num] = now
							}
						}
					}
				}
				select {
				case <-woken:
				case <-stop:
					return
				}
			}
		}()
		pr, pw := io.Pipe()
		req, _ := http.NewRequest("POST", srv.URL+"/putMedia", pr)
		req.Header.Set("x-amzn-stream-name", name)
		putDone := make(chan error)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			putDone <- err
		}()
		var firstSent, keyWritten []time.Time
		var keyDue []time.Duration
		start := time.Now()
		for _, u := range units {
			time.Sleep(time.Until(start.Add(u.due)))
			if u.key {
				firstSent, keyDue = append(firstSent, time.Now()), append(keyDue, u.due)
			}
			if _, err := pw.Write(u.data); err != nil {
				b.Fatal(err)
			}
			if u.key {
				keyWritten = append(keyWritten, time.Now())
			}
		}
		pw.Close()
		end := time.Now()
		if err := <-putDone; err != nil {
			b.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); fragmentCount(s, name) < len(firstSent) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // the watcher's fetch after the last fragment
		close(stop)
		<-watched
		if len(listed) != len(firstSent) {
			b.Fatalf("%d fragments listed, %d key frames sent", len(listed), len(firstSent))
		}
		mediaEnd := units[len(units)-1].due + units[len(units)-1].due/time.Duration(len(units)-1)
		for k := range firstSent {
			at := listed[uint64(k+1)]
			cut, dur := end, mediaEnd-keyDue[k]
			if k+1 < len(firstSent) {
				cut, dur = keyWritten[k+1], keyDue[k+1]-keyDue[k]
			}
			sinceCut = append(sinceCut, at.Sub(cut))
			sinceFirst = append(sinceFirst, at.Sub(firstSent[k]))
			over = append(over, at.Sub(firstSent[k])-dur)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(sinceCut, 50)), "cut-to-listed-p50-ms")
	b.ReportMetric(ms(percentile(sinceCut, 100)), "cut-to-listed-max-ms")
	b.ReportMetric(ms(percentile(sinceFirst, 50)), "first-frame-to-listed-p50-ms")
	b.ReportMetric(ms(percentile(sinceFirst, 100)), "first-frame-to-listed-max-ms")
	b.ReportMetric(ms(percentile(over, 100)), "over-duration-max-ms")
	b.ReportMetric(float64(len(sinceCut)/b.N), "fragments")
}

// fragmentCount is how many fragments a stream has had.
func fragmentCount(s *video.Store, name string) int {
	st, _ := s.DescribeStream(name)
	return int(st.NextFragment - 1)
}

func percentile(ds []time.Duration, p int) time.Duration {
	sorted := slices.Sorted(slices.Values(ds))
	return sorted[min(len(sorted)-1, (len(sorted)*p)/100)]
}

// tsUnits splits MPEG-TS before each video PES, due at its decode time (its presentation time when it has none);
// key frames are the PES packets ffmpeg flags as random access points.
func tsUnits(b *testing.B, data []byte) []mediaUnit {
	var units []mediaUnit
	videoPID, start := -1, 0
	var first time.Duration
	for off := 0; off+188 <= len(data); off += 188 {
		p := data[off : off+188]
		pid := int(p[1]&0x1F)<<8 | int(p[2])
		payload, rai := 4, false
		if p[3]&0x20 != 0 {
			payload = 5 + int(p[4])
			rai = p[4] > 0 && p[5]&0x40 != 0
		}
		if p[1]&0x40 == 0 || p[3]&0x10 == 0 || payload+19 > 188 {
			continue
		}
		pes := p[payload:]
		if pes[0] != 0 || pes[1] != 0 || pes[2] != 1 || pes[3]&0xF0 != 0xE0 || (videoPID >= 0 && pid != videoPID) {
			continue
		}
		videoPID = pid
		clock := pes[9:14]
		if pes[7]>>6 == 3 {
			clock = pes[14:19]
		}
		due := time.Duration(int64(clock[0]>>1&7)<<30|int64(clock[1])<<22|int64(clock[2]>>1)<<15|int64(clock[3])<<7|int64(clock[4]>>1)) * time.Second / 90000
		if len(units) == 0 {
			first = due
		} else {
			units[len(units)-1].data, start = data[start:off], off
		}
		units = append(units, mediaUnit{due: due - first, key: rai})
	}
	if len(units) < 2 {
		b.Fatal("no video frames in the clip")
	}
	units[len(units)-1].data = data[start:]
	return units
}

// clip1080pMKV is the 1080p clip remuxed into Matroska (once per run).
func clip1080pMKV(b *testing.B) []byte {
	b.Helper()
	clip1080p(b)
	path := filepath.Join(os.TempDir(), "shardlab-bench-1080p.mkv")
	if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
		return data
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i",
		filepath.Join(os.TempDir(), "shardlab-bench-1080p.ts"), "-c", "copy", "-f", "matroska", path).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v %s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// mkvUnits splits Matroska before each block, due at its timestamp (the clip has no B-frames, so that is its
// decode time too; ffmpeg writes millisecond timecodes).
func mkvUnits(b *testing.B, data []byte) []mediaUnit {
	split, err := container.MatroskaUnits(data)
	if err != nil {
		b.Fatal(err)
	}
	units := make([]mediaUnit, len(split))
	for i, u := range split {
		units[i] = mediaUnit{data: u.Data, due: u.Due, key: u.Key}
	}
	return units
}
