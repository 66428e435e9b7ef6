package samples_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/recordexpr"
	"github.com/shardlab/shardlab/samples"
)

// Every filter the app and the docs show evaluates on every record of its sample file without an error, and
// matches some of them but not all (a filter that matches everything shows nothing).
func TestExampleFiltersRunOnTheirSamples(t *testing.T) {
	for _, ex := range samples.Filters {
		f, err := recordexpr.CompileFilter(ex.Text)
		if err != nil {
			t.Fatalf("%s: %v", ex.Text, err)
		}
		data, err := samples.FS.ReadFile(ex.File)
		if err != nil {
			t.Fatal(err)
		}
		matched, total := 0, 0
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := sc.Bytes()
			var rec struct{ User string }
			json.Unmarshal(line, &rec) // the sample producer keys each record by its user
			ok, err := f.Match(recordexpr.NewRecord(line, rec.User, "1", "shardId-000000000000", time.Now()))
			if err != nil {
				t.Fatalf("%s fails on a record of %s: %v\n%s", ex.Text, ex.File, err, line)
			}
			total++
			if ok {
				matched++
			}
		}
		if matched == 0 || matched == total {
			t.Errorf("%s matches %d of %d records of %s", ex.Text, matched, total, ex.File)
		}
	}
}

// Each doc that quotes an example quotes it as the code holds it (or JSON-escaped, inside a JSON spec).
func TestDocsQuoteTheTestedExamples(t *testing.T) {
	for _, ex := range append(samples.Filters, samples.Queries...) {
		escaped, _ := json.Marshal(ex.Text)
		for _, doc := range ex.Docs {
			b, err := os.ReadFile(filepath.Join("..", doc))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), ex.Text) && !strings.Contains(string(b), strings.Trim(string(escaped), `"`)) {
				t.Errorf("%s does not quote the example %s", doc, ex.Text)
			}
		}
	}
}
