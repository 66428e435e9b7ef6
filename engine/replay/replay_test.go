package replay

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

func openEngine(t *testing.T) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

func create(t *testing.T, eng *engine.Engine, name string, shards int) {
	t.Helper()
	if err := eng.CreateStream(context.Background(), engine.CreateStreamInput{StreamName: name, ShardCount: &shards}); err != nil {
		t.Fatal(err)
	}
}

func TestCaptureLinesKeepDataByteForByte(t *testing.T) {
	for _, data := range [][]byte{
		[]byte(`{"a":1,"b":[true,null]}`),        // compact JSON: inlined
		[]byte("{\n  \"pretty\": true\n}"),       // JSON, not compact: text
		[]byte("GET /index.html 200 \"quoted\""), // text
		{0xff, 0x00, 0xfe, '\n'},                 // binary: base64
		[]byte(""),                               // empty
		[]byte(`"a json string"`),                // compact JSON scalar
		[]byte("héllo wörld ✓"),                  // UTF-8 text
	} {
		line := AppendLine(nil, Record{Shard: "shardId-000000000001", Seq: "49123", Key: "k\"ey", Arrival: time.UnixMilli(1764147601022), Data: data})
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
			t.Fatalf("%q: not one line: %q", data, line)
		}
		r, err := ParseLine(line)
		if err != nil {
			t.Fatalf("%q: %v (line %s)", data, err, line)
		}
		if !bytes.Equal(r.Data, data) || r.Key != "k\"ey" || r.Seq != "49123" || !r.Arrival.Equal(time.UnixMilli(1764147601022)) {
			t.Errorf("%q came back as %+v", data, r)
		}
	}
}

// putRecords puts n records of mixed kinds with keys cycling over 37 values.
func putRecords(t *testing.T, eng *engine.Engine, stream string, n int) {
	t.Helper()
	var entries []engine.PutRecordsEntry
	for i := range n {
		var data []byte
		switch i % 3 {
		case 0:
			data = fmt.Appendf(nil, `{"i":%d,"msg":"hello"}`, i)
		case 1:
			data = fmt.Appendf(nil, "line %d with\ttab", i)
		default:
			data = []byte{byte(i), 0xff, 0x00, byte(i >> 8)}
		}
		entries = append(entries, engine.PutRecordsEntry{Data: data, PartitionKey: fmt.Sprint("key-", i%37)})
		if len(entries) == 500 || i == n-1 {
			if _, err := eng.PutRecords(context.Background(), engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: stream}, Records: entries}); err != nil {
				t.Fatal(err)
			}
			entries = nil
		}
	}
}

// perShard groups a capture's records by shard: key and data in order.
func perShard(t *testing.T, capture []byte) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for i, line := range bytes.Split(bytes.TrimSpace(capture), []byte("\n")) {
		r, err := ParseLine(line)
		if err != nil {
			t.Fatalf("capture line %d: %v", i+1, err)
		}
		out[r.Shard] = append(out[r.Shard], r.Key+"\x00"+string(r.Data))
	}
	return out
}

func TestCaptureReplayCaptureRoundTrip(t *testing.T) {
	eng := openEngine(t)
	ctx := context.Background()
	create(t, eng, "a", 4)
	create(t, eng, "b", 4)
	putRecords(t, eng, "a", 3000)

	var first bytes.Buffer
	var p CaptureProgress
	if err := Capture(ctx, eng, &first, CaptureOptions{Stream: "a", Gzip: true}, &p); err != nil {
		t.Fatal(err)
	}
	if p.Records.Load() != 3000 {
		t.Fatalf("captured %d records of 3000", p.Records.Load())
	}
	in, err := NewReader(bytes.NewReader(first.Bytes()), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Format() != FormatCapture {
		t.Fatalf("gzip capture read as %q", in.Format())
	}
	rp, _ := NewReplayer(eng, Options{Stream: "b"})
	if err := rp.Run(ctx, in); err != nil {
		t.Fatal(err)
	}
	if rp.P.Put.Load() != 3000 || len(in.Malformed()) != 0 {
		t.Fatalf("replayed %d, malformed %v", rp.P.Put.Load(), in.Malformed())
	}
	var second bytes.Buffer
	if err := Capture(ctx, eng, &second, CaptureOptions{Stream: "b"}, nil); err != nil {
		t.Fatal(err)
	}
	gz, _ := gzip.NewReader(&first)
	plain, _ := io.ReadAll(gz)
	// Lines come in arrival order across shards, so a capture replays every shard together at its pace.
	var last time.Time
	for i, line := range bytes.Split(bytes.TrimSpace(plain), []byte("\n")) {
		r, _ := ParseLine(line)
		if r.Arrival.Before(last) {
			t.Fatalf("line %d arrived at %v, before the line above it (%v)", i+1, r.Arrival, last)
		}
		last = r.Arrival
	}
	a, b := perShard(t, plain), perShard(t, second.Bytes())
	if len(a) != 4 || len(b) != 4 {
		t.Fatalf("shards: %d and %d", len(a), len(b))
	}
	for shard, recs := range a {
		if strings.Join(recs, "\x01") != strings.Join(b[shard], "\x01") {
			t.Errorf("%s: %d records captured from a, %d from b, or their order or bytes differ", shard, len(recs), len(b[shard]))
		}
	}
}

func TestReplayKeepsTheInputsPaceTimesTheSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 3 s")
	}
	eng := openEngine(t)
	create(t, eng, "s", 2)
	// A 30-second capture: one record every 100 ms.
	var in bytes.Buffer
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for i := 0; i <= 300; i++ {
		in.Write(AppendLine(nil, Record{Shard: "shardId-000000000000", Seq: fmt.Sprint(i), Key: fmt.Sprint("k", i),
			Arrival: t0.Add(time.Duration(i) * 100 * time.Millisecond), Data: []byte("x")}))
	}
	rd, _ := NewReader(&in, ReaderOptions{})
	rp, _ := NewReplayer(eng, Options{Stream: "s", Speed: 10})
	start := time.Now()
	if err := rp.Run(context.Background(), rd); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if want := 3 * time.Second; took < want*95/100 || took > want*105/100 {
		t.Errorf("a 30 s capture at 10x took %v, want 3 s ± 5 %%", took)
	}
	if rp.P.Put.Load() != 301 {
		t.Errorf("put %d of 301", rp.P.Put.Load())
	}
}

func TestReaderReportsMalformedLinesWithTheirNumbers(t *testing.T) {
	input := "{\"ts\":\"2026-11-26T09:00:00Z\",\"user\":\"u1\"}\n" +
		"\n" +
		"{not json\n" +
		"{\"user\":\"u2\"}\n" +
		"[1,2]\n"
	rd, err := NewReader(strings.NewReader(input), ReaderOptions{KeyField: "user"})
	if err != nil {
		t.Fatal(err)
	}
	var items []Item
	for {
		it, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	if rd.Format() != FormatNDJSON || len(items) != 2 || items[0].Key != "u1" || items[1].Line != 4 || items[0].Time.IsZero() {
		t.Fatalf("format %s, items %+v", rd.Format(), items)
	}
	bad := rd.Malformed()
	if len(bad) != 2 || bad[0].Line != 3 || bad[1].Line != 5 {
		t.Errorf("malformed = %+v, want lines 3 and 5", bad)
	}
}

func TestReaderFormats(t *testing.T) {
	cases := []struct {
		name, input, format string
		key                 string
		wantData            string
		wantTime            bool
	}{
		{"csv", "user,page,ts\nu1,/home,2026-11-26T09:00:00Z\n", FormatCSV, "user", `{"page":"/home","ts":"2026-11-26T09:00:00Z","user":"u1"}`, true},
		{"access log", `10.0.0.1 - - [26/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 512` + "\n", FormatLines, "", `10.0.0.1 - - [26/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 512`, true},
		{"app log", "2026-11-26 09:00:00.123 INFO started, listening\n", FormatLines, "", "2026-11-26 09:00:00.123 INFO started, listening", true},
		{"plain text", "hello, world\n", FormatLines, "", "hello, world", false},
	}
	for _, tc := range cases {
		rd, err := NewReader(strings.NewReader(tc.input), ReaderOptions{KeyField: tc.key})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		it, err := rd.Next()
		if err != nil {
			t.Fatalf("%s: %v (malformed %v)", tc.name, err, rd.Malformed())
		}
		if rd.Format() != tc.format || string(it.Data) != tc.wantData || it.Time.IsZero() == tc.wantTime {
			t.Errorf("%s: format %s data %s time %v", tc.name, rd.Format(), it.Data, it.Time)
		}
		if tc.key != "" && it.Key != "u1" {
			t.Errorf("%s: key %q", tc.name, it.Key)
		}
	}
	if _, err := NewReader(strings.NewReader("x"), ReaderOptions{Format: "xml"}); err == nil {
		t.Error("an unknown format was accepted")
	}
	// A line longer than a record is counted as malformed, and the lines after it are still read.
	long := strings.Repeat("a", MaxLine+1) + "\nshort\n"
	rd, err := NewReader(strings.NewReader(long), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it, err := rd.Next()
	if err != nil || string(it.Data) != "short" || rd.MalformedCount() != 1 || rd.Malformed()[0].Line != 1 {
		t.Errorf("after an over-long line: %q %v, malformed %+v", it.Data, err, rd.Malformed())
	}
	// A capture line may be longer than a record: an 800 KiB binary record is over 1 MiB as base64.
	big := AppendLine(nil, Record{Key: "k", Data: bytes.Repeat([]byte{0xff}, 800<<10)})
	rd, err = NewReader(bytes.NewReader(big), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if it, err := rd.Next(); err != nil || len(it.Data) != 800<<10 {
		t.Errorf("a capture of an 800 KiB binary record: %d bytes, %v", len(it.Data), err)
	}
}

// throttler refuses every other record once, as a shard over its limit would.
type throttler struct {
	eng   *engine.Engine
	calls int
}

func (th *throttler) PutRecords(ctx context.Context, in engine.PutRecordsInput) (*engine.PutRecordsOutput, error) {
	th.calls++
	if th.calls%2 == 1 {
		out := &engine.PutRecordsOutput{}
		var keep []engine.PutRecordsEntry
		for i, r := range in.Records {
			if i%2 == 0 {
				keep = append(keep, r)
			}
		}
		got, err := th.eng.PutRecords(ctx, engine.PutRecordsInput{StreamRef: in.StreamRef, Records: keep})
		if err != nil {
			return nil, err
		}
		for i := range in.Records {
			if i%2 == 0 {
				out.Records = append(out.Records, got.Records[i/2])
			} else {
				out.Records = append(out.Records, engine.PutRecordsResult{ErrorCode: engine.ErrThroughputExceeded, ErrorMessage: "Rate exceeded"})
				out.FailedRecordCount++
			}
		}
		return out, nil
	}
	return th.eng.PutRecords(ctx, in)
}

func TestReplayRetriesThrottledRecordsSoNothingIsDropped(t *testing.T) {
	eng := openEngine(t)
	create(t, eng, "s", 2)
	var in bytes.Buffer
	for i := range 1200 {
		fmt.Fprintf(&in, "line %d\n", i)
	}
	rd, _ := NewReader(&in, ReaderOptions{})
	rp, _ := NewReplayer(&throttler{eng: eng}, Options{Stream: "s"})
	if err := rp.Run(context.Background(), rd); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	Capture(context.Background(), eng, &out, CaptureOptions{Stream: "s"}, nil)
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 1200 || rp.P.Put.Load() != 1200 || rp.P.Retried.Load() == 0 {
		t.Errorf("stored %d, put %d, retried %d; want 1,200 stored and some retries", n, rp.P.Put.Load(), rp.P.Retried.Load())
	}
}

func TestReplayOptionsNameTheLimit(t *testing.T) {
	for _, o := range []Options{{}, {Stream: "s", Speed: 0.05}, {Stream: "s", Speed: 1001}} {
		if _, err := NewReplayer(nil, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{bad\n"), "")
	f.Add([]byte("a,b\n1,2\n3\n"), "a")
	f.Add(AppendLine(nil, Record{Key: "k", Data: []byte{0, 1}}), "")
	f.Fuzz(func(t *testing.T, input []byte, key string) {
		rd, err := NewReader(bytes.NewReader(input), ReaderOptions{KeyField: key})
		if err != nil {
			return
		}
		for range 1000 {
			if _, err := rd.Next(); err != nil {
				return
			}
		}
	})
}
