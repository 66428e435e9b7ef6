package kinesisvideoapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/samples"
)

func post(t *testing.T, srv *httptest.Server, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestAPIIngestListAndPlayOverHLS: a stream made through the API takes the sample through PutMedia (one
// acknowledgement per line), lists its fragments, and plays back over HLS — ffprobe, a plain HLS client, reads
// every frame of the ON_DEMAND session.
func TestAPIIngestListAndPlayOverHLS(t *testing.T) {
	eng := openEngine(t, filepath.Join(t.TempDir(), "shardlab.db"))
	store, err := video.Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler{Store: store})
	defer srv.Close()
	if code, out := post(t, srv, "/createStream", map[string]any{"StreamName": "cam", "DataRetentionInHours": 2, "MediaType": "video/h264"}); code != 200 || out["StreamARN"] == "" {
		t.Fatalf("create: %d %v", code, out)
	}
	if code, out := post(t, srv, "/createStream", map[string]any{"StreamName": "bad name"}); code != 400 || !strings.Contains(out["message"].(string), "StreamName") {
		t.Fatalf("bad name: %d %v", code, out)
	}
	data, _ := samples.FS.ReadFile("testpattern.ts")
	req, _ := http.NewRequest("POST", srv.URL+"/putMedia", bytes.NewReader(data))
	req.Header.Set("x-amzn-stream-name", "cam")
	req.Header.Set("x-amzn-producer-start-timestamp", "1764158400")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	persisted := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var ack map[string]any
		json.Unmarshal(sc.Bytes(), &ack)
		if ack["EventType"] == video.AckPersisted {
			persisted++
		}
	}
	resp.Body.Close()
	if persisted != 5 {
		t.Fatalf("%d PERSISTED acks", persisted)
	}
	if _, out := post(t, srv, "/listFragments", map[string]any{"StreamName": "cam"}); len(out["Fragments"].([]any)) != 5 {
		t.Fatalf("fragments %v", out)
	}
	code, out := post(t, srv, "/getHLSStreamingSessionURL", map[string]any{"StreamName": "cam", "PlaybackMode": "ON_DEMAND",
		"HLSFragmentSelector": map[string]any{"TimestampRange": map[string]any{"StartTimestamp": 1764158400, "EndTimestamp": 1764158460}}})
	hlsURL, _ := out["HLSStreamingSessionURL"].(string)
	if code != 200 || hlsURL == "" {
		t.Fatalf("session: %d %v", code, out)
	}
	media, err := http.Get(strings.Replace(hlsURL, "getHLSMasterPlaylist", "getHLSMediaPlaylist", 1))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(media.Body)
	media.Body.Close()
	if !strings.Contains(string(text), "#EXT-X-ENDLIST") || strings.Count(string(text), "getTSFragment.ts") != 5 {
		t.Fatalf("media playlist:\n%s", text)
	}
	if _, err := exec.LookPath("ffprobe"); err == nil {
		out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
			"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", hlsURL).Output()
		if first, _, _ := strings.Cut(string(out), "\n"); err != nil || first != "250" {
			t.Fatalf("ffprobe over HLS: %q %v", out, err)
		}
	}
	bad, _ := http.Get(srv.URL + "/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=nonsense")
	if bad.StatusCode != 400 {
		t.Fatalf("a made-up session: %d", bad.StatusCode)
	}
	bad.Body.Close()
	req, _ = http.NewRequest("POST", srv.URL+"/putMedia", strings.NewReader("not a transport stream"))
	req.Header.Set("x-amzn-stream-name", "cam")
	resp, _ = http.DefaultClient.Do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"EventType":"ERROR"`) {
		t.Fatalf("garbage put: %s", body)
	}
	if !IsAPIPath("/hls/v1/getTSFragment.ts") || !IsAPIPath("/putMedia") || IsAPIPath("/") {
		t.Fatal("IsAPIPath")
	}
}

// putMedia posts a body to PutMedia with extra headers and returns the status and the acknowledgements.
func putMedia(t *testing.T, srv *httptest.Server, body []byte, headers map[string]string) (int, []map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/putMedia", bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var acks []map[string]any
	dec := json.NewDecoder(resp.Body)
	for {
		var ack map[string]any
		if dec.Decode(&ack) != nil {
			return resp.StatusCode, acks
		}
		acks = append(acks, ack)
	}
}

// TestAPIPutMediaMatroska: PutMedia takes Matroska as KVS producers send it, with ABSOLUTE timecodes, and a target
// fragment duration from its header; a bad header is refused before any media is read.
func TestAPIPutMediaMatroska(t *testing.T) {
	s, _ := newStore(t, "cam", "kvs")
	srv := httptest.NewServer(Handler{Store: s})
	defer srv.Close()
	count := func(acks []map[string]any, event string) int {
		n := 0
		for _, a := range acks {
			if a["EventType"] == event {
				n++
			}
		}
		return n
	}
	code, acks := putMedia(t, srv, sampleMKV(t), map[string]string{"x-amzn-stream-name": "cam", HeaderFragmentDuration: "4000"})
	if code != 200 || count(acks, video.AckPersisted) != 3 || count(acks, video.AckReceived) != 3 {
		t.Fatalf("%d %v", code, acks)
	}
	epoch := fixtureEpoch
	_, acks = putMedia(t, srv, testMedia(t, "kvs.mkv"), map[string]string{"x-amzn-stream-name": "kvs",
		"x-amzn-fragment-timecode-type": "ABSOLUTE"})
	if count(acks, video.AckPersisted) != 5 || acks[0]["FragmentTimecode"] != float64(epoch.UnixMilli()+21) {
		t.Fatalf("%v", acks)
	}
	frags, _ := s.ListFragments("kvs", time.Time{}, time.Time{})
	if len(frags) != 5 || !frags[1].ProducerTimestamp.Equal(epoch.Add(2021*time.Millisecond)) {
		t.Fatalf("%+v", frags)
	}
	for _, c := range []struct{ header, value, say string }{
		{HeaderFragmentDuration, "500", "1000–20000"},
		{HeaderFragmentDuration, "2s", "1000–20000"},
		{"x-amzn-fragment-timecode-type", "UTC", "ABSOLUTE or RELATIVE"},
	} {
		code, acks := putMedia(t, srv, sampleMKV(t), map[string]string{"x-amzn-stream-name": "cam", c.header: c.value})
		if code != 400 || len(acks) != 1 || !strings.Contains(acks[0]["message"].(string), c.header) || !strings.Contains(acks[0]["message"].(string), c.say) {
			t.Fatalf("%s: %s: %d %v", c.header, c.value, code, acks)
		}
	}
	_, acks = putMedia(t, srv, testMedia(t, "vp8.webm"),
		map[string]string{"x-amzn-stream-name": "cam"})
	if len(acks) != 1 || acks[0]["ErrorCode"] != video.ErrorInvalidMKVData || acks[0]["ErrorId"] != float64(4006) || !strings.Contains(acks[0]["Message"].(string), "V_VP8") {
		t.Fatalf("vp8: %v", acks)
	}
}

// TestAPIGetMedia: POST /getMedia streams the fragments from its start selector on as MPEG-TS that ffprobe reads
// whole, follows the stream while fragments come, ends when it idles with a continuation token in a trailer that
// resumes after it, and refuses a bad selector naming the field.
func TestAPIGetMedia(t *testing.T) {
	s, _ := newStore(t, "cam")
	srv := httptest.NewServer(Handler{Store: s, GetMediaIdle: 300 * time.Millisecond})
	defer srv.Close()
	data, _ := samples.FS.ReadFile("testpattern.ts")
	if err := s.Ingest(context.Background(), "cam", bytes.NewReader(data), time.Now(), func(video.Ack) {}); err != nil {
		t.Fatal(err)
	}
	get := func(body any) (*http.Response, []byte) {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := http.Post(srv.URL+"/getMedia", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		media, _ := io.ReadAll(resp.Body)
		return resp, media
	}
	resp, media := get(map[string]any{"StreamName": "cam", "StartSelector": map[string]any{"StartSelectorType": "EARLIEST"}})
	var want []byte
	for n := uint64(1); n <= 5; n++ {
		m, _ := s.FragmentMedia("cam", n)
		want = append(want, m...)
	}
	token := resp.Trailer.Get(HeaderContinuationToken)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/mp2t" || !bytes.Equal(media, want) || token != video.ContinuationToken("cam", 5) {
		t.Fatalf("EARLIEST: %d %s, %d bytes (want %d), token %q", resp.StatusCode, resp.Header.Get("Content-Type"), len(media), len(want), token)
	}
	if _, err := exec.LookPath("ffprobe"); err == nil {
		cmd := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", "-")
		cmd.Stdin = bytes.NewReader(media)
		out, err := cmd.Output()
		if first, _, _ := strings.Cut(string(out), "\n"); err != nil || first != "250" {
			t.Fatalf("ffprobe on GetMedia's body: %q %v", out, err)
		}
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.Ingest(context.Background(), "cam", bytes.NewReader(data), time.Now(), func(video.Ack) {})
	}()
	resp, media = get(map[string]any{"StreamARN": "arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam/1",
		"StartSelector": map[string]any{"StartSelectorType": "CONTINUATION_TOKEN", "ContinuationToken": token}})
	if token = resp.Trailer.Get(HeaderContinuationToken); token != video.ContinuationToken("cam", 10) || !bytes.Equal(media[:len(want)/5], want[:len(want)/5]) {
		t.Fatalf("resumed live: %d bytes, token %q", len(media), token)
	}
	_, media = get(map[string]any{"StreamName": "cam", "StartSelector": map[string]any{"StartSelectorType": "FRAGMENT_NUMBER", "AfterFragmentNumber": "9"}})
	if last, _ := s.FragmentMedia("cam", 10); !bytes.Equal(media, last) {
		t.Fatalf("after fragment 9: %d bytes", len(media))
	}
	for _, c := range []struct {
		body       map[string]any
		code       int
		kind, says string
	}{
		{map[string]any{"StreamName": "cam"}, 400, "InvalidArgumentException", "StartSelector: required"},
		{map[string]any{"StreamName": "cam", "StartSelector": map[string]any{"StartSelectorType": "LATEST"}}, 400, "InvalidArgumentException", "StartSelector.StartSelectorType"},
		{map[string]any{"StreamName": "cam", "StartSelector": map[string]any{"StartSelectorType": "FRAGMENT_NUMBER"}}, 400, "InvalidArgumentException", "StartSelector.AfterFragmentNumber"},
		{map[string]any{"StreamName": "cam", "StartSelector": map[string]any{"StartSelectorType": "FRAGMENT_NUMBER", "AfterFragmentNumber": "x"}}, 400, "InvalidArgumentException", "StartSelector.AfterFragmentNumber"},
		{map[string]any{"StreamName": "cam", "StartSelector": map[string]any{"StartSelectorType": "PRODUCER_TIMESTAMP"}}, 400, "InvalidArgumentException", "StartSelector.StartTimestamp"},
		{map[string]any{"StreamName": "nope", "StartSelector": map[string]any{"StartSelectorType": "NOW"}}, 404, "ResourceNotFoundException", "nope"},
	} {
		code, out := post(t, srv, "/getMedia", c.body)
		if code != c.code || out["__type"] != c.kind || !strings.Contains(out["message"].(string), c.says) {
			t.Fatalf("%v: %d %v", c.body, code, out)
		}
	}
}

// TestAPIListFragments: /listFragments selects by producer or server timestamp, pages by MaxResults and NextToken,
// and refuses what KVS refuses, naming the field.
func TestAPIListFragments(t *testing.T) {
	s, _ := newStore(t, "cam")
	srv := httptest.NewServer(Handler{Store: s})
	defer srv.Close()
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	infos := putSpaced(t, s, "cam", 5, base)
	secs := func(ts time.Time) float64 { return float64(ts.UnixNano()) / 1e9 }
	fragmentNumbers := func(out map[string]any) []string {
		var n []string
		for _, f := range out["Fragments"].([]any) {
			n = append(n, f.(map[string]any)["FragmentNumber"].(string))
		}
		return n
	}
	_, out := post(t, srv, "/listFragments", map[string]any{"StreamName": "cam", "FragmentSelector": map[string]any{
		"FragmentSelectorType": "SERVER_TIMESTAMP", "TimestampRange": map[string]any{
			"StartTimestamp": secs(infos[1].ServerTimestamp.Add(-time.Millisecond)), "EndTimestamp": secs(infos[3].ServerTimestamp.Add(time.Millisecond))}}})
	if got := fragmentNumbers(out); !slices.Equal(got, []string{"2", "3", "4"}) || out["NextToken"] != nil {
		t.Fatalf("by server time: %v", out)
	}
	_, out = post(t, srv, "/listFragments", map[string]any{"StreamName": "cam", "MaxResults": 2, "FragmentSelector": map[string]any{
		"FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": map[string]any{"StartTimestamp": secs(base.Add(-time.Hour)), "EndTimestamp": secs(base)}}})
	if got := fragmentNumbers(out); !slices.Equal(got, []string{"1", "2"}) || out["NextToken"] == nil {
		t.Fatalf("first page: %v", out)
	}
	_, out = post(t, srv, "/listFragments", map[string]any{"StreamName": "cam", "MaxResults": 2, "NextToken": out["NextToken"]})
	if got := fragmentNumbers(out); !slices.Equal(got, []string{"3", "4"}) {
		t.Fatalf("second page: %v", out)
	}
	for _, c := range []struct {
		body map[string]any
		says string
	}{
		{map[string]any{"StreamName": "cam", "MaxResults": 0}, "MaxResults: 0 is outside 1–1000"},
		{map[string]any{"StreamName": "cam", "MaxResults": 1001}, "MaxResults: 1001 is outside 1–1000"},
		{map[string]any{"StreamName": "cam", "NextToken": "nonsense"}, "NextToken"},
		{map[string]any{"StreamName": "cam", "FragmentSelector": map[string]any{"FragmentSelectorType": "SERVER_TIMESTAMP",
			"TimestampRange": map[string]any{"StartTimestamp": 1}}}, "FragmentSelector.TimestampRange"},
		{map[string]any{"StreamName": "cam", "FragmentSelector": map[string]any{"FragmentSelectorType": "ARRIVAL",
			"TimestampRange": map[string]any{"StartTimestamp": 1, "EndTimestamp": 2}}}, "FragmentSelector.FragmentSelectorType"},
	} {
		code, out := post(t, srv, "/listFragments", c.body)
		if code != 400 || out["__type"] != "InvalidArgumentException" || !strings.Contains(out["message"].(string), c.says) {
			t.Fatalf("%v: %d %v", c.body, code, out)
		}
	}
	if !IsAPIPath("/getMedia") {
		t.Fatal("/getMedia is not routed to the video API")
	}
}

// TestAPIStreamARNAndNoDataRetention: PutMedia finds its stream by ARN too; a stream that keeps no fragments has no
// HLS session to give, and says why as KVS does.
func TestAPIStreamARNAndNoDataRetention(t *testing.T) {
	s, _ := newStore(t)
	srv := httptest.NewServer(Handler{Store: s})
	defer srv.Close()
	cam, err := s.CreateStream(video.CreateInput{Name: "cam", RetentionHours: 1})
	if err != nil {
		t.Fatal(err)
	}
	clip, _ := samples.FS.ReadFile("testpattern.ts")
	status, acks := putMedia(t, srv, clip, map[string]string{"x-amzn-stream-arn": cam.ARN})
	if status != http.StatusOK || len(acks) != 15 || acks[14]["EventType"] != video.AckPersisted {
		t.Fatalf("PutMedia by ARN: %d, %v", status, acks)
	}
	if _, err := s.CreateStream(video.CreateInput{Name: "live-only"}); err != nil {
		t.Fatal(err)
	}
	status, out := post(t, srv, "/getHLSStreamingSessionURL", map[string]any{"StreamName": "live-only", "PlaybackMode": "LIVE"})
	if status != http.StatusBadRequest || out["__type"] != "NoDataRetentionException" {
		t.Fatalf("HLS of a stream without retention: %d %v", status, out)
	}
	if _, err := s.CreateStream(video.CreateInput{Name: "empty", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	status, out = post(t, srv, "/getHLSStreamingSessionURL", map[string]any{"StreamName": "empty", "PlaybackMode": "LIVE"})
	if status != http.StatusNotFound || out["__type"] != "ResourceNotFoundException" {
		t.Fatalf("LIVE on a stream without fragments: %d %v", status, out)
	}
	status, out = post(t, srv, "/getHLSStreamingSessionURL", map[string]any{"StreamName": "cam", "PlaybackMode": "LIVE_REPLAY",
		"HLSFragmentSelector": map[string]any{"FragmentSelectorType": "SERVER_TIMESTAMP", "TimestampRange": map[string]any{"StartTimestamp": 1}}})
	if msg, _ := out["message"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "FragmentSelectorType") {
		t.Fatalf("HLS by server time: %d %v", status, out)
	}
}

// TestAPIRefusedPutMediaLeavesTheServerWhole: a body refused part way is closed before the handler returns; the
// server does not panic reading on for the next request (golang/go#68560), and the next request is served.
func TestAPIRefusedPutMediaLeavesTheServerWhole(t *testing.T) {
	s, _ := newStore(t, "cam")
	srv := httptest.NewUnstartedServer(Handler{Store: s})
	var logged bytes.Buffer
	var mu sync.Mutex
	srv.Config.ErrorLog = log.New(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), "", 0)
	srv.Start()
	defer srv.Close()
	garbage := bytes.Repeat([]byte{0x57, 0x27, 0xfd, 0x30}, 1250) // 5 KB of not media
	for range 3 {
		status, acks := putMedia(t, srv, garbage, map[string]string{"x-amzn-stream-name": "cam"})
		if status != http.StatusOK || len(acks) != 1 || acks[0]["EventType"] != video.AckError {
			t.Fatalf("garbage: %d %v", status, acks)
		}
	}
	clip, _ := samples.FS.ReadFile("testpattern.ts")
	if _, acks := putMedia(t, srv, clip, map[string]string{"x-amzn-stream-name": "cam"}); len(acks) != 15 {
		t.Fatalf("the sample after refused bodies: %d acks", len(acks))
	}
	time.Sleep(100 * time.Millisecond) // a panic in the connection's goroutine is logged after the response
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logged.String(), "panic") {
		t.Fatalf("the server panicked:\n%s", logged.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
