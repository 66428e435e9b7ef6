package container

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the Matroska fixtures in ../testdata")

// The store's and the API's tests (engine/video, engine/kinesisvideoapi) cannot build Matroska the way these tests
// do, with the demuxer's own types, so they read these fixtures; this test keeps them what the builders make:
// go test ./engine/video/container -run TestMatroskaFixtures -update rewrites them.
var fixtureEpoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func matroskaFixtures(t *testing.T) map[string][]byte {
	return map[string][]byte{
		// the sample as the KVS producer SDK sends it, absolute timecodes from fixtureEpoch, 1 ms timecode scale
		"kvs.mkv": kvsStream(t, fixtureEpoch, 1_000_000),
		// the same a minute later, as a producer that restarted sends it
		"kvs-later.mkv": kvsStream(t, fixtureEpoch.Add(time.Minute), 1_000_000),
		// a WebM header and one VP8 track: a codec KVS's HLS cannot serve
		"vp8.webm": append(ebmlHeader("webm"), el(idSegment, tracksOf(&mkvTrack{number: 1, kind: trackVideo, codec: "V_VP8"}))...),
	}
}

func TestMatroskaFixtures(t *testing.T) {
	for name, want := range matroskaFixtures(t) {
		path := filepath.Join("..", "testdata", name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (make it with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what the builders make now: rewrite it with -update", path)
		}
	}
}
