package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shardlab/shardlab/internal/numfmt"
)

// The acceptance targets of BENCHMARKS.md.
const (
	targetPutShareOfRaw = 0.70
	targetReadRate      = 500_000
	targetVisibleP99    = 5 * time.Millisecond
	targetPeakRSS       = 150 << 20
)

func printHeader(w io.Writer, cfg benchConfig, dir string) {
	fmt.Fprintln(w, "shardlab bench: the engine in process, fsync on, against raw bbolt on the same disk")
	fmt.Fprintf(w, "machine   %s\n", machineLine())
	fmt.Fprintf(w, "put       %d shards, limits off, %d producers × PutRecords of %d × %s B for %v\n",
		cfg.shards, cfg.producers, cfg.batch, numfmt.Thousands(int64(cfg.size)), cfg.duration)
	fmt.Fprintf(w, "read      every shard from TRIM_HORIZON, one goroutine per shard in parallel, GetRecords "+
		"limit %s\n", numfmt.Thousands(readPageLimit))
	fmt.Fprintf(w, "visible   fresh stream, one paced producer at %s records/s for %v, one reader per shard "+
		"blocking on WaitForRecords\n", numfmt.Thousands(int64(cfg.visibleRate)), cfg.visibleDuration)
	fmt.Fprintf(w, "raw       bbolt alone, storage.Open's options, one bucket, %s records per fsynced "+
		"transaction, for %v\n", numfmt.Thousands(int64(cfg.producers*cfg.batch)), cfg.rawDuration)
	fmt.Fprintf(w, "data      %s\n\n", dir)
}

func printResults(w io.Writer, cfg benchConfig, r benchResults) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tmeasured\ttarget\t")
	rawRate := rate(int64(r.rawRecords), r.rawElapsed)
	fmt.Fprintf(tw, "raw bbolt append (%s B values)\t%s rec/s · %s MiB/s\t\t\n", numfmt.Thousands(int64(r.rawValueSize)),
		numfmt.Thousands(int64(rawRate)), mib(float64(r.rawRecords*r.rawValueSize), r.rawElapsed))
	putRate := rate(r.put.records, r.put.elapsed)
	share := putRate / rawRate
	fmt.Fprintf(tw, "put\t%s rec/s · %s MiB/s = %.0f %% of raw\t≥ %.0f %% of raw\t%s\n", numfmt.Thousands(int64(putRate)),
		mib(float64(r.put.bytes), r.put.elapsed), 100*share, 100*targetPutShareOfRaw,
		verdict(share >= targetPutShareOfRaw))
	fmt.Fprintf(tw, "put latency p50 / p99 (one call of %d)\t%s / %s\t\t\n", cfg.batch, ms(r.put.latency.p50),
		ms(r.put.latency.p99))
	readRate := rate(r.read.records, r.read.elapsed)
	fmt.Fprintf(tw, "read-back (%d shards in parallel)\t%s rec/s · %s MiB/s\t≥ %s rec/s\t%s\n", cfg.shards,
		numfmt.Thousands(int64(readRate)), mib(float64(r.read.bytes), r.read.elapsed), numfmt.Thousands(targetReadRate),
		verdict(readRate >= targetReadRate))
	v := r.visible
	fmt.Fprintf(tw, "put-to-visible p50 / p99 at %s rec/s\t%s / %s\tp99 ≤ %s\t%s\n",
		numfmt.Thousands(int64(rate(v.records, v.elapsed))), ms(v.latency.p50), ms(v.latency.p99), ms(targetVisibleP99),
		verdict(v.latency.p99 <= targetVisibleP99))
	fmt.Fprintf(tw, "bytes on disk per record\t%s B (file %s B)\t\t\n", perRecord(r.diskSize, r.put.records),
		perRecord(r.fileSize, r.put.records))
	printMemory(tw, r.mem)
	tw.Flush()
	printDetails(w, cfg, r)
}

func printMemory(tw io.Writer, m rssPeaks) {
	if !m.ok {
		fmt.Fprintf(tw, "peak RSS\tn/a (no /proc/self/status)\t≤ %d MiB\t\n", targetPeakRSS>>20)
		return
	}
	fmt.Fprintf(tw, "peak RSS (VmHWM, whole run)\t%s MiB\t≤ %d MiB\t%s\n", mibOf(m.hwm), targetPeakRSS>>20,
		verdict(m.hwm <= targetPeakRSS))
	fmt.Fprintf(tw, "  sampled max RssAnon / RssFile\t%s / %s MiB\t\t\n", mibOf(m.anon), mibOf(m.file))
	for _, p := range m.phaseOrdered {
		ph := m.byPhase[p]
		fmt.Fprintf(tw, "  %s phase: max VmRSS / RssAnon / RssFile\t%s / %s / %s MiB\t\t\n", p, mibOf(ph.rss),
			mibOf(ph.anon), mibOf(ph.file))
	}
}

// printDetails gives the counts behind the rates, so a reader can check them and see the runs were long enough.
func printDetails(w io.Writer, cfg benchConfig, r benchResults) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "raw       %s records in %v\n", numfmt.Thousands(int64(r.rawRecords)), r.rawElapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "put       %s records (%s MiB of data and keys) in %v, %s calls, latency max %s\n",
		numfmt.Thousands(r.put.records), mibOf(r.put.bytes), r.put.elapsed.Round(time.Millisecond),
		numfmt.Thousands(int64(r.put.latency.n)), ms(r.put.latency.max))
	fmt.Fprintf(w, "read      %s records in %v, %s GetRecords calls; all records accounted for per shard\n",
		numfmt.Thousands(r.read.records), r.read.elapsed.Round(time.Millisecond), numfmt.Thousands(r.read.calls))
	v := r.visible
	fmt.Fprintf(w, "visible   %s records in %v (%d every %v), visible max %s, producer's PutRecords p50 / p99 "+
		"%s / %s\n", numfmt.Thousands(v.records), v.elapsed.Round(time.Millisecond), v.perTick, v.tick, ms(v.latency.max),
		ms(v.putLatency.p50), ms(v.putLatency.p99))
	fmt.Fprintf(w, "disk      %s MiB in bbolt pages, file %s MiB, after the put phase\n", mibOf(r.diskSize),
		mibOf(r.fileSize))
}

// machineLine names what the figures were measured on: they mean little without it.
func machineLine() string {
	parts := []string{}
	if m := cpuModel(); m != "" {
		parts = append(parts, m)
	}
	parts = append(parts, fmt.Sprintf("%d CPUs", runtime.NumCPU()), runtime.GOOS+"/"+runtime.GOARCH)
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		parts = append(parts, "kernel "+strings.TrimSpace(string(b)))
	}
	return strings.Join(append(parts, runtime.Version()), ", ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func mib(bytes float64, d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatFloat(bytes/(1<<20)/d.Seconds(), 'f', 1, 64)
}

func mibOf(bytes int64) string { return strconv.FormatFloat(float64(bytes)/(1<<20), 'f', 1, 64) }

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

func perRecord(bytes, records int64) string {
	if records == 0 {
		return "n/a"
	}
	return numfmt.Thousands(int64(float64(bytes)/float64(records) + 0.5))
}
