package dashboard

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestSampleFilesOfferOnlyText: the producers' sample-file choice lists the line files, not the video sample.
func TestSampleFilesOfferOnlyText(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(data, "samples")
	os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755)
	for _, name := range []string{"events.ndjson", "access.log", "testpattern.ts"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x\n"), 0o644)
	}
	got := sampleFiles(data, dir)
	want := []string{filepath.Join("samples", "access.log"), filepath.Join("samples", "events.ndjson")}
	if !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}
