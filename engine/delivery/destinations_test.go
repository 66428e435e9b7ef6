package delivery

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/golang/snappy"

	"github.com/shardlab/shardlab/engine"
)

func newStream(t *testing.T, eng *engine.Engine, name string, shards int) {
	t.Helper()
	if err := eng.CreateStream(bg, engine.CreateStreamInput{StreamName: name, ShardCount: &shards}); err != nil {
		t.Fatal(err)
	}
}

// TestCSVConversionAndCodecs: JSON records become CSV lines in the given columns, in snappy-framed and zip
// objects that the standard readers open.
func TestCSVConversionAndCodecs(t *testing.T) {
	for _, codec := range []string{"snappy", "zip"} {
		t.Run(codec, func(t *testing.T) {
			eng := openEngine(t, "")
			newStream(t, eng, "events", 1)
			putEvents(t, eng, 0, 50)
			dir := t.TempDir()
			d, err := Start(eng, Spec{Name: "csv", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
				Processors: []Processor{{Kind: Convert, Format: "csv", Columns: []string{"n", "user", "missing"}},
					{Kind: Compress, Codec: codec}},
				Buffer: Buffer{IntervalSeconds: zero()}, Destinations: []Destination{{Kind: Folder, Path: dir}}})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "50 delivered", func() bool { return d.Metrics().Delivered == 50 })
			d.Stop(bg)
			var text strings.Builder
			filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
				if err != nil || info.IsDir() {
					return err
				}
				if !strings.HasSuffix(path, codecExt[codec]) {
					t.Fatalf("object %s without %s", path, codecExt[codec])
				}
				raw, _ := os.ReadFile(path)
				switch codec {
				case "snappy":
					b, err := io.ReadAll(snappy.NewReader(bytes.NewReader(raw)))
					if err != nil {
						t.Fatalf("not snappy-framed: %v", err)
					}
					text.Write(b)
				case "zip":
					zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
					if err != nil || len(zr.File) != 1 {
						t.Fatalf("not a one-file zip: %v", err)
					}
					f, _ := zr.File[0].Open()
					b, _ := io.ReadAll(f)
					text.Write(b)
				}
				return nil
			})
			got := strings.Split(strings.TrimSpace(text.String()), "\n")
			if len(got) != 50 || !strings.Contains(text.String(), "7,u1,\n") {
				t.Fatalf("CSV lines: %d, e.g. %q", len(got), got[0])
			}
		})
	}
}

// TestStreamDestination: a delivery that filters one stream into another, keeping partition keys.
func TestStreamDestination(t *testing.T) {
	eng := openEngine(t, "")
	newStream(t, eng, "events", 2)
	newStream(t, eng, "slow", 1)
	putEvents(t, eng, 0, 200)
	d, err := Start(eng, Spec{Name: "fan", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Processors: []Processor{{Kind: Filter, Expr: `data.path == "/p/3"`}}, Buffer: Buffer{IntervalSeconds: zero()},
		Destinations: []Destination{{Kind: Stream, Stream: "slow", ErrorFolder: t.TempDir()}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "40 delivered", func() bool { return d.Metrics().Delivered == 40 })
	d.Stop(bg)
	it, _ := eng.GetShardIterator(bg, engine.GetShardIteratorInput{StreamRef: engine.StreamRef{StreamName: "slow"},
		ShardId: "shardId-000000000000", ShardIteratorType: engine.IteratorTrimHorizon})
	out, err := eng.GetRecords(bg, engine.GetRecordsInput{ShardIterator: it})
	if err != nil || len(out.Records) != 40 || !strings.HasPrefix(out.Records[0].PartitionKey, "k") {
		t.Fatalf("slow holds %d records (%v)", len(out.Records), err)
	}
	if err := (Spec{Name: "loop", Source: Source{Stream: "events"}, Destinations: []Destination{{Kind: Stream,
		Stream: "events", ErrorFolder: "x"}}}).Validate(); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Fatalf("a stream delivering into itself: %v", err)
	}
}

// TestHTTPEndpoints: Firehose's HTTP endpoint format (request id echoed, base64 records), Splunk HEC events and a
// _bulk body reach servers that check them; a _bulk answer with errors fails the batch into the error folder.
func TestHTTPEndpoints(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	bulkFails := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/firehose":
			var req struct {
				RequestID string `json:"requestId"`
				Records   []struct{ Data []byte }
			}
			if json.Unmarshal(body, &req) != nil || r.Header.Get("X-Amz-Firehose-Request-Id") != req.RequestID ||
				r.Header.Get("X-Amz-Firehose-Access-Key") != "secret" || !bytes.HasPrefix(req.Records[0].Data, []byte(`{"n":`)) {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			got["firehose"] += len(req.Records)
			json.NewEncoder(w).Encode(map[string]any{"requestId": req.RequestID, "timestamp": 1})
		case "/services/collector/event":
			if r.Header.Get("Authorization") != "Splunk token" {
				http.Error(w, "no token", http.StatusUnauthorized)
				return
			}
			sc := bufio.NewScanner(bytes.NewReader(body))
			for sc.Scan() {
				var ev struct{ Event map[string]any }
				if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Event["user"] == nil {
					http.Error(w, "bad event", http.StatusBadRequest)
					return
				}
				got["splunk"]++
			}
			w.Write([]byte(`{"text":"Success","code":0}`))
		case "/_bulk":
			lines := strings.Split(strings.TrimSpace(string(body)), "\n")
			if bulkFails {
				w.Write([]byte(`{"errors":true,"items":[{"index":{"status":429}}]}`))
				return
			}
			got["bulk"] += len(lines) / 2
			w.Write([]byte(`{"errors":false,"items":[]}`))
		}
	}))
	defer srv.Close()

	eng := openEngine(t, "")
	newStream(t, eng, "events", 1)
	putEvents(t, eng, 0, 30)
	one := 1
	errDir := t.TempDir()
	dests := []Destination{
		{Kind: HTTP, URL: srv.URL + "/firehose", AccessKey: "secret", ErrorFolder: errDir},
		{Kind: HTTP, URL: srv.URL + "/services/collector/event", Format: FormatSplunk, AccessKey: "token", ErrorFolder: errDir},
		{Kind: HTTP, URL: srv.URL + "/_bulk", Format: FormatBulk, Index: "events", ErrorFolder: errDir},
	}
	d, err := Start(eng, Spec{Name: "web", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Buffer: Buffer{IntervalSeconds: zero()}, RetrySeconds: &one, Destinations: dests})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "30 delivered to each", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got["firehose"] == 30 && got["splunk"] == 30 && got["bulk"] == 30
	})
	mu.Lock()
	bulkFails = true
	mu.Unlock()
	putEvents(t, eng, 30, 40)
	waitFor(t, "the refused _bulk batch in the error folder", func() bool { return d.Metrics().DeliveryFailed == 10 })
	d.Stop(bg)
	n := 0
	for path, lines := range readObjects(t, errDir) {
		if !strings.HasPrefix(path, "errors/delivery-failed/") {
			t.Fatalf("error object at %s", path)
		}
		n += len(lines)
	}
	if n != 10 {
		t.Fatalf("%d records in the error folder, want 10", n)
	}
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(zr)
	return string(out)
}
