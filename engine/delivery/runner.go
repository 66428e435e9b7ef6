package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/consumer"
)

// Metrics are a delivery stream's counters since it started.
type Metrics struct {
	Incoming         uint64 // records read from the source
	Delivered        uint64 // records written to every destination
	DeliveredBytes   uint64 // bytes of objects written (after compression)
	Objects          uint64
	Dropped          uint64 // records a transform or filter dropped
	ProcessingFailed uint64 // records a processor failed on: in the error output
	DeliveryFailed   uint64 // records a destination refused for the whole retry duration: in the error output
	Retries          uint64
	// ReadsThrottled counts the source reads refused over a shard's read limit, which every reader shares.
	ReadsThrottled uint64
	// Freshness is the age of the oldest record read but not yet delivered (zero when none waits).
	Freshness time.Duration
	LastError string
	// Buffered counts the records that came through the processors into the buffer.
	Buffered uint64
	// Processors and Destinations are per-node counts, in the spec's order (nil until the first record).
	Processors   []StageMetrics
	Destinations []StageMetrics
}

// Delivery is a running delivery stream. Stop it to flush its buffer.
type Delivery struct {
	eng   *engine.Engine
	spec  Spec
	pipe  *pipeline
	dests []destination

	mu      sync.Mutex
	items   []item
	failed  []item
	bytes   int
	oldest  time.Time // arrival of the oldest buffered record
	since   time.Time // when the buffer got its first item: the interval counts from here
	waiters []chan struct{}
	// checkpoints holds, per shard, the last page buffered: the flush that writes the buffer checkpoints it.
	checkpoints map[string]*consumer.Batch
	// inflight marks the shards with pages in the flush being written: a later page of theirs waits for the next
	// flush to be checkpointed, even one that brought no records, so no checkpoint passes an unwritten page.
	inflight map[string]bool
	metrics  Metrics
	failErr  error // a failure nothing can write around (the error output itself refused): the delivery stops

	kick         chan struct{}
	stopFlush    context.CancelFunc
	flushDone    chan struct{}
	stopWorker   context.CancelFunc
	worker       *consumer.Worker
	workerDone   chan struct{}
	stopOnce     sync.Once
	workerResult error // set before workerDone closes
}

// underDataDir resolves a destination's relative folders against the data directory (the folder of the engine's
// file), so a spec such as the samples' works wherever the app was started from.
func underDataDir(eng *engine.Engine, d Destination) Destination {
	base := filepath.Dir(eng.Path())
	if d.Path != "" && !filepath.IsAbs(d.Path) {
		d.Path = filepath.Join(base, d.Path)
	}
	if d.ErrorFolder != "" && !filepath.IsAbs(d.ErrorFolder) {
		d.ErrorFolder = filepath.Join(base, d.ErrorFolder)
	}
	return d
}

// ConsumerApp is the consumer application a delivery stream reads its source as: its leases and checkpoints are
// the delivery's position, and it shows in the Consumers tab under this name.
func ConsumerApp(name string) string { return "delivery-" + name }

// Start validates and compiles the spec, then runs it: a worker of the consumer application ConsumerApp(name)
// reads the source from its checkpoints (or the spec's start position), and a flusher writes the buffer out.
func Start(eng *engine.Engine, spec Spec) (*Delivery, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	pipe, err := compile(spec)
	if err != nil {
		return nil, err
	}
	d := &Delivery{eng: eng, spec: spec, pipe: pipe, kick: make(chan struct{}, 1), flushDone: make(chan struct{}),
		workerDone: make(chan struct{})}
	for _, ds := range spec.Destinations {
		d.dests = append(d.dests, newDestination(eng, underDataDir(eng, ds)))
	}
	start := spec.Source.Start
	if start == "" {
		start = consumer.Latest
	}
	w, err := consumer.NewWorker(eng, consumer.Config{App: ConsumerApp(spec.Name), Worker: "shardlab",
		Stream: engine.StreamRef{StreamName: spec.Source.Stream}, InitialPosition: start,
		InitialTimestamp: spec.Source.At, Process: d.process, DeferShardEnd: true,
		PollInterval: consumer.SharedPollInterval})
	if err != nil {
		return nil, err
	}
	flushCtx, stopFlush := context.WithCancel(context.Background())
	workerCtx, stopWorker := context.WithCancel(context.Background())
	d.stopFlush, d.stopWorker, d.worker = stopFlush, stopWorker, w
	go func() {
		defer close(d.flushDone)
		d.flushLoop(flushCtx)
	}()
	go func() {
		defer close(d.workerDone)
		d.workerResult = w.Run(workerCtx)
	}()
	return d, nil
}

// Stop flushes what is buffered (so it is checkpointed), then stops reading. ctx bounds how long a failing
// destination may hold the last flush; what it does not deliver is not checkpointed and is read again next time.
func (d *Delivery) Stop(ctx context.Context) {
	d.stopOnce.Do(func() {
		d.stopFlush()
		<-d.flushDone
		d.flush(ctx)
		d.stopWorker()
		<-d.workerDone
		for _, dest := range d.dests {
			if c, ok := dest.(interface{ close() }); ok {
				c.close()
			}
		}
	})
}

// Done is closed when the delivery stops reading: after Stop, or by itself when its source went away.
func (d *Delivery) Done() <-chan struct{} { return d.workerDone }

// Err is why the delivery stopped reading by itself; nil while it runs and after Stop.
func (d *Delivery) Err() error {
	select {
	case <-d.workerDone:
	default:
		return nil
	}
	d.mu.Lock()
	failErr := d.failErr
	d.mu.Unlock()
	if failErr != nil {
		return failErr
	}
	if errors.Is(d.workerResult, context.Canceled) {
		return nil
	}
	return d.workerResult
}

// Spec is what the delivery runs.
func (d *Delivery) Spec() Spec { return d.spec }

// Metrics reports the counters and the data freshness.
func (d *Delivery) Metrics() Metrics {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.metrics
	m.ReadsThrottled = d.worker.ReadsThrottled()
	m.Processors = slices.Clone(m.Processors)
	m.Destinations = slices.Clone(m.Destinations)
	if !d.oldest.IsZero() {
		m.Freshness = time.Since(d.oldest)
	}
	return m
}

// process is the consumer worker's handler: it runs the processors over a page and buffers the results; the
// flush that writes them checkpoints the page, so a checkpoint never runs ahead of what was delivered. A reader
// goes on to its next page meanwhile, unless the buffer already holds twice its size hint: then it waits for the
// flush (back-pressure).
func (d *Delivery) process(ctx context.Context, b *consumer.Batch) error {
	var its, fails []item
	dropped := 0
	d.pipe.taps.expire(time.Now())
	stages := make([]StageMetrics, len(d.pipe.steps))
	for _, r := range b.Records {
		it, res := d.pipe.run(r, b.ShardID, stages)
		switch res {
		case ResultOk:
			its = append(its, it)
		case ResultDropped:
			dropped++
		default:
			fails = append(fails, it)
		}
	}
	d.mu.Lock()
	d.metrics.Incoming += uint64(len(b.Records))
	d.metrics.Dropped += uint64(dropped)
	d.metrics.Buffered += uint64(len(its))
	d.addStagesLocked(stages)
	if len(its)+len(fails) == 0 {
		if d.checkpoints[b.ShardID] == nil && !d.inflight[b.ShardID] {
			d.mu.Unlock()
			return b.Checkpoint(ctx) // nothing of the shard waits: the page is done
		}
		// An earlier page of the shard waits for a flush: so does this one.
		wasEmpty := d.pendingLocked() == 0
		d.holdLocked(b)
		if wasEmpty {
			select {
			case d.kick <- struct{}{}:
			default:
			}
		}
		d.mu.Unlock()
		return nil
	}
	wasEmpty := d.pendingLocked() == 0
	if wasEmpty {
		d.since = time.Now()
	}
	for _, it := range append(its, fails...) {
		d.bytes += len(it.data)
		if d.oldest.IsZero() || it.ts.Before(d.oldest) {
			d.oldest = it.ts
		}
	}
	d.items = append(d.items, its...)
	d.failed = append(d.failed, fails...)
	d.holdLocked(b)
	if wasEmpty || d.bytes >= d.spec.bufferBytes() || d.spec.interval() == 0 {
		select { // the flusher arms its interval, or flushes now
		case d.kick <- struct{}{}:
		default:
		}
	}
	if d.bytes < 2*d.spec.bufferBytes() && d.spec.interval() > 0 {
		d.mu.Unlock()
		return nil
	}
	flushed := make(chan struct{})
	d.waiters = append(d.waiters, flushed)
	d.mu.Unlock()
	select {
	case <-flushed:
		return nil
	case <-ctx.Done():
		return ctx.Err() // not checkpointed: read again next time
	}
}

// holdLocked keeps a page to checkpoint after the next flush. Caller holds d.mu.
func (d *Delivery) holdLocked(b *consumer.Batch) {
	if d.checkpoints == nil {
		d.checkpoints = map[string]*consumer.Batch{}
	}
	if len(d.items)+len(d.failed) == 0 && len(d.checkpoints) == 0 {
		d.since = time.Now()
	}
	d.checkpoints[b.ShardID] = b
}

// pendingLocked is what the next flush has to do. Caller holds d.mu.
func (d *Delivery) pendingLocked() int { return len(d.items) + len(d.failed) + len(d.checkpoints) }

// flushLoop writes the buffer out when it reaches the size hint, or when its oldest item has waited the interval.
func (d *Delivery) flushLoop(ctx context.Context) {
	for ctx.Err() == nil { // a flush cut short by ctx puts its records back: don't flush them again here
		d.mu.Lock()
		pending, since, full := d.pendingLocked() > 0, d.since, d.bytes >= d.spec.bufferBytes()
		d.mu.Unlock()
		if pending && (full || time.Since(since) >= d.spec.interval()) {
			d.flush(ctx)
			continue
		}
		var due <-chan time.Time
		var t *time.Timer
		if pending {
			t = time.NewTimer(d.spec.interval() - time.Since(since))
			due = t.C
		}
		select {
		case <-ctx.Done():
		case <-d.kick:
		case <-due:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// flush writes everything buffered to every destination, then checkpoints its pages and releases the readers
// waiting on it. A flush cut short (Stop, or a failure nothing can write around) puts everything back in the buffer,
// ahead of what came meanwhile, so the next flush — Stop's last one — writes it, and no later page of a shard is
// checkpointed past it.
func (d *Delivery) flush(ctx context.Context) {
	d.mu.Lock()
	items, failed, waiters, checkpoints := d.items, d.failed, d.waiters, d.checkpoints
	bytes, oldest := d.bytes, d.oldest
	d.items, d.failed, d.waiters, d.checkpoints, d.bytes, d.oldest = nil, nil, nil, nil, 0, time.Time{}
	d.inflight = map[string]bool{}
	for shard := range checkpoints {
		d.inflight[shard] = true
	}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.inflight = nil
		d.mu.Unlock()
	}()
	// Per-destination counts land only with the whole flush: a flush cut short is written again, whole.
	destCounts := make([]StageMetrics, len(d.dests))
	for i, dest := range d.dests {
		if len(items)+len(failed) > 0 && !d.deliver(ctx, i, dest, items, failed, &destCounts[i]) {
			d.mu.Lock()
			d.items = append(items, d.items...)
			d.failed = append(failed, d.failed...)
			d.waiters = append(waiters, d.waiters...)
			for shard, b := range checkpoints {
				if d.checkpoints[shard] == nil { // a later page of the shard, if any, covers this one
					if d.checkpoints == nil {
						d.checkpoints = map[string]*consumer.Batch{}
					}
					d.checkpoints[shard] = b
				}
			}
			d.bytes += bytes
			if d.oldest.IsZero() || (!oldest.IsZero() && oldest.Before(d.oldest)) {
				d.oldest = oldest
			}
			d.mu.Unlock()
			return
		}
	}
	// Delivered: now the pages may be checkpointed. One whose lease moved meanwhile is refused; its new holder
	// reads it again (the at-least-once edge).
	for _, b := range checkpoints {
		if err := b.Checkpoint(context.Background()); err != nil {
			d.note(err)
		}
	}
	d.count(func(m *Metrics) {
		m.Delivered += uint64(len(items))
		if m.Destinations == nil {
			m.Destinations = make([]StageMetrics, len(d.dests))
		}
		for i, c := range destCounts {
			m.Destinations[i].In += c.In
			m.Destinations[i].Out += c.Out
			m.Destinations[i].Failed += c.Failed
		}
	})
	for _, w := range waiters {
		close(w)
	}
}

// deliver writes one destination's objects, one per prefix, and the error output. It reports false only when ctx
// ended first.
func (d *Delivery) deliver(ctx context.Context, index int, dest destination, items, failed []item, counts *StageMetrics) bool {
	ds := dest.spec()
	groups, order := map[string][]item{}, []string(nil)
	for _, it := range items {
		p := renderPrefix(ds.Prefix, it.ts, it.keys, "")
		if groups[p] == nil {
			order = append(order, p)
		}
		groups[p] = append(groups[p], it)
	}
	ext := codecExt[d.pipe.codec]
	if d.pipe.parquet != nil {
		ext = ".parquet"
	}
	for _, prefix := range order {
		group := groups[prefix]
		name := objectName(d.spec.Name, time.Now(), ext)
		obj, err := d.object(name, group) // fails only when a Parquet writer refuses rows
		if err == nil {
			err = d.retry(ctx, func() error { return dest.put(ctx, prefix+name, obj, group) })
			if err != nil && ctx.Err() != nil {
				return false // stopped while retrying; an object already written counts as written
			}
		}
		if err != nil { // the batch goes to the error output with why
			d.note(err)
			if !d.writeErrors(ctx, dest, group, "DeliveryFailed", err.Error()) {
				return false
			}
			d.count(func(m *Metrics) { m.DeliveryFailed += uint64(len(group)) })
			counts.In += uint64(len(group))
			counts.Failed += uint64(len(group))
			d.sampleDestination(index, prefix+name, group, "DeliveryFailed", err.Error())
			continue
		}
		d.count(func(m *Metrics) { m.Objects++; m.DeliveredBytes += uint64(len(obj)) })
		counts.In += uint64(len(group))
		counts.Out += uint64(len(group))
		d.sampleDestination(index, prefix+name, group, ResultOk, "")
	}
	if len(failed) > 0 {
		if !d.writeErrors(ctx, dest, failed, "ProcessingFailed", "") {
			return false
		}
		d.count(func(m *Metrics) { m.ProcessingFailed += uint64(len(failed)) })
	}
	return true
}

// count updates the metrics under the lock.
func (d *Delivery) count(update func(*Metrics)) {
	d.mu.Lock()
	update(&d.metrics)
	d.mu.Unlock()
}

// object is the bytes of one object: the records one after another (compressed if asked), or a Parquet file of
// their rows.
func (d *Delivery) object(name string, group []item) ([]byte, error) {
	if d.pipe.parquet != nil {
		rows := make([]parquet.Row, len(group))
		for i, it := range group {
			rows[i] = it.row
		}
		return d.pipe.parquet.file(rows)
	}
	var body bytes.Buffer
	for _, it := range group {
		body.Write(it.data)
	}
	return compress(d.pipe.codec, name, body.Bytes()), nil
}

// retry calls put with exponential back-off (0.1 s doubling to 10 s) until it succeeds, fails permanently, the
// retry duration is spent, or ctx ends.
func (d *Delivery) retry(ctx context.Context, put func() error) error {
	deadline := time.Now().Add(d.spec.retryFor())
	wait := 100 * time.Millisecond
	for {
		err := put()
		if err == nil || isPermanent(err) || !time.Now().Add(wait).Before(deadline) {
			return err
		}
		d.count(func(m *Metrics) { m.Retries++ })
		d.note(err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// errorLine is one record in the error output, in the fields Firehose writes there.
type errorLine struct {
	AttemptsMade           int               `json:"attemptsMade"`
	ArrivalTimestamp       int64             `json:"arrivalTimestamp"`
	ErrorCode              string            `json:"errorCode"`
	ErrorMessage           string            `json:"errorMessage"`
	AttemptEndingTimestamp int64             `json:"attemptEndingTimestamp"`
	RawData                []byte            `json:"rawData"`
	ShardID                string            `json:"shardId"`
	SequenceNumber         string            `json:"sequenceNumber"`
	PartitionKeys          map[string]string `json:"partitionKeys,omitempty"`
}

// writeErrors puts records into the destination's error output, one JSON line each with its error, and keeps
// trying until that works or ctx ends: the error output is the last place data can go, so it is never given up on.
func (d *Delivery) writeErrors(ctx context.Context, dest destination, items []item, code, message string) bool {
	now := time.Now()
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, it := range items {
		msg := message
		if it.err != "" {
			msg = it.err
		}
		_ = enc.Encode(errorLine{AttemptsMade: 1, ArrivalTimestamp: it.ts.UnixMilli(), ErrorCode: code, ErrorMessage: msg,
			AttemptEndingTimestamp: now.UnixMilli(), RawData: it.data, ShardID: it.shard, SequenceNumber: it.seq,
			PartitionKeys: it.keys})
	}
	sink := errorSink(dest)
	prefix := errorPrefix(sink.spec().ErrorPrefix)
	outputType := "processing-failed"
	if code == "DeliveryFailed" {
		outputType = "delivery-failed"
	}
	key := renderPrefix(prefix, now, nil, outputType) + objectName(d.spec.Name, now, "")
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		err := sink.put(ctx, key, body.Bytes(), nil)
		if err == nil {
			return true
		}
		d.note(fmt.Errorf("error output: %w", err))
		if isPermanent(err) { // nowhere left to put the records: stop, checkpointing nothing
			d.fail(fmt.Errorf("the error output refused records for good: %w", err))
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}

// errorPrefix completes an error prefix with the output type and the hour, unless it places them itself.
func errorPrefix(p string) string {
	if p == "" {
		p = defaultErrorPrefix
	}
	if !strings.Contains(p, "!{firehose:error-output-type}") {
		p += "!{firehose:error-output-type}/"
	}
	if !strings.Contains(p, "!{timestamp:") {
		p += defaultObjectPattern
	}
	return p
}

// fail stops the delivery's reading with err, which Err then reports (the manager marks it FAILED). What is
// buffered stays unacknowledged and is read again when the delivery is started after a fix.
func (d *Delivery) fail(err error) {
	d.mu.Lock()
	if d.failErr == nil {
		d.failErr = err
	}
	d.mu.Unlock()
	d.stopWorker()
}

func (d *Delivery) note(err error) { d.count(func(m *Metrics) { m.LastError = err.Error() }) }
