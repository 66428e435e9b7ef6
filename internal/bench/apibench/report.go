package apibench

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/shardlab/shardlab/internal/bench"
	"github.com/shardlab/shardlab/internal/numfmt"
)

// The acceptance targets of BENCHMARKS.md's side-by-side section.
const (
	targetRatioToKinesalite = 10.0
	targetPutRecordP99      = 2 * time.Millisecond
)

func printAPIHeader(w io.Writer, cfg apiBenchConfig) {
	fmt.Fprintln(w, "shardlab bench-api: one aws-sdk-go-v2 workload against each Kinesis server, one after another")
	fmt.Fprintf(w, "machine   %s (client and server share it)\n", bench.MachineLine())
	fmt.Fprintf(w, "ingest    %d shards, limits off, %d producers × PutRecords of %d × %s B for %v, HTTP/1.1 on "+
		"loopback, SDK retries off\n", cfg.shards, cfg.producers, cfg.batch, numfmt.Thousands(int64(cfg.size)), cfg.duration)
	fmt.Fprintf(w, "read-back every shard from TRIM_HORIZON, one goroutine per shard, GetRecords limit %s, time "+
		"limit %v\n", numfmt.Thousands(bench.ReadPageLimit), cfg.readLimit)
	fmt.Fprintf(w, "singles   %s sequential PutRecord calls of %s B on one goroutine\n", numfmt.Thousands(int64(cfg.singles)),
		numfmt.Thousands(int64(cfg.size)))
	fmt.Fprintf(w, "client    GOGC %d (the same client for every target)\n\n", currentGCPercent())
}

func printAPIResults(w io.Writer, cfg apiBenchConfig, results []apiResult) {
	null := findAPIResult(results, "null")
	// Numbers align right; the names are padded to one width so they still read left-aligned.
	width := len("target")
	for _, r := range results {
		width = max(width, len(r.target))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tingest rec/s\tMiB/s\tof null\tread-back rec/s\tPutRecord p50 / p99\t"+
		"server CPU/rec (cores)\tclient CPU/rec\t\n", width, "target")
	for _, r := range results {
		if r.skipped != "" {
			fmt.Fprintf(tw, "%-*s\t—\t—\t—\t—\t—\t—\t—\t\n", width, r.target)
			continue
		}
		in := r.ingest
		inRate := bench.Rate(in.records, in.elapsed)
		share := "—"
		if null != nil && null.ingest.records > 0 {
			share = fmt.Sprintf("%.0f %%", 100*inRate/bench.Rate(null.ingest.records, null.ingest.elapsed))
		}
		fmt.Fprintf(tw, "%-*s\t%s\t%s\t%s\t%s\t%s / %s\t%s\t%s\t\n", width, r.target, numfmt.Thousands(int64(inRate)),
			bench.MiBps(float64(in.bytes), in.elapsed), share, readRateCell(r), bench.Ms(r.singles.latency.P50),
			bench.Ms(r.singles.latency.P99), serverCPUCell(r), clientCPUCell(r))
	}
	tw.Flush()
	printAPIDetails(w, results)
	printAPIRatios(w, results)
}

func readRateCell(r apiResult) string {
	switch {
	case r.read.notStored:
		return "—"
	case r.read.partial:
		return numfmt.Thousands(int64(bench.Rate(r.read.records, r.read.elapsed))) + " (partial)"
	}
	return numfmt.Thousands(int64(bench.Rate(r.read.records, r.read.elapsed)))
}

func serverCPUCell(r apiResult) string {
	if r.inProcess {
		return "in process"
	}
	if !r.serverCPUKnown || r.ingest.records == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s (%.2f)", micros(r.serverCPU, r.ingest.records), r.serverCPU.Seconds()/r.ingest.elapsed.Seconds())
}

func clientCPUCell(r apiResult) string {
	if r.ingest.records == 0 || r.clientCPU == 0 {
		return "n/a"
	}
	s := micros(r.clientCPU, r.ingest.records)
	if r.inProcess {
		s += " (with server)"
	}
	return s
}

func micros(cpu time.Duration, records int64) string {
	return strconv.FormatFloat(float64(cpu)/float64(time.Microsecond)/float64(records), 'f', 1, 64) + " µs"
}

// printAPIDetails gives the counts behind the rates and whatever went wrong, per target.
func printAPIDetails(w io.Writer, results []apiResult) {
	fmt.Fprintln(w)
	for _, r := range results {
		if r.skipped != "" {
			fmt.Fprintf(w, "%s: skipped: %s\n", r.target, r.skipped)
			continue
		}
		in, rd := r.ingest, r.read
		fmt.Fprintf(w, "%s: ingest %s records (%s MiB) in %v, %s PutRecords calls, p50 / p99 / max %s / %s / %s",
			r.target, numfmt.Thousands(in.records), bench.MiB(in.bytes), in.elapsed.Round(time.Millisecond), numfmt.Thousands(in.calls),
			bench.Ms(in.latency.P50), bench.Ms(in.latency.P99), bench.Ms(in.latency.Max))
		if !rd.notStored {
			fmt.Fprintf(w, "; read-back %s records in %v, %s calls", numfmt.Thousands(rd.records),
				rd.elapsed.Round(time.Millisecond), numfmt.Thousands(rd.calls))
			if r.serverCPUKnown && rd.records > 0 {
				fmt.Fprintf(w, ", CPU/rec server %s, client %s", micros(r.readServerCPU, rd.records),
					micros(r.readClientCPU, rd.records))
			}
		}
		fmt.Fprintf(w, "; PutRecord max %s\n", bench.Ms(r.singles.latency.Max))
		if r.failed() {
			fmt.Fprintf(w, "  PROBLEM: %s\n", r.problem())
		}
	}
}

// printAPIRatios compares Shardlab to each peer. In memory is the like-for-like figure: kinesalite keeps
// everything in memory and kinesis-local persists nothing by default, while Shardlab with fsync waits for the disk.
func printAPIRatios(w io.Writer, results []apiResult) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Shardlab ÷ peer\tingest\tread-back\ttarget\t")
	for _, own := range []string{"shardlab", "shardlab (fsync)"} {
		s := findAPIResult(results, own)
		if s == nil || s.skipped != "" {
			continue
		}
		for _, peer := range []string{"kinesalite", "kinesis-local"} {
			p := findAPIResult(results, peer)
			if p == nil || p.skipped != "" {
				continue
			}
			in := ratio(bench.Rate(s.ingest.records, s.ingest.elapsed), bench.Rate(p.ingest.records, p.ingest.elapsed))
			rd := ratio(bench.Rate(s.read.records, s.read.elapsed), bench.Rate(p.read.records, p.read.elapsed))
			target := ""
			if own == "shardlab" && peer == "kinesalite" {
				target = fmt.Sprintf("≥ %.0f× in and out: %s / %s", targetRatioToKinesalite,
					bench.Verdict(in >= targetRatioToKinesalite && !s.failed()),
					bench.Verdict(rd >= targetRatioToKinesalite && !s.failed()))
			}
			fmt.Fprintf(tw, "%s ÷ %s\t%s\t%s\t%s\t\n", own, peer, times(in), times(rd), target)
		}
	}
	tw.Flush()
	if s := findAPIResult(results, "shardlab"); s != nil && s.skipped == "" {
		fmt.Fprintf(w, "Shardlab (in memory) PutRecord p99 %s, target ≤ %s: %s\n", bench.Ms(s.singles.latency.P99),
			bench.Ms(targetPutRecordP99), bench.Verdict(s.singles.latency.P99 <= targetPutRecordP99 && s.singles.latency.N > 0))
	}
	if s := findAPIResult(results, "shardlab (fsync)"); s != nil && s.skipped == "" {
		fmt.Fprintf(w, "Shardlab (fsync) PutRecord p99 %s: each call waits for its commit's fsync\n",
			bench.Ms(s.singles.latency.P99))
	}
}

func findAPIResult(results []apiResult, target string) *apiResult {
	for i := range results {
		if results[i].target == target {
			return &results[i]
		}
	}
	return nil
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

func times(x float64) string {
	if x == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'f', 1, 64) + "×"
}
