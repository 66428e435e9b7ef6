package video

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Test media in testdata: testsrc.mkv is ten seconds of ffmpeg's test pattern in Matroska (see
// container/matroska_test.go for how it was made); kvs.mkv, kvs-later.mkv and vp8.webm are made from it by
// container's builders (container.TestMatroskaFixtures keeps them current).

// fixtureEpoch is where kvs.mkv's absolute timecodes start; kvs-later.mkv starts a minute later.
var fixtureEpoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func testMedia(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sampleMKV(t testing.TB) []byte { return testMedia(t, "testsrc.mkv") }
