package cloudwatchapi

import (
	"context"
	"time"
)

// Backend does what the eight actions ask. The handler has decoded the request and checked its required members;
// the Backend validates the rest (ranges, combinations, known statistics) and answers with an *Error for
// CloudWatch's errors. Any other error is reported as InternalServiceError.
type Backend interface {
	ListMetrics(context.Context, *ListMetricsInput) (*ListMetricsOutput, error)
	GetMetricStatistics(context.Context, *GetMetricStatisticsInput) (*GetMetricStatisticsOutput, error)
	GetMetricData(context.Context, *GetMetricDataInput) (*GetMetricDataOutput, error)
	PutMetricData(context.Context, *PutMetricDataInput) (*PutMetricDataOutput, error)
	PutMetricAlarm(context.Context, *PutMetricAlarmInput) (*PutMetricAlarmOutput, error)
	DescribeAlarms(context.Context, *DescribeAlarmsInput) (*DescribeAlarmsOutput, error)
	DeleteAlarms(context.Context, *DeleteAlarmsInput) (*DeleteAlarmsOutput, error)
	SetAlarmState(context.Context, *SetAlarmStateInput) (*SetAlarmStateOutput, error)
}

// ListMetricsInput selects metrics; every member is optional.
type ListMetricsInput struct {
	Namespace             string
	MetricName            string
	Dimensions            []DimensionFilter
	NextToken             string
	RecentlyActive        string // "PT3H": only metrics with data in the last three hours
	IncludeLinkedAccounts bool
	OwningAccount         string
}

type ListMetricsOutput struct {
	Metrics        []Metric
	NextToken      string
	OwningAccounts []string
}

// GetMetricStatisticsInput asks for Statistics and/or ExtendedStatistics (p50, p90, p99…) of one metric.
type GetMetricStatisticsInput struct {
	Namespace          string `cw:"required"`
	MetricName         string `cw:"required"`
	Dimensions         []Dimension
	StartTime          time.Time `cw:"required"`
	EndTime            time.Time `cw:"required"`
	Period             int32     `cw:"required"`
	Statistics         []string
	ExtendedStatistics []string
	Unit               string
}

type GetMetricStatisticsOutput struct {
	Label      string
	Datapoints []Datapoint
}

// GetMetricDataInput runs MetricStat queries and expressions over a time range, a page at a time.
type GetMetricDataInput struct {
	MetricDataQueries []MetricDataQuery `cw:"required"`
	StartTime         time.Time         `cw:"required"`
	EndTime           time.Time         `cw:"required"`
	NextToken         string
	ScanBy            string // TimestampDescending (the default) or TimestampAscending
	MaxDatapoints     int32
	LabelOptions      *LabelOptions
}

type GetMetricDataOutput struct {
	MetricDataResults []MetricDataResult
	NextToken         string
	Messages          []MessageData
}

// PutMetricDataInput publishes data points to one namespace.
type PutMetricDataInput struct {
	Namespace              string `cw:"required"`
	MetricData             []MetricDatum
	StrictEntityValidation *bool
}

type PutMetricDataOutput struct{}

// PutMetricAlarmInput creates or replaces an alarm on one metric (MetricName, Namespace, Statistic or
// ExtendedStatistic, Dimensions, Period) or on metric math (Metrics).
type PutMetricAlarmInput struct {
	AlarmName                        string `cw:"required"`
	AlarmDescription                 string
	ActionsEnabled                   *bool // nil: true
	OKActions                        []string
	AlarmActions                     []string
	InsufficientDataActions          []string
	MetricName                       string
	Namespace                        string
	Statistic                        string
	ExtendedStatistic                string
	Dimensions                       []Dimension
	Period                           int32
	Unit                             string
	EvaluationPeriods                int32 `cw:"required"`
	DatapointsToAlarm                *int32
	Threshold                        *float64
	ComparisonOperator               string `cw:"required"`
	TreatMissingData                 string
	EvaluateLowSampleCountPercentile string
	Metrics                          []MetricDataQuery
	Tags                             []Tag
	ThresholdMetricId                string
}

type PutMetricAlarmOutput struct{}

// DescribeAlarmsInput filters alarms; every member is optional.
type DescribeAlarmsInput struct {
	AlarmNames          []string
	AlarmNamePrefix     string
	AlarmTypes          []string // MetricAlarm, CompositeAlarm
	ChildrenOfAlarmName string
	ParentsOfAlarmName  string
	StateValue          string
	ActionPrefix        string
	MaxRecords          int32
	NextToken           string
}

// DescribeAlarmsOutput lists metric alarms; composite alarms are not modelled (see the package doc).
type DescribeAlarmsOutput struct {
	MetricAlarms []MetricAlarm
	NextToken    string
}

type DeleteAlarmsInput struct {
	AlarmNames []string `cw:"required"`
}

type DeleteAlarmsOutput struct{}

// SetAlarmStateInput sets an alarm's state until its next evaluation.
type SetAlarmStateInput struct {
	AlarmName       string `cw:"required"`
	StateValue      string `cw:"required"`
	StateReason     string `cw:"required"`
	StateReasonData string // JSON
}

type SetAlarmStateOutput struct{}
