package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/internal/numfmt"
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
	if res.visible.records == 0 || res.visible.latency.n != int(res.visible.records) {
		t.Errorf("visible phase put %d records and timed %d", res.visible.records, res.visible.latency.n)
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

func TestSummarize(t *testing.T) {
	var samples []time.Duration
	for i := 100; i >= 1; i-- {
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	s := summarize(samples)
	if s.n != 100 || s.p50 != 50*time.Millisecond || s.p99 != 99*time.Millisecond || s.max != 100*time.Millisecond {
		t.Errorf("summarize(1..100 ms) = %+v", s)
	}
	if samples[0] != 100*time.Millisecond {
		t.Error("summarize reordered its input")
	}
	if one := summarize([]time.Duration{time.Second}); one.p50 != time.Second || one.p99 != time.Second {
		t.Errorf("summarize(one sample) = %+v", one)
	}
	if (summarize(nil) != latencySummary{}) {
		t.Error("summarize(nil) is not zero")
	}
}

func TestCommas(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := numfmt.Thousands(n); got != want {
			t.Errorf("numfmt.Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
