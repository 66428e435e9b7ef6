package delivery

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// StageMetrics are one node's counts, for the pipeline builder: records in, records out, and records that failed
// there (a processor's ProcessingFailed, a destination's DeliveryFailed). What a filter or a nil transform drops is
// In − Out − Failed.
type StageMetrics struct {
	In, Out, Failed uint64
}

// Node references name the parts of a spec, for per-node metrics, previews and the builder's layout.
const (
	SourceRef = "source"
	BufferRef = "buffer"
)

// ProcessorRef names the spec's i-th processor.
func ProcessorRef(i int) string { return fmt.Sprintf("processors[%d]", i) }

// DestinationRef names the spec's i-th destination.
func DestinationRef(i int) string { return fmt.Sprintf("destinations[%d]", i) }

// Sample is one record as a node saw it, for the builder's live preview.
type Sample struct {
	At             time.Time
	Shard          string
	SequenceNumber string
	Before         []byte // the record as it came into the node
	After          []byte // as it left; nil when dropped or failed
	Result         string // Ok, Dropped or ProcessingFailed (processors); Ok or DeliveryFailed (destinations)
	Error          string
	Object         string // the object, row batch or request a destination wrote it in
}

// previewDepth is how many of the latest records each node keeps while someone watches.
const previewDepth = 5

// previewIdle is how long taps stay on after the last Preview call: sampling costs a little per record, so nobody
// pays for it unless a preview is open.
const previewIdle = 10 * time.Second

// taps keep the latest records of every node while a preview is being watched.
type taps struct {
	on    atomic.Bool
	asked atomic.Int64 // unix nanoseconds of the last Preview

	mu    sync.Mutex
	rings map[string][]Sample
}

func (t *taps) add(ref string, s Sample) {
	t.mu.Lock()
	if t.rings == nil {
		t.rings = map[string][]Sample{}
	}
	ring := append(t.rings[ref], s)
	if len(ring) > previewDepth {
		ring = append(ring[:0], ring[len(ring)-previewDepth:]...)
	}
	t.rings[ref] = ring
	t.mu.Unlock()
}

// expire turns the taps off once nobody has asked for a preview for a while; called once per page read.
func (t *taps) expire(now time.Time) {
	if t.on.Load() && now.UnixNano()-t.asked.Load() > int64(previewIdle) {
		t.on.Store(false)
		t.mu.Lock()
		t.rings = nil
		t.mu.Unlock()
	}
}

// Preview returns the latest records that passed the node ref (SourceRef, ProcessorRef(i), DestinationRef(i)),
// oldest first. The first call turns sampling on: it fills as records flow, and stops when previews stop being
// asked for.
func (d *Delivery) Preview(ref string) []Sample {
	d.pipe.taps.asked.Store(time.Now().UnixNano())
	d.pipe.taps.on.Store(true)
	d.pipe.taps.mu.Lock()
	defer d.pipe.taps.mu.Unlock()
	return append([]Sample(nil), d.pipe.taps.rings[ref]...)
}

// addStages adds one page's per-node counts. Caller holds d.mu.
func (d *Delivery) addStagesLocked(procs []StageMetrics) {
	if d.metrics.Processors == nil {
		d.metrics.Processors = make([]StageMetrics, len(d.spec.Processors))
	}
	for i, c := range procs {
		p := &d.metrics.Processors[i]
		p.In += c.In
		p.Out += c.Out
		p.Failed += c.Failed
	}
}

// sampleDestination keeps the last records of a group a destination took, when a preview is open.
func (d *Delivery) sampleDestination(i int, object string, group []item, result, why string) {
	if !d.pipe.taps.on.Load() {
		return
	}
	for _, it := range group[max(0, len(group)-previewDepth):] {
		d.pipe.taps.add(DestinationRef(i), Sample{At: time.Now(), Shard: it.shard, SequenceNumber: it.seq,
			Before: it.data, Result: result, Error: why, Object: object})
	}
}
