package dashboard

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
)

// backlogLimit caps how many unread records a lag figure counts; beyond it the screen says "100,000+".
const backlogLimit = 100_000

// retentionWarning is the share of the retention period a consumer may fall behind before its row turns red:
// past it, records start expiring before it reads them.
const retentionWarning = 0.8

// consumerRow is one consumer on one shard.
type consumerRow struct {
	Consumer   string // application or enhanced fan-out consumer name
	Kind       string
	ShardID    string
	Owner      string // lease owner, or the subscription state
	Checkpoint string // sequence number or position
	Rate       float64
	Behind     int // -1: unknown (the GetRecords callers' row)
	Capped     bool
	Age        time.Duration // since the oldest unread record arrived
	Warn       bool          // behind past retentionWarning of the retention period
	Polling    bool          // a lease-based application: its checkpoint can be reset here
}

const (
	kindPolling = "polling app"
	kindFanOut  = "enhanced fan-out"
	kindReaders = "GetRecords"
)

// consumersModel is one refresh of the Consumers tab.
type consumersModel struct {
	Rows      []consumerRow
	Lag       map[string]time.Duration // each consumer's largest lag over its shards, for the chart
	Retention time.Duration
	Workshop  []consumer.Lease // the workshop application's leases, for the lease strip
	Err       error
}

// consumersFetcher builds models on the poll goroutine; it alone keeps the previous positions rates come from.
type consumersFetcher struct {
	eng  *engine.Engine
	ref  engine.StreamRef
	prev map[string]position
}

type position struct {
	at         time.Time
	checkpoint string // a polling application's checkpoint
	read       int    // records between the last frame's checkpoint and this one's; -1 when unknown
	delivered  uint64 // an enhanced fan-out session's records pushed so far
}

func (f *consumersFetcher) fetch() consumersModel {
	ctx := context.Background()
	now := time.Now()
	m := consumersModel{Lag: map[string]time.Duration{}}
	sum, err := f.eng.DescribeStreamSummary(ctx, f.ref)
	if err != nil {
		m.Err = err
		return m
	}
	m.Retention = time.Duration(sum.RetentionPeriodHours) * time.Hour
	next := map[string]position{}
	add := func(r consumerRow, key string, pos position) {
		if prev, ok := f.prev[key]; ok && now.After(prev.at) {
			dt := now.Sub(prev.at).Seconds()
			switch {
			case r.Kind == kindFanOut && pos.delivered >= prev.delivered:
				r.Rate = float64(pos.delivered-prev.delivered) / dt
			case r.Kind == kindFanOut: // a new session counts from zero again
				r.Rate = float64(pos.delivered) / dt
			case pos.read >= 0:
				r.Rate = float64(pos.read) / dt
			}
		}
		pos.at = now
		next[key] = pos
		m.Rows = append(m.Rows, r)
	}
	apps, _ := consumer.Applications(ctx, f.eng, sum.StreamARN)
	for _, app := range apps {
		leases, err := consumer.Leases(ctx, f.eng, app, sum.StreamARN)
		if err != nil {
			continue
		}
		if app == workshopApp {
			m.Workshop = leases
		}
		for _, l := range leases {
			r := consumerRow{Consumer: app, Kind: kindPolling, ShardID: l.ShardID, Owner: "—",
				Checkpoint: l.Checkpoint, Polling: true}
			if !l.Expired(now, leaseDurationFor(app)) {
				r.Owner = l.Owner
			}
			key := "app/" + app + "/" + l.ShardID
			pos := position{checkpoint: l.Checkpoint, read: -1}
			if l.Checkpoint != consumer.ShardEnd {
				var at time.Time
				if l.CheckpointTime != nil {
					at = *l.CheckpointTime
				}
				b, err := f.eng.ShardBacklog(ctx, f.ref, l.ShardID, l.Checkpoint, at, backlogLimit)
				if err == nil {
					r.Behind, r.Capped = b.Records, b.Capped
					if !b.Oldest.IsZero() {
						r.Age = max(now.Sub(b.Oldest), 0)
					}
					pos.read = f.readSince(ctx, l.ShardID, f.prev[key].checkpoint, b)
				}
			}
			f.finish(&m, &r)
			add(r, key, pos)
		}
	}
	list, err := f.eng.ListStreamConsumers(ctx, engine.ListStreamConsumersInput{StreamARN: sum.StreamARN})
	if err == nil {
		subs, _ := f.eng.Subscriptions(ctx, f.ref)
		for _, c := range list.Consumers {
			var mine []engine.SubscriptionInfo
			for _, s := range subs {
				if s.ConsumerARN == c.ConsumerARN {
					mine = append(mine, s)
				}
			}
			slices.SortFunc(mine, func(a, b engine.SubscriptionInfo) int { return strings.Compare(a.ShardId, b.ShardId) })
			if len(mine) == 0 {
				r := consumerRow{Consumer: c.ConsumerName, Kind: kindFanOut, Owner: c.ConsumerStatus + ", no subscription"}
				m.Rows = append(m.Rows, r)
				continue
			}
			for _, s := range mine {
				r := consumerRow{Consumer: c.ConsumerName, Kind: kindFanOut, ShardID: s.ShardId, Owner: "subscribed",
					Checkpoint: s.ContinuationSequenceNumber}
				b, err := f.eng.ShardBacklog(ctx, f.ref, s.ShardId, s.ContinuationSequenceNumber, time.Time{}, backlogLimit)
				if err == nil {
					r.Behind, r.Capped = b.Records, b.Capped
					if !b.Oldest.IsZero() {
						r.Age = max(now.Sub(b.Oldest), 0)
					}
				}
				f.finish(&m, &r)
				add(r, "efo/"+c.ConsumerARN+"/"+s.ShardId, position{delivered: s.Delivered})
			}
		}
	}
	f.addReaders(ctx, &m)
	f.prev = next
	return m
}

// addReaders adds one row per open shard for every GetRecords caller together — SDK and KCL applications through the
// API, the CLI, the consumers above — from the shard's metrics: records/s out and the oldest iterator age of the
// last whole second. Who they are and where they checkpoint lives in their own stores, not Shardlab's.
func (f *consumersFetcher) addReaders(ctx context.Context, m *consumersModel) {
	var snap engine.MetricsSnapshot
	if err := f.eng.Metrics(ctx, f.ref, 2, &snap); err != nil {
		return
	}
	for _, sh := range snap.Shards {
		out := sh.Series[engine.OutgoingRecords]
		if !sh.Open || len(out) < 2 || out[len(out)-2] == 0 {
			continue // only shards someone reads
		}
		age := time.Duration(sh.Series[engine.IteratorAgeMilliseconds][len(out)-2]) * time.Millisecond
		r := consumerRow{Consumer: "(every reader)", Kind: kindReaders, ShardID: sh.ShardId, Owner: "—",
			Rate: float64(out[len(out)-2]), Age: age, Behind: -1}
		f.finish(m, &r)
		delete(m.Lag, r.Consumer) // a sum of several readers: no line of its own on the chart
		m.Rows = append(m.Rows, r)
	}
}

// readSince counts the records between an earlier checkpoint and the current one (whose backlog is now): the
// backlog after the earlier one minus the backlog after this one, both counted now. -1 when either is capped or
// there is no earlier checkpoint.
func (f *consumersFetcher) readSince(ctx context.Context, shardID, earlier string, now engine.Backlog) int {
	if earlier == "" || earlier == consumer.AtTimestamp || now.Capped {
		return -1 // (an AT_TIMESTAMP start has not been read from yet)
	}
	if earlier == consumer.ShardEnd {
		return 0
	}
	then, err := f.eng.ShardBacklog(ctx, f.ref, shardID, earlier, time.Time{}, backlogLimit)
	if err != nil || then.Capped {
		return -1
	}
	return max(then.Records-now.Records, 0)
}

// finish marks a row that fell behind its retention and feeds the consumer's lag to the chart.
func (f *consumersFetcher) finish(m *consumersModel, r *consumerRow) {
	r.Warn = m.Retention > 0 && r.Age > time.Duration(float64(m.Retention)*retentionWarning)
	if r.Age > m.Lag[r.Consumer] {
		m.Lag[r.Consumer] = r.Age
	} else if _, ok := m.Lag[r.Consumer]; !ok {
		m.Lag[r.Consumer] = 0
	}
}

// leaseDurationFor is how long the screen waits before it calls a lease's owner gone: the workshop's own short
// duration, or the library's default for applications run elsewhere.
func leaseDurationFor(app string) time.Duration {
	if app == workshopApp {
		return workshopLease
	}
	return consumer.DefaultLeaseDuration
}
