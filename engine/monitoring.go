package engine

import (
	"context"
	"strconv"
)

// shardLevelMetrics are the names EnableEnhancedMonitoring accepts, in the order DescribeStream reports them.
var shardLevelMetrics = []string{"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
	"WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds"}

const allMetrics = "ALL"

// EnhancedMonitoringOutput mirrors Enable/DisableEnhancedMonitoring's output.
type EnhancedMonitoringOutput struct {
	StreamName               string
	StreamARN                string
	CurrentShardLevelMetrics []string
	DesiredShardLevelMetrics []string
}

// EnableEnhancedMonitoring turns shard-level metrics on; DescribeStream then reports them as enabled.
func (e *Engine) EnableEnhancedMonitoring(ctx context.Context, ref StreamRef, metrics []string) (*EnhancedMonitoringOutput, error) {
	return e.changeMonitoring(ctx, ref, metrics, true)
}

// DisableEnhancedMonitoring turns shard-level metrics off.
func (e *Engine) DisableEnhancedMonitoring(ctx context.Context, ref StreamRef, metrics []string) (*EnhancedMonitoringOutput, error) {
	return e.changeMonitoring(ctx, ref, metrics, false)
}

func (e *Engine) changeMonitoring(ctx context.Context, ref StreamRef, metrics []string, enable bool) (*EnhancedMonitoringOutput, error) {
	var v validation
	validateRef(&v, ref)
	if v.notNull(metrics != nil, "shardLevelMetrics") {
		v.lenRange(listValue(metrics), len(metrics), 1, 7, "shardLevelMetrics")
		for i, m := range metrics {
			v.enum(m, append(append([]string{}, shardLevelMetrics...), allMetrics),
				"shardLevelMetrics."+strconv.Itoa(i+1)+".member")
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	out := &EnhancedMonitoringOutput{}
	err := e.changeMeta(ctx, ref, func(s *stream, m *streamMeta) error {
		if err := requireActive(s); err != nil {
			return err
		}
		out.StreamName, out.StreamARN = s.name, s.arn()
		out.CurrentShardLevelMetrics = append([]string{}, m.EnhancedMonitoring...)
		set := map[string]bool{}
		for _, x := range m.EnhancedMonitoring {
			set[x] = true
		}
		for _, x := range metrics {
			names := []string{x}
			if x == allMetrics {
				names = shardLevelMetrics
			}
			for _, n := range names {
				set[n] = enable
			}
		}
		m.EnhancedMonitoring = nil
		for _, n := range shardLevelMetrics {
			if set[n] {
				m.EnhancedMonitoring = append(m.EnhancedMonitoring, n)
			}
		}
		out.DesiredShardLevelMetrics = append([]string{}, m.EnhancedMonitoring...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
