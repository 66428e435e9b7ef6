package delivery

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/samples"
)

// TestSamplePipelinesValidate: every sample pipeline in samples/pipelines parses, validates and compiles.
func TestSamplePipelinesValidate(t *testing.T) {
	names, err := fs.Glob(samples.FS, "pipelines/*.json")
	if err != nil || len(names) != 3 {
		t.Fatalf("sample pipelines %v, %v", names, err)
	}
	for _, name := range names {
		b, _ := samples.FS.ReadFile(name)
		spec, err := ParseSpec(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := compile(spec); err != nil || !strings.HasPrefix(name, "pipelines/"+spec.Name) {
			t.Fatalf("%s (%s): %v", name, spec.Name, err)
		}
	}
}
