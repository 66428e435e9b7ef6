// Package cloudwatch is Shardlab's stand-in for Amazon CloudWatch's metrics and alarms, headless: the engine's own
// metrics under AWS's names (AWS/Kinesis, stream-level always, shard-level for the metrics enhanced monitoring is
// on for), custom metrics that clients put (the KPL and KCL publish their own), statistics and metric math over
// them, and alarms evaluated every 10 seconds. engine/cloudwatchapi speaks the wire protocols over it.
//
// Caveats:
//   - The engine counts per second; a statistic's samples are those seconds (a period's SampleCount is its
//     seconds with traffic, Average is Sum over them), where AWS samples per API call.
//   - PutRecord.* / PutRecords.* are not told apart: the stream-level write metrics are IncomingBytes/Records.
//   - Percentiles (p50, p99.9…) are computed from per-second samples, so only for the last hour; older periods
//     come from 1-minute rollups, which keep Sum, Minimum, Maximum and SampleCount.
package cloudwatch

import (
	"sort"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// Dimension is one name/value pair of a metric's identity.
type Dimension struct {
	Name, Value string
}

// Metric names a metric: namespace, name and dimensions (kept sorted by name, as CloudWatch compares them).
type Metric struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
}

func (m Metric) key() string {
	var b strings.Builder
	b.WriteString(m.Namespace + "\x00" + m.MetricName)
	for _, d := range sortedDims(m.Dimensions) {
		b.WriteString("\x00" + d.Name + "=" + d.Value)
	}
	return b.String()
}

func sortedDims(ds []Dimension) []Dimension {
	out := append([]Dimension(nil), ds...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (m Metric) dim(name string) string {
	for _, d := range m.Dimensions {
		if d.Name == name {
			return d.Value
		}
	}
	return ""
}

// Namespaces of the engine's own metrics.
const (
	NamespaceKinesis = "AWS/Kinesis"
)

// streamMetric is a stream-level AWS/Kinesis metric: the engine metric it sums (or takes the maximum of, for
// an age) over the stream's shards, and its unit.
type streamMetric struct {
	engine engine.Metric
	max    bool
	unit   string
	// activity marks the seconds that are samples: a second with puts is a sample of IncomingBytes and of
	// WriteProvisionedThroughputExceeded (0 when nothing was refused), as AWS reports one per call.
	activity engine.Metric
}

var streamMetrics = map[string]streamMetric{
	"IncomingBytes":                      {engine.IncomingBytes, false, "Bytes", engine.IncomingRecords},
	"IncomingRecords":                    {engine.IncomingRecords, false, "Count", engine.IncomingRecords},
	"GetRecords.Bytes":                   {engine.OutgoingBytes, false, "Bytes", engine.OutgoingRecords},
	"GetRecords.Records":                 {engine.OutgoingRecords, false, "Count", engine.OutgoingRecords},
	"GetRecords.IteratorAgeMilliseconds": {engine.IteratorAgeMilliseconds, true, "Milliseconds", engine.OutgoingRecords},
	"ReadProvisionedThroughputExceeded":  {engine.ReadProvisionedThroughputExceeded, false, "Count", engine.OutgoingRecords},
	"WriteProvisionedThroughputExceeded": {engine.WriteProvisionedThroughputExceeded, false, "Count", engine.IncomingRecords},
}

// shardMetrics are the shard-level metrics (dimensions StreamName and ShardId), published only for those
// EnableEnhancedMonitoring turned on.
var shardMetrics = map[string]streamMetric{
	"IncomingBytes":                      {engine.IncomingBytes, false, "Bytes", engine.IncomingRecords},
	"IncomingRecords":                    {engine.IncomingRecords, false, "Count", engine.IncomingRecords},
	"OutgoingBytes":                      {engine.OutgoingBytes, false, "Bytes", engine.OutgoingRecords},
	"OutgoingRecords":                    {engine.OutgoingRecords, false, "Count", engine.OutgoingRecords},
	"ReadProvisionedThroughputExceeded":  {engine.ReadProvisionedThroughputExceeded, false, "Count", engine.OutgoingRecords},
	"WriteProvisionedThroughputExceeded": {engine.WriteProvisionedThroughputExceeded, false, "Count", engine.IncomingRecords},
	"IteratorAgeMilliseconds":            {engine.IteratorAgeMilliseconds, true, "Milliseconds", engine.OutgoingRecords},
}

// Datapoint is one period's statistics, as GetMetricStatistics returns them.
type Datapoint struct {
	Timestamp   time.Time
	SampleCount float64
	Sum         float64
	Minimum     float64
	Maximum     float64
	Average     float64
	Unit        string
	// Extended holds the percentiles asked for (p50, p99.9…), when the period's samples are known.
	Extended map[string]float64
}
