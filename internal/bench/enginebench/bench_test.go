package enginebench

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestBenchRunsEveryPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("writes for several seconds with fsync")
	}
	dir := t.TempDir()
	cfg, err := parseBenchFlags([]string{"-dir", dir, "-duration", "1s", "-visible-duration", "1s",
		"-raw-duration", "1s", "-visible-rate", "2000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := benchmark(context.Background(), cfg, &out, io.Discard)
	if err != nil {
		t.Fatalf("benchmark: %v\n%s", err, out.String())
	}
	printResults(&out, cfg, res)
	if res.put.records == 0 || res.read.records != res.put.records || res.rawRecords == 0 {
		t.Errorf("put %d, read %d, raw %d records", res.put.records, res.read.records, res.rawRecords)
	}
	if res.visible.records == 0 || res.visible.latency.N != int(res.visible.records) {
		t.Errorf("visible phase put %d records and timed %d", res.visible.records, res.visible.latency.N)
	}
	for _, want := range []string{"raw bbolt append", "put-to-visible p50 / p99", "bytes on disk per record",
		"peak RSS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("bench left %d entries in %s", len(left), dir)
	}
}

func TestBenchFlagsRejectBadWorkloads(t *testing.T) {
	for _, args := range [][]string{
		{"-batch", "501"},
		{"-size", "7"},
		{"-producers", "0"},
		{"-duration", "0s"},
		{"extra"},
	} {
		if _, err := parseBenchFlags(args, io.Discard); err == nil {
			t.Errorf("parseBenchFlags(%q) accepted it", args)
		}
	}
	cfg, err := parseBenchFlags([]string{"-duration", "3s"}, io.Discard)
	if err != nil || cfg.rawDuration != 3*time.Second {
		t.Errorf("raw duration %v (err %v), want -duration's 3s", cfg.rawDuration, err)
	}
}
