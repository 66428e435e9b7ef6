package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/shardlab/shardlab/internal/numfmt"
)

// MachineLine names what the figures were measured on: they mean little without it.
func MachineLine() string {
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

// Verdict is a target's column in a report: PASS or MISS.
func Verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// Rate is n per second over d.
func Rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// MiBps is bytes over d in MiB/s, to one decimal.
func MiBps(bytes float64, d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatFloat(bytes/(1<<20)/d.Seconds(), 'f', 1, 64)
}

// MiB is bytes in MiB, to one decimal.
func MiB(bytes int64) string { return strconv.FormatFloat(float64(bytes)/(1<<20), 'f', 1, 64) }

// Ms is d in milliseconds, to two decimals, with its unit.
func Ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// PerRecord is bytes per record, rounded, with thousands separators.
func PerRecord(bytes, records int64) string {
	if records == 0 {
		return "n/a"
	}
	return numfmt.Thousands(int64(float64(bytes)/float64(records) + 0.5))
}
