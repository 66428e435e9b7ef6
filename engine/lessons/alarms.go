package lessons

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shardlab/shardlab/engine/cloudwatch"
)

// AlarmAction makes a CloudWatch alarm (named lesson-…) on a stream-level AWS/Kinesis metric; the lesson deletes
// it when it ends.
type AlarmAction struct {
	Name       string  `yaml:"name,required"`
	Stream     string  `yaml:"stream,required"`
	Metric     string  `yaml:"metric,required"`
	Statistic  string  `yaml:"statistic,required"`
	Period     int     `yaml:"period,required"`
	Threshold  float64 `yaml:"threshold"`
	Comparison string  `yaml:"comparison,required"`
	Periods    int     `yaml:"periods"`
}

// AlarmCheck: one of the lesson's alarms is in a state (OK, ALARM, INSUFFICIENT_DATA).
type AlarmCheck struct {
	Name  string `yaml:"name,required"`
	State string `yaml:"state,required"`
}

func (a *AlarmAction) validate(n *names) error {
	if !strings.HasPrefix(a.Name, "lesson-") {
		return fmt.Errorf("create_alarm: alarm %q: a lesson's alarms are named lesson-…", a.Name)
	}
	n.define(&n.alarms, a.Name)
	return n.need(n.streams, "stream", a.Stream)
}

func (c *AlarmCheck) validate(n *names) error {
	switch c.State {
	case cloudwatch.StateOK, cloudwatch.StateAlarm, cloudwatch.StateInsufficientData:
	default:
		return fmt.Errorf("alarm: state %q is OK, ALARM or INSUFFICIENT_DATA", c.State)
	}
	return n.need(n.alarms, "alarm", c.Name)
}

func (s *Session) createAlarm(ctx context.Context, a *AlarmAction) error {
	if s.ws.Metrics == nil {
		return errors.New("create_alarm: this app runs without CloudWatch")
	}
	periods := max(a.Periods, 1)
	err := s.ws.Metrics.PutMetricAlarm(ctx, cloudwatch.Alarm{AlarmName: a.Name,
		Metric: cloudwatch.Metric{Namespace: cloudwatch.NamespaceKinesis, MetricName: a.Metric,
			Dimensions: []cloudwatch.Dimension{{Name: "StreamName", Value: a.Stream}}},
		Statistic: a.Statistic, Period: a.Period, EvaluationPeriods: periods, Threshold: a.Threshold,
		ComparisonOperator: a.Comparison, TreatMissingData: "notBreaching"})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.alarms = append(s.alarms, a.Name)
	s.mu.Unlock()
	return nil
}

func (s *Session) alarm(c *AlarmCheck) Result {
	r := Result{Want: fmt.Sprintf("alarm %s is %s", c.Name, c.State), Now: "no such alarm"}
	if s.ws.Metrics == nil {
		return r
	}
	if as := s.ws.Metrics.DescribeAlarms(cloudwatch.AlarmFilter{Names: []string{c.Name}}); len(as) == 1 {
		r.Now, r.Met = as[0].StateValue+": "+as[0].StateReason, as[0].StateValue == c.State
	}
	return r
}
