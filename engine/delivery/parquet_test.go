package delivery

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/shardlab/shardlab/engine"
)

// readParquet opens every .parquet object under dir and returns its rows as maps, with the schema's columns.
func readParquet(t *testing.T, dir string) (rows []map[string]any, columns []string) {
	t.Helper()
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		b, _ := os.ReadFile(path)
		r := parquet.NewReader(bytes.NewReader(b))
		columns = nil
		for _, c := range r.Schema().Columns() {
			columns = append(columns, c[0])
		}
		for {
			row := map[string]any{}
			if err := r.Read(&row); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			rows = append(rows, row)
		}
		return nil
	})
	return rows, columns
}

// TestParquetConversion: records become rows of an inferred schema in Parquet files a reader opens; with a given
// schema, a record whose value does not fit goes to the error output with the column named.
func TestParquetConversion(t *testing.T) {
	eng := openEngine(t, "")
	newStream(t, eng, "events", 2)
	putEvents(t, eng, 0, 100)
	dir := t.TempDir()
	d, err := Start(eng, Spec{Name: "pq", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Transform, Expr: `{"user": data.user, "n": data.n, "half": data.n / 2, "odd": data.n % 2 == 1}`},
			{Kind: Convert, Format: "parquet"}},
		Buffer: Buffer{IntervalSeconds: zero()}, Destinations: []Destination{{Kind: Folder, Path: dir}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "100 delivered", func() bool {
		m := d.Metrics()
		if m.ProcessingFailed+m.DeliveryFailed > 0 {
			t.Fatalf("%+v", m)
		}
		return m.Delivered == 100
	})
	d.Stop(bg)
	rows, cols := readParquet(t, dir)
	if len(rows) != 100 || strings.Join(cols, ",") != "half,n,odd,user" {
		t.Fatalf("%d rows, columns %v", len(rows), cols)
	}
	seen := map[float64]bool{}
	for _, r := range rows {
		n, ok := r["n"].(float64) // inferred numbers are doubles
		if !ok || r["user"] == nil || r["odd"] != (int(n)%2 == 1) || r["half"] != n/2 {
			t.Fatalf("row %v", r)
		}
		seen[n] = true
	}
	if len(seen) != 100 {
		t.Fatalf("%d distinct rows", len(seen))
	}

	// A given schema: "user" as an int cannot hold "u1".
	dir2 := t.TempDir()
	d, err = Start(eng, Spec{Name: "pq2", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Convert, Format: "parquet", Schema: []Column{{"n", ColumnInt}, {"user", ColumnInt}}}},
		Buffer:     Buffer{IntervalSeconds: zero()}, Destinations: []Destination{{Kind: Folder, Path: dir2}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every record failed", func() bool { return d.Metrics().ProcessingFailed == 100 })
	d.Stop(bg)
	for path, lines := range readObjects(t, dir2) {
		if !strings.HasPrefix(path, "errors/processing-failed/") || !strings.Contains(lines[0], "column user (int)") {
			t.Fatalf("%s: %q", path, lines[0])
		}
	}
	if err := (Spec{Name: "bad", Source: Source{Stream: "s"}, Processors: []Processor{{Kind: Convert, Format: "parquet"},
		{Kind: Compress, Codec: "gzip"}}, Destinations: []Destination{{Kind: Folder, Path: "x"}}}).Validate(); err == nil {
		t.Fatal("gzip after Parquet was accepted")
	}
}
