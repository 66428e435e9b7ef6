package enginebench

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/shardlab/shardlab/internal/bench"
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
	fmt.Fprintf(w, "machine   %s\n", bench.MachineLine())
	fmt.Fprintf(w, "put       %d shards, limits off, %d producers × PutRecords of %d × %s B for %v\n",
		cfg.shards, cfg.producers, cfg.batch, numfmt.Thousands(int64(cfg.size)), cfg.duration)
	fmt.Fprintf(w, "read      every shard from TRIM_HORIZON, one goroutine per shard in parallel, GetRecords "+
		"limit %s\n", numfmt.Thousands(bench.ReadPageLimit))
	fmt.Fprintf(w, "visible   fresh stream, one paced producer at %s records/s for %v, one reader per shard "+
		"blocking on WaitForRecords\n", numfmt.Thousands(int64(cfg.visibleRate)), cfg.visibleDuration)
	fmt.Fprintf(w, "raw       bbolt alone, storage.Open's options, one bucket, %s records per fsynced "+
		"transaction, for %v\n", numfmt.Thousands(int64(cfg.producers*cfg.batch)), cfg.rawDuration)
	fmt.Fprintf(w, "data      %s\n\n", dir)
}

func printResults(w io.Writer, cfg benchConfig, r benchResults) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tmeasured\ttarget\t")
	rawRate := bench.Rate(int64(r.rawRecords), r.rawElapsed)
	fmt.Fprintf(tw, "raw bbolt append (%s B values)\t%s rec/s · %s MiB/s\t\t\n", numfmt.Thousands(int64(r.rawValueSize)),
		numfmt.Thousands(int64(rawRate)), bench.MiBps(float64(r.rawRecords*r.rawValueSize), r.rawElapsed))
	putRate := bench.Rate(r.put.records, r.put.elapsed)
	share := putRate / rawRate
	fmt.Fprintf(tw, "put\t%s rec/s · %s MiB/s = %.0f %% of raw\t≥ %.0f %% of raw\t%s\n", numfmt.Thousands(int64(putRate)),
		bench.MiBps(float64(r.put.bytes), r.put.elapsed), 100*share, 100*targetPutShareOfRaw,
		bench.Verdict(share >= targetPutShareOfRaw))
	fmt.Fprintf(tw, "put latency p50 / p99 (one call of %d)\t%s / %s\t\t\n", cfg.batch, bench.Ms(r.put.latency.P50),
		bench.Ms(r.put.latency.P99))
	readRate := bench.Rate(r.read.records, r.read.elapsed)
	fmt.Fprintf(tw, "read-back (%d shards in parallel)\t%s rec/s · %s MiB/s\t≥ %s rec/s\t%s\n", cfg.shards,
		numfmt.Thousands(int64(readRate)), bench.MiBps(float64(r.read.bytes), r.read.elapsed), numfmt.Thousands(targetReadRate),
		bench.Verdict(readRate >= targetReadRate))
	v := r.visible
	fmt.Fprintf(tw, "put-to-visible p50 / p99 at %s rec/s\t%s / %s\tp99 ≤ %s\t%s\n",
		numfmt.Thousands(int64(bench.Rate(v.records, v.elapsed))), bench.Ms(v.latency.P50), bench.Ms(v.latency.P99), bench.Ms(targetVisibleP99),
		bench.Verdict(v.latency.P99 <= targetVisibleP99))
	fmt.Fprintf(tw, "bytes on disk per record\t%s B (file %s B)\t\t\n", bench.PerRecord(r.diskSize, r.put.records),
		bench.PerRecord(r.fileSize, r.put.records))
	printMemory(tw, r.mem)
	tw.Flush()
	printDetails(w, cfg, r)
}

func printMemory(tw io.Writer, m rssPeaks) {
	if !m.ok {
		fmt.Fprintf(tw, "peak RSS\tn/a (no /proc/self/status)\t≤ %d MiB\t\n", targetPeakRSS>>20)
		return
	}
	fmt.Fprintf(tw, "peak RSS (VmHWM, whole run)\t%s MiB\t≤ %d MiB\t%s\n", bench.MiB(m.hwm), targetPeakRSS>>20,
		bench.Verdict(m.hwm <= targetPeakRSS))
	fmt.Fprintf(tw, "  sampled max RssAnon / RssFile\t%s / %s MiB\t\t\n", bench.MiB(m.anon), bench.MiB(m.file))
	for _, p := range m.phaseOrdered {
		ph := m.byPhase[p]
		fmt.Fprintf(tw, "  %s phase: max VmRSS / RssAnon / RssFile\t%s / %s / %s MiB\t\t\n", p, bench.MiB(ph.rss),
			bench.MiB(ph.anon), bench.MiB(ph.file))
	}
}

// printDetails gives the counts behind the rates, so a reader can check them and see the runs were long enough.
func printDetails(w io.Writer, cfg benchConfig, r benchResults) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "raw       %s records in %v\n", numfmt.Thousands(int64(r.rawRecords)), r.rawElapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "put       %s records (%s MiB of data and keys) in %v, %s calls, latency max %s\n",
		numfmt.Thousands(r.put.records), bench.MiB(r.put.bytes), r.put.elapsed.Round(time.Millisecond),
		numfmt.Thousands(int64(r.put.latency.N)), bench.Ms(r.put.latency.Max))
	fmt.Fprintf(w, "read      %s records in %v, %s GetRecords calls; all records accounted for per shard\n",
		numfmt.Thousands(r.read.records), r.read.elapsed.Round(time.Millisecond), numfmt.Thousands(r.read.calls))
	v := r.visible
	fmt.Fprintf(w, "visible   %s records in %v (%d every %v), visible max %s, producer's PutRecords p50 / p99 "+
		"%s / %s\n", numfmt.Thousands(v.records), v.elapsed.Round(time.Millisecond), v.perTick, v.tick, bench.Ms(v.latency.Max),
		bench.Ms(v.putLatency.P50), bench.Ms(v.putLatency.P99))
	fmt.Fprintf(w, "disk      %s MiB in bbolt pages, file %s MiB, after the put phase\n", bench.MiB(r.diskSize),
		bench.MiB(r.fileSize))
}
