package lessons

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// Check is one condition on live engine state; a step is met when all its checks hold at once.
type Check struct {
	Utilisation *UtilisationCheck `yaml:"utilisation"`
	Shards      *ShardsCheck      `yaml:"shards"`
	Metric      *MetricCheck      `yaml:"metric"`
	Checkpoint  *CheckpointCheck  `yaml:"checkpoint"`
	Leases      *LeasesCheck      `yaml:"leases"`
	Reader      *ReaderCheck      `yaml:"reader"`
	Producer    *ProducerCheck    `yaml:"producer"`
	Batch       *BatchCheck       `yaml:"batch"`
	Read        *ReadCheck        `yaml:"read"`
	Delivery    *DeliveryCheck    `yaml:"delivery"`
	Analytics   *AnalyticsCheck   `yaml:"analytics"`
	Video       *VideoCheck       `yaml:"video"`
	Access      *AccessCheck      `yaml:"access"`
	Decided     *DecidedCheck     `yaml:"decided"`
	Alarm       *AlarmCheck       `yaml:"alarm"`
}

func (Check) alternatives() {}

// UtilisationCheck: a shard's write utilisation (the larger of bytes and records against the shard's limits) over
// or under a percentage for every one of the last For seconds. Shard is "hottest" (some shard), "every" (each open
// shard) or a shard's number as the map labels it.
type UtilisationCheck struct {
	Stream string        `yaml:"stream,required"`
	Shard  string        `yaml:"shard,required"`
	Over   float64       `yaml:"over"`
	Under  float64       `yaml:"under"`
	For    time.Duration `yaml:"for,required"`
}

// ShardsCheck: how many shards are open (exactly) and closed (at least).
type ShardsCheck struct {
	Stream        string `yaml:"stream,required"`
	Open          *int   `yaml:"open"`
	ClosedAtLeast *int   `yaml:"closed_at_least"`
}

// MetricCheck: a Kinesis stream metric (IncomingRecords, OutgoingRecords, WriteProvisionedThroughputExceeded,
// ReadProvisionedThroughputExceeded, …) summed since the step opened, or over the last Last seconds.
type MetricCheck struct {
	Name    string        `yaml:"name,required"`
	Stream  string        `yaml:"stream,required"`
	Shard   *int          `yaml:"shard"`
	AtLeast *uint64       `yaml:"at_least"`
	AtMost  *uint64       `yaml:"at_most"`
	Last    time.Duration `yaml:"last"`
}

// CheckpointCheck: a kcl reader's checkpoint on a shard is SHARD_END, or at or past the last record a put put there.
type CheckpointCheck struct {
	Reader   string `yaml:"reader,required"`
	Shard    int    `yaml:"shard"`
	ShardEnd bool   `yaml:"shard_end"`
	PastPut  string `yaml:"past_put"`
}

// LeasesCheck: how many of a kcl reader's leases one of its workers (1, 2, …) holds, at least.
type LeasesCheck struct {
	Reader  string `yaml:"reader,required"`
	Worker  int    `yaml:"worker,required"`
	AtLeast int    `yaml:"at_least,required"`
}

// ReaderCheck: what a reader started by the lesson has seen since it started.
type ReaderCheck struct {
	Name              string  `yaml:"name,required"`
	RecordsAtLeast    *uint64 `yaml:"records_at_least"`
	DuplicatesAtLeast *uint64 `yaml:"duplicates_at_least"`
	ThrottledAtLeast  *uint64 `yaml:"throttled_at_least"`
	ThrottledAtMost   *uint64 `yaml:"throttled_at_most"`
	InOrder           bool    `yaml:"in_order"`
}

// ProducerCheck: a producer's accepted and throttled records since the step opened.
type ProducerCheck struct {
	Name             string `yaml:"name,required"`
	AcceptedAtLeast  *int   `yaml:"accepted_at_least"`
	ThrottledAtLeast *int   `yaml:"throttled_at_least"`
}

// BatchCheck: the outcome of a put_batch: entries refused in its first call round, entries still failed at the
// end, and the rounds it took.
type BatchCheck struct {
	Name               string `yaml:"name,required"`
	FirstFailedAtLeast *int   `yaml:"first_failed_at_least"`
	FailedAtMost       *int   `yaml:"failed_at_most"`
	FailedAtLeast      *int   `yaml:"failed_at_least"`
	AttemptsAtLeast    *int   `yaml:"attempts_at_least"`
}

// ReadCheck: how many records a read action got.
type ReadCheck struct {
	Name    string `yaml:"name,required"`
	Records int    `yaml:"records,required"`
}

// DeliveryCheck: a delivery stream's counts since it started.
type DeliveryCheck struct {
	Name             string  `yaml:"name,required"`
	ObjectsAtLeast   *uint64 `yaml:"objects_at_least"`
	DeliveredAtLeast *uint64 `yaml:"delivered_at_least"`
	FailedAtLeast    *uint64 `yaml:"failed_at_least"`
}

// AnalyticsCheck: a query's rows and late records.
type AnalyticsCheck struct {
	App         string  `yaml:"app,required"`
	Query       string  `yaml:"query,required"`
	RowsAtLeast *uint64 `yaml:"rows_at_least"`
	LateAtLeast *uint64 `yaml:"late_at_least"`
}

// VideoCheck: how many fragments a video stream holds, and of them how many are key-frame-started (all are).
type VideoCheck struct {
	Stream           string `yaml:"stream,required"`
	FragmentsAtLeast int    `yaml:"fragments_at_least,required"`
}

// Result is one check as the screen shows it: what it asks and how things stand.
type Result struct {
	Want string // "a shard over 100 % of its write limit for 5 s"
	Now  string // "shard 2: 126 % for 3 s"
	Met  bool
}

func (c *Check) validate(n *names) error {
	switch {
	case c.Utilisation != nil:
		u := c.Utilisation
		if (u.Over == 0) == (u.Under == 0) {
			return errors.New("utilisation: give over or under (a percentage)")
		}
		if u.Shard != "hottest" && u.Shard != "every" {
			if _, err := strconv.Atoi(u.Shard); err != nil {
				return fmt.Errorf("utilisation: shard %q is hottest, every or a shard's number", u.Shard)
			}
		}
		if u.For < time.Second || u.For > 5*time.Minute {
			return fmt.Errorf("utilisation: for %s is 1s to 5m", u.For)
		}
		return n.need(n.streams, "stream", u.Stream)
	case c.Shards != nil:
		if c.Shards.Open == nil && c.Shards.ClosedAtLeast == nil {
			return errors.New("shards: give open or closed_at_least")
		}
		return n.need(n.streams, "stream", c.Shards.Stream)
	case c.Metric != nil:
		if _, ok := metricByName(c.Metric.Name); !ok {
			return fmt.Errorf("metric: %q is not one of the stream's metrics (IncomingRecords, OutgoingRecords, "+
				"WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, …)", c.Metric.Name)
		}
		if c.Metric.AtLeast == nil && c.Metric.AtMost == nil {
			return errors.New("metric: give at_least or at_most")
		}
		return n.need(n.streams, "stream", c.Metric.Stream)
	case c.Checkpoint != nil:
		if c.Checkpoint.ShardEnd == (c.Checkpoint.PastPut != "") {
			return errors.New("checkpoint: give shard_end: true or past_put")
		}
		if c.Checkpoint.PastPut != "" {
			if err := n.need(n.puts, "put", c.Checkpoint.PastPut); err != nil {
				return err
			}
		}
		return n.need(n.readers, "reader", c.Checkpoint.Reader)
	case c.Leases != nil:
		return n.need(n.readers, "reader", c.Leases.Reader)
	case c.Reader != nil:
		return n.need(n.readers, "reader", c.Reader.Name)
	case c.Producer != nil:
		return n.need(n.producers, "producer", c.Producer.Name)
	case c.Batch != nil:
		return n.need(n.batches, "put_batch", c.Batch.Name)
	case c.Read != nil:
		return n.need(n.reads, "read", c.Read.Name)
	case c.Delivery != nil:
		return n.need(n.deliveries, "delivery stream", c.Delivery.Name)
	case c.Analytics != nil:
		return n.need(n.apps, "analytics application", c.Analytics.App)
	case c.Video != nil:
		return n.need(n.videos, "video stream", c.Video.Stream)
	case c.Access != nil:
		return c.Access.validate("access", n)
	case c.Decided != nil:
		return AccessCheck(*c.Decided).validate("decided", n)
	case c.Alarm != nil:
		return c.Alarm.validate(n)
	}
	return nil
}

func metricByName(name string) (engine.Metric, bool) {
	for m := range engine.NumMetrics {
		if m.String() == name {
			return m, true
		}
	}
	return 0, false
}

func atLeast[T int | uint64](got T, want *T) bool { return want == nil || got >= *want }
func atMost[T int | uint64](got T, want *T) bool  { return want == nil || got <= *want }

// evaluate reports the check against the session's state now.
func (s *Session) evaluate(ctx context.Context, c *Check) Result {
	switch {
	case c.Utilisation != nil:
		return s.utilisation(ctx, c.Utilisation)
	case c.Shards != nil:
		return s.shardCount(ctx, c.Shards)
	case c.Metric != nil:
		return s.metric(ctx, c.Metric)
	case c.Checkpoint != nil:
		return s.checkpoint(ctx, c.Checkpoint)
	case c.Leases != nil:
		return s.leases(ctx, c.Leases)
	case c.Reader != nil:
		return s.readerResult(c.Reader)
	case c.Producer != nil:
		return s.producer(c.Producer)
	case c.Batch != nil:
		return s.batchResult(c.Batch)
	case c.Read != nil:
		s.mu.Lock()
		got, ok := s.reads[c.Read.Name]
		s.mu.Unlock()
		r := Result{Want: fmt.Sprintf("the read %q gets %d records", c.Read.Name, c.Read.Records), Now: "not read yet"}
		if ok {
			r.Now, r.Met = fmt.Sprintf("it got %d", got), got == c.Read.Records
		}
		return r
	case c.Delivery != nil:
		return s.delivery(c.Delivery)
	case c.Analytics != nil:
		return s.analytics(c.Analytics)
	case c.Video != nil:
		return s.video(c.Video)
	case c.Access != nil:
		return s.access(ctx, c.Access)
	case c.Decided != nil:
		return s.decided(c.Decided)
	case c.Alarm != nil:
		return s.alarm(c.Alarm)
	}
	return Result{Want: "nothing", Met: true}
}

// utilisation looks at the last For complete seconds of each open shard.
func (s *Session) utilisation(ctx context.Context, u *UtilisationCheck) Result {
	secs := int(u.For / time.Second)
	r := Result{Want: utilisationWant(u)}
	var snap engine.MetricsSnapshot
	if err := s.ws.Engine.Metrics(ctx, engine.StreamRef{StreamName: u.Stream}, secs+1, &snap); err != nil {
		r.Now = err.Error()
		return r
	}
	lim := snap.Limits
	holdsFor := func(sh *engine.ShardMetrics) (int, float64) { // seconds in a row (newest first) it holds, now
		run, now := 0, math.NaN()
		for i := secs - 1; i >= 0; i-- { // the last element is the partial current second
			b := float64(sh.Series[engine.IncomingBytes][i]) / lim.WriteBytesPerSec
			n := float64(sh.Series[engine.IncomingRecords][i]) / lim.WriteRecordsPerSec
			pct := 100 * max(b, n)
			if i == secs-1 {
				now = pct
			}
			if (u.Over > 0 && pct <= u.Over) || (u.Under > 0 && pct >= u.Under) {
				break
			}
			run++
		}
		return run, now
	}
	best, bestShard, bestNow := -1, -1, 0.0
	every, worstNow, worstShard := true, 0.0, -1
	for i := range snap.Shards {
		sh := &snap.Shards[i]
		if !sh.Open {
			continue
		}
		if u.Shard != "hottest" && u.Shard != "every" && strconv.Itoa(sh.Index) != u.Shard {
			continue
		}
		run, now := holdsFor(sh)
		if run > best {
			best, bestShard, bestNow = run, sh.Index, now
		}
		if run < secs {
			every = false
		}
		if now >= worstNow {
			worstNow, worstShard = now, sh.Index
		}
	}
	switch u.Shard {
	case "every":
		r.Met = every && worstShard >= 0
		r.Now = fmt.Sprintf("the busiest open shard, %d, is at %.0f %%", worstShard, worstNow)
	default:
		r.Met = best >= secs
		if bestShard >= 0 {
			r.Now = fmt.Sprintf("shard %d: %.0f %%, %d of %d s", bestShard, bestNow, max(best, 0), secs)
		}
	}
	return r
}

func utilisationWant(u *UtilisationCheck) string {
	which := "a shard"
	switch u.Shard {
	case "every":
		which = "every open shard"
	case "hottest":
	default:
		which = "shard " + u.Shard
	}
	if u.Over > 0 {
		return fmt.Sprintf("%s over %.0f %% of its write limit for %s", which, u.Over, u.For)
	}
	return fmt.Sprintf("%s under %.0f %% of its write limit for %s", which, u.Under, u.For)
}

func (s *Session) shardCount(ctx context.Context, c *ShardsCheck) Result {
	var want []string
	if c.Open != nil {
		want = append(want, fmt.Sprintf("%d open shards", *c.Open))
	}
	if c.ClosedAtLeast != nil {
		want = append(want, fmt.Sprintf("at least %d closed", *c.ClosedAtLeast))
	}
	r := Result{Want: c.Stream + " has " + joinAnd(want)}
	shards, err := s.ws.Engine.Shards(ctx, engine.StreamRef{StreamName: c.Stream})
	if err != nil {
		r.Now = err.Error()
		return r
	}
	open, closed := 0, 0
	for _, sh := range shards {
		if sh.Open {
			open++
		} else {
			closed++
		}
	}
	r.Now = fmt.Sprintf("%d open, %d closed", open, closed)
	r.Met = (c.Open == nil || open == *c.Open) && atLeast(closed, c.ClosedAtLeast)
	return r
}

// metricsKept is how many seconds of metrics the engine keeps: a baseline sums all of them.
const metricsKept = 3600

// metricSum adds up a metric check's metric over the last seconds.
func (s *Session) metricSum(ctx context.Context, c *MetricCheck, seconds int) (uint64, error) {
	m, _ := metricByName(c.Name)
	var snap engine.MetricsSnapshot
	if err := s.ws.Engine.Metrics(ctx, engine.StreamRef{StreamName: c.Stream}, seconds, &snap); err != nil {
		return 0, err
	}
	var sum uint64
	for _, sh := range snap.Shards {
		if c.Shard != nil && sh.Index != *c.Shard {
			continue
		}
		for _, v := range sh.Series[m] {
			sum += uint64(v)
		}
	}
	return sum, nil
}

func (s *Session) metric(ctx context.Context, c *MetricCheck) Result {
	where := c.Stream
	if c.Shard != nil {
		where = fmt.Sprintf("%s shard %d", c.Stream, *c.Shard)
	}
	var bounds []string
	if c.AtLeast != nil {
		bounds = append(bounds, fmt.Sprintf("at least %d", *c.AtLeast))
	}
	if c.AtMost != nil {
		bounds = append(bounds, fmt.Sprintf("at most %d", *c.AtMost))
	}
	since := "since this step opened"
	if c.Last > 0 {
		since = "in the last " + c.Last.String()
	}
	r := Result{Want: fmt.Sprintf("%s %s: %s %s", where, c.Name, joinAnd(bounds), since)}
	var sum uint64
	var err error
	if c.Last > 0 {
		sum, err = s.metricSum(ctx, c, int(c.Last/time.Second))
	} else {
		var base uint64
		s.mu.Lock()
		for j := range s.lesson.Steps[s.step].Check {
			if s.lesson.Steps[s.step].Check[j].Metric == c {
				base = s.baselines[j]
			}
		}
		s.mu.Unlock()
		sum, err = s.metricSum(ctx, c, metricsKept)
		sum -= min(base, sum) // an hour-old second leaving the window must not wrap the count round
	}
	if err != nil {
		r.Now = err.Error()
		return r
	}
	r.Now = fmt.Sprintf("%d so far", sum)
	r.Met = atLeast(sum, c.AtLeast) && atMost(sum, c.AtMost)
	return r
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	out := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		out += ", " + p
	}
	return out + " and " + parts[len(parts)-1]
}
