package cloudwatchapi

import "time"

// Shared shapes: the structures several actions use, with CloudWatch's member names and types. The Go field name is
// the member name in every protocol. A member marked `cw:"required"` is checked by the handler before the Backend
// sees the call (MissingParameter). Pointers stand for members whose absence means something else than their zero
// value (ReturnData defaults to true; a Datapoint's Sum of 0 is a value).

// Dimension is a name/value pair that is part of a metric's identity.
type Dimension struct {
	Name  string `cw:"required"`
	Value string `cw:"required"`
}

// DimensionFilter selects metrics by a dimension; without a Value, any value of that dimension matches.
type DimensionFilter struct {
	Name  string `cw:"required"`
	Value string
}

// Metric names one metric: namespace, name and dimensions.
type Metric struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
}

// MetricStat is one metric and the statistic to take of it over each period.
type MetricStat struct {
	Metric *Metric `cw:"required"`
	Period int32   `cw:"required"`
	Stat   string  `cw:"required"` // SampleCount, Average, Sum, Minimum, Maximum, or pNN, tmNN, …
	Unit   string
}

// MetricDataQuery is one query of GetMetricData or of a metric-math alarm: a MetricStat or an Expression.
type MetricDataQuery struct {
	Id         string `cw:"required"`
	MetricStat *MetricStat
	Expression string
	Label      string
	ReturnData *bool // nil: true
	Period     *int32
	AccountId  string
}

// StatisticSet is a datum that is already aggregated.
type StatisticSet struct {
	SampleCount float64 `cw:"required"`
	Sum         float64 `cw:"required"`
	Minimum     float64 `cw:"required"`
	Maximum     float64 `cw:"required"`
}

// MetricDatum is one value, a set of values with counts, or a statistic set, for one metric.
type MetricDatum struct {
	MetricName        string `cw:"required"`
	Dimensions        []Dimension
	Timestamp         time.Time // zero: when it arrived
	Value             *float64
	StatisticValues   *StatisticSet
	Values            []float64
	Counts            []float64
	Unit              string
	StorageResolution int32 // 1: high resolution; 0 or 60: standard
}

// Datapoint is one period's statistics of GetMetricStatistics; only the statistics asked for are set.
type Datapoint struct {
	Timestamp          time.Time
	SampleCount        *float64
	Average            *float64
	Sum                *float64
	Minimum            *float64
	Maximum            *float64
	Unit               string
	ExtendedStatistics map[string]float64 // p50, p90, p99, …
}

// LabelOptions shapes the labels GetMetricData returns.
type LabelOptions struct {
	Timezone string // e.g. "+0130"
}

// MessageData is a message about a query or a result ("MaxQueryTimeRangeExceed", …).
type MessageData struct {
	Code  string
	Value string
}

// MetricDataResult is one query's answer: timestamps and values pair up by index.
type MetricDataResult struct {
	Id         string
	Label      string
	Timestamps []time.Time
	Values     []float64
	StatusCode string // Complete, InternalError, PartialData, Forbidden
	Messages   []MessageData
}

// Tag is a key/value label on an alarm.
type Tag struct {
	Key   string `cw:"required"`
	Value string `cw:"required"`
}

// MetricAlarm is an alarm as DescribeAlarms reports it.
type MetricAlarm struct {
	AlarmName                          string
	AlarmArn                           string
	AlarmDescription                   string
	AlarmConfigurationUpdatedTimestamp time.Time
	ActionsEnabled                     bool
	OKActions                          []string
	AlarmActions                       []string
	InsufficientDataActions            []string
	StateValue                         string // OK, ALARM, INSUFFICIENT_DATA
	StateReason                        string
	StateReasonData                    string
	StateUpdatedTimestamp              time.Time
	MetricName                         string
	Namespace                          string
	Statistic                          string
	ExtendedStatistic                  string
	Dimensions                         []Dimension
	Period                             int32
	Unit                               string
	EvaluationPeriods                  int32
	DatapointsToAlarm                  *int32
	Threshold                          *float64
	ComparisonOperator                 string
	TreatMissingData                   string
	EvaluateLowSampleCountPercentile   string
	Metrics                            []MetricDataQuery // a metric-math alarm's queries
	ThresholdMetricId                  string
	EvaluationState                    string
	StateTransitionedTimestamp         time.Time
}

// Alarm states, as StateValue spells them.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)
