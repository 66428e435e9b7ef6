package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Alarm states.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
	evaluateEvery         = 10 * time.Second
	historyKept           = 50
	maxAlarmNameLength    = 255
	alarmsNamespacePrefix = "cloudwatch-alarms@"
)

var comparisons = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}
var missingTreatments = []string{"breaching", "notBreaching", "ignore", "missing"}

// Alarm is a metric alarm: a statistic of a metric over EvaluationPeriods periods against a threshold.
type Alarm struct {
	AlarmName               string
	AlarmArn                string
	AlarmDescription        string
	Metric                  Metric
	Statistic               string // or ExtendedStatistic
	ExtendedStatistic       string
	Period                  int
	EvaluationPeriods       int
	DatapointsToAlarm       int
	Threshold               float64
	ComparisonOperator      string
	TreatMissingData        string
	ActionsEnabled          bool
	AlarmActions            []string
	OKActions               []string
	InsufficientDataActions []string
	Unit                    string

	StateValue            string
	StateReason           string
	StateReasonData       string
	StateUpdatedTimestamp time.Time
	ConfigurationUpdated  time.Time
	History               []HistoryItem
}

// HistoryItem is one state change of an alarm.
type HistoryItem struct {
	Timestamp time.Time
	Summary   string
	OldState  string
	NewState  string
}

func (s *Service) alarmsNamespace() string { return alarmsNamespacePrefix + s.account }

func (s *Service) loadAlarms(ctx context.Context) error {
	cur, err := s.eng.Checkpoints(ctx, s.alarmsNamespace())
	if err != nil {
		return err
	}
	s.alarms = map[string]*Alarm{}
	for _, v := range cur {
		var a Alarm
		if json.Unmarshal(v, &a) == nil {
			s.alarms[a.AlarmName] = &a
		}
	}
	return nil
}

// saveAlarms commits the alarms named (nil entries are deleted).
func (s *Service) saveAlarms(ctx context.Context, alarms map[string]*Alarm) error {
	return s.eng.UpdateCheckpoints(ctx, s.alarmsNamespace(), func(map[string][]byte) (map[string][]byte, error) {
		writes := map[string][]byte{}
		for name, a := range alarms {
			if a == nil {
				writes[name] = nil
				continue
			}
			b, err := json.Marshal(a)
			if err != nil {
				return nil, err
			}
			writes[name] = b
		}
		return writes, nil
	})
}

// PutMetricAlarm makes or replaces an alarm; a new alarm starts INSUFFICIENT_DATA, as CloudWatch's do.
func (s *Service) PutMetricAlarm(ctx context.Context, a Alarm) error {
	if err := checkAlarm(&a); err != nil {
		return err
	}
	now := s.now()
	a.AlarmArn = "arn:aws:cloudwatch:" + s.eng.DefaultScope().Region + ":" + s.account + ":alarm:" + a.AlarmName
	a.ConfigurationUpdated = now
	s.mu.Lock()
	if old, ok := s.alarms[a.AlarmName]; ok {
		a.StateValue, a.StateReason, a.StateReasonData, a.StateUpdatedTimestamp, a.History =
			old.StateValue, old.StateReason, old.StateReasonData, old.StateUpdatedTimestamp, old.History
	} else {
		a.StateValue, a.StateReason, a.StateUpdatedTimestamp = StateInsufficientData, "Unchecked: Initial alarm creation", now
	}
	s.mu.Unlock()
	if err := s.saveAlarms(ctx, map[string]*Alarm{a.AlarmName: &a}); err != nil {
		return err
	}
	s.mu.Lock()
	s.alarms[a.AlarmName] = &a
	s.mu.Unlock()
	s.evaluate(ctx, a.AlarmName) // its first state comes at once, not after a period
	return nil
}

func checkAlarm(a *Alarm) error {
	switch {
	case a.AlarmName == "" || len(a.AlarmName) > maxAlarmNameLength:
		return &Error{Code: "MissingParameter", Message: "The parameter AlarmName is required and at most 255 characters."}
	case a.Metric.Namespace == "" || a.Metric.MetricName == "":
		return &Error{Code: "MissingParameter", Message: "The parameters Namespace and MetricName are required."}
	case (a.Statistic == "") == (a.ExtendedStatistic == ""):
		return &Error{Code: "InvalidParameterCombination", Message: "Exactly one of the parameters Statistic and ExtendedStatistic is required."}
	case a.Statistic != "" && !slices.Contains(statistics, a.Statistic):
		return invalid("The value %s for parameter Statistic is not a valid statistic.", a.Statistic)
	case a.EvaluationPeriods < 1:
		return invalid("The parameter EvaluationPeriods must be at least 1.")
	case !slices.Contains(comparisons, a.ComparisonOperator):
		return invalid("The value %s for parameter ComparisonOperator is not one of %s.", a.ComparisonOperator, strings.Join(comparisons, ", "))
	}
	if a.ExtendedStatistic != "" {
		if _, err := ParsePercentile(a.ExtendedStatistic); err != nil {
			return err
		}
	}
	if err := checkPeriod(a.Period); err != nil {
		return err
	}
	if a.Period < 10 && a.Period != 0 {
		return invalid("The parameter Period of an alarm must be 10, 30 or a multiple of 60.")
	}
	if a.DatapointsToAlarm == 0 {
		a.DatapointsToAlarm = a.EvaluationPeriods
	}
	if a.DatapointsToAlarm > a.EvaluationPeriods {
		return invalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
	}
	if a.TreatMissingData == "" {
		a.TreatMissingData = "missing"
	}
	if !slices.Contains(missingTreatments, a.TreatMissingData) {
		return invalid("The value %s for parameter TreatMissingData is not one of %s.", a.TreatMissingData, strings.Join(missingTreatments, ", "))
	}
	a.Metric.Dimensions = sortedDims(a.Metric.Dimensions)
	return nil
}

// AlarmFilter is DescribeAlarms's question.
type AlarmFilter struct {
	Names      []string
	NamePrefix string
	State      string
}

// DescribeAlarms lists the alarms that match, by name.
func (s *Service) DescribeAlarms(f AlarmFilter) []Alarm {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Alarm
	for _, a := range s.alarms {
		if len(f.Names) > 0 && !slices.Contains(f.Names, a.AlarmName) {
			continue
		}
		if f.NamePrefix != "" && !strings.HasPrefix(a.AlarmName, f.NamePrefix) {
			continue
		}
		if f.State != "" && a.StateValue != f.State {
			continue
		}
		c := *a
		c.History = append([]HistoryItem(nil), a.History...)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AlarmName < out[j].AlarmName })
	return out
}

// DeleteAlarms deletes alarms; a name that is not an alarm fails the call and deletes nothing, as CloudWatch does.
func (s *Service) DeleteAlarms(ctx context.Context, names []string) error {
	s.mu.Lock()
	for _, n := range names {
		if _, ok := s.alarms[n]; !ok {
			s.mu.Unlock()
			return &Error{Code: "ResourceNotFound", Message: "The alarm " + n + " does not exist."}
		}
	}
	s.mu.Unlock()
	gone := map[string]*Alarm{}
	for _, n := range names {
		gone[n] = nil
	}
	if err := s.saveAlarms(ctx, gone); err != nil {
		return err
	}
	s.mu.Lock()
	for _, n := range names {
		delete(s.alarms, n)
	}
	s.mu.Unlock()
	return nil
}

// SetAlarmState sets an alarm's state until its next evaluation, as CloudWatch does (to test actions).
func (s *Service) SetAlarmState(ctx context.Context, name, state, reason, reasonData string) error {
	if !slices.Contains([]string{StateOK, StateAlarm, StateInsufficientData}, state) {
		return invalid("The value %s for parameter StateValue is not one of OK, ALARM, INSUFFICIENT_DATA.", state)
	}
	if reason == "" {
		return &Error{Code: "MissingParameter", Message: "The parameter StateReason is required."}
	}
	s.mu.Lock()
	a, ok := s.alarms[name]
	if !ok {
		s.mu.Unlock()
		return &Error{Code: "ResourceNotFound", Message: "Alarm " + name + " does not exist."}
	}
	c := *a
	s.mu.Unlock()
	s.transition(&c, state, reason, reasonData)
	if err := s.saveAlarms(ctx, map[string]*Alarm{name: &c}); err != nil {
		return err
	}
	s.mu.Lock()
	s.alarms[name] = &c
	s.mu.Unlock()
	return nil
}

func (s *Service) transition(a *Alarm, state, reason, data string) {
	if a.StateValue == state && a.StateReason == reason {
		return
	}
	now := s.now()
	if a.StateValue != state {
		a.History = append(a.History, HistoryItem{Timestamp: now, OldState: a.StateValue, NewState: state,
			Summary: fmt.Sprintf("Alarm updated from %s to %s", a.StateValue, state)})
		if len(a.History) > historyKept {
			a.History = a.History[len(a.History)-historyKept:]
		}
		a.StateUpdatedTimestamp = now
	}
	a.StateValue, a.StateReason, a.StateReasonData = state, reason, data
}

func (s *Service) evaluateLoop() {
	defer close(s.done)
	tick := time.NewTicker(evaluateEvery) // the samplers are read on the same tick
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.sample(s.now())
		s.mu.Lock()
		names := make([]string, 0, len(s.alarms))
		for n := range s.alarms {
			names = append(names, n)
		}
		s.mu.Unlock()
		for _, n := range names {
			s.evaluate(context.Background(), n)
		}
	}
}

// EvaluateAll evaluates every alarm now (tests and tools; the service does it every 10 seconds).
func (s *Service) EvaluateAll(ctx context.Context) {
	for _, a := range s.DescribeAlarms(AlarmFilter{}) {
		s.evaluate(ctx, a.AlarmName)
	}
}

// evaluate decides an alarm's state from its last EvaluationPeriods complete periods, as CloudWatch does: ALARM
// when at least DatapointsToAlarm of them breach, OK when not, INSUFFICIENT_DATA when too few have data and
// TreatMissingData says missing periods count for nothing.
func (s *Service) evaluate(ctx context.Context, name string) {
	s.mu.Lock()
	a, ok := s.alarms[name]
	if !ok {
		s.mu.Unlock()
		return
	}
	c := *a
	s.mu.Unlock()
	period := time.Duration(c.Period) * time.Second
	end := s.now().Truncate(period)
	from := end.Add(-time.Duration(c.EvaluationPeriods) * period)
	stat := c.Statistic
	var extended []string
	if c.ExtendedStatistic != "" {
		stat, extended = c.ExtendedStatistic, []string{c.ExtendedStatistic}
	}
	buckets, _ := s.buckets(ctx, c.Metric, from, end, period)
	breaching, present := 0, 0
	var last float64
	for _, b := range buckets {
		if b.count == 0 {
			switch c.TreatMissingData {
			case "breaching":
				breaching++
				present++
			case "notBreaching":
				present++
			}
			continue
		}
		v, ok := statOf(b.datapoint("", extended), stat)
		if !ok {
			continue
		}
		present++
		last = v
		if breaches(v, c.ComparisonOperator, c.Threshold) {
			breaching++
		}
	}
	state, reason := StateOK, ""
	switch {
	case breaching >= c.DatapointsToAlarm:
		state = StateAlarm
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints were %s the threshold (%s). The most recent datapoint: %s.",
			breaching, c.EvaluationPeriods, operatorWords(c.ComparisonOperator), fmtFloat(c.Threshold), fmtFloat(last))
	case present == 0 && c.TreatMissingData == "ignore":
		return // the state is kept
	case present < c.DatapointsToAlarm:
		state = StateInsufficientData
		reason = fmt.Sprintf("Insufficient Data: %d datapoints were unknown.", c.EvaluationPeriods-present)
	default:
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints were not %s the threshold (%s). The most recent datapoint: %s.",
			present-breaching, c.EvaluationPeriods, operatorWords(c.ComparisonOperator), fmtFloat(c.Threshold), fmtFloat(last))
	}
	if state == c.StateValue && reason == c.StateReason {
		return
	}
	s.transition(&c, state, reason, "")
	if s.saveAlarms(ctx, map[string]*Alarm{name: &c}) == nil {
		s.mu.Lock()
		if _, still := s.alarms[name]; still {
			s.alarms[name] = &c
		}
		s.mu.Unlock()
	}
}

func statOf(d Datapoint, name string) (float64, bool) { return stat(d, name) }

func breaches(v float64, op string, threshold float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

func operatorWords(op string) string {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return "greater than or equal to"
	case "GreaterThanThreshold":
		return "greater than"
	case "LessThanThreshold":
		return "less than"
	}
	return "less than or equal to"
}

func fmtFloat(v float64) string { return fmt.Sprintf("%g", v) }
