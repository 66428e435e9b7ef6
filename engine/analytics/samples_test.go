package analytics

import (
	"bufio"
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/recordexpr"
	"github.com/shardlab/shardlab/samples"
)

// sampleData is the sample file each sample application's input stream is fed from (by a replay or the load
// generator's sample template).
var sampleData = map[string]string{
	"clickstream": "clickstream-events.ndjson",
	"iot":         "iot-readings.ndjson",
	"access-logs": "access.log",
}

// TestSampleApplicationsRunOnTheSampleData: every sample application validates, and each of its queries gives
// rows, without a single failing record, over the sample data it is written for.
func TestSampleApplicationsRunOnTheSampleData(t *testing.T) {
	names, err := fs.Glob(samples.FS, "analytics/*.json")
	if err != nil || len(names) < 3 {
		t.Fatalf("sample applications %v, %v", names, err)
	}
	for _, name := range names {
		b, _ := samples.FS.ReadFile(name)
		spec, err := ParseApp(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(name, "analytics/"+spec.Name) {
			t.Fatalf("%s holds %s", name, spec.Name)
		}
		data, err := samples.FS.ReadFile(sampleData[spec.Source.Stream])
		if err != nil {
			t.Fatalf("%s: no sample data for %s", name, spec.Source.Stream)
		}
		for _, qs := range spec.Queries {
			runOnSample(t, name+" "+qs.Name, qs.Text, data)
		}
	}
}

// The query the app's Analytics screen and docs/analytics.md show as the example gives rows on its sample.
func TestExampleQueriesRunOnTheirSamples(t *testing.T) {
	for _, ex := range samples.Queries {
		data, err := samples.FS.ReadFile(ex.File)
		if err != nil {
			t.Fatal(err)
		}
		runOnSample(t, ex.Text, ex.Text, data)
	}
}

// runOnSample runs a query over a sample file's lines and fails unless it gives rows with no record failing.
func runOnSample(t *testing.T, what, text string, data []byte) {
	t.Helper()
	p, err := Compile(text)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	q := newQuery(p)
	var run recordexpr.Runner
	var arena evalArena
	var ins []input
	failed := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	// arrival times 10 ms apart, as a replay at 100 records/s would give
	arrival := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for i := 0; sc.Scan(); i++ {
		line := append([]byte(nil), sc.Bytes()...)
		rec := recordexpr.NewRecord(line, "k", "1", "shardId-0", arrival.Add(time.Duration(i)*10*time.Millisecond))
		if p.parse != nil {
			p.parse(line, &rec)
		}
		run.Bind(&rec)
		in, ok, err := p.eval(&run, &rec, &arena)
		if err != nil {
			failed++
			t.Logf("%s: %v", what, err)
			continue
		}
		if ok {
			in.shard = "shardId-0"
			ins = append(ins, in)
		}
	}
	q.add(nil, ins, arrival)
	rows, _ := q.advance(time.Now().Add(24 * time.Hour))
	if failed > 0 || len(rows) == 0 || q.stats.Errors > 0 {
		t.Fatalf("%s: %d rows from %d records, %d failed, %d aggregate errors (%s)", what,
			len(rows), len(ins), failed, q.stats.Errors, q.stats.LastError)
	}
}
