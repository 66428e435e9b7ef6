package delivery

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/recordexpr"
)

// Per-record results of the processors, as a Firehose transform reports them.
const (
	ResultOk               = "Ok"
	ResultDropped          = "Dropped"
	ResultProcessingFailed = "ProcessingFailed"
)

// pipeline is a spec's processors, compiled once. run is called by every shard's reader at once.
type pipeline struct {
	steps   []step
	newline bool
	codec   string         // "" for none
	parquet *parquetSchema // set when records become Parquet rows: each object is then one Parquet file
	taps    taps           // the latest records per node, while a preview is open
}

type step struct {
	kind    string
	ref     string // ProcessorRef of the spec's processor: its counts and preview
	value   *recordexpr.Value
	filter  *recordexpr.Filter
	keys    []namedValue
	csv     *csvColumns
	parquet *parquetSchema
}

// csvColumns are a CSV conversion's columns: given, or the first record's keys, sorted, for every record after.
type csvColumns struct {
	once sync.Once
	cols []string
}

type namedValue struct {
	name  string
	value *recordexpr.Value
}

// item is one record on its way to the destinations.
type item struct {
	data  []byte
	keys  map[string]string
	ts    time.Time // arrival time: the !{timestamp:…} of its prefix
	shard string
	seq   string
	err   string // why processing failed (ResultProcessingFailed)
	// partitionKey is the source record's, for a stream destination.
	partitionKey string
	// row is the record as a Parquet row, when the pipeline converts to Parquet.
	row parquet.Row
}

func compile(s Spec) (*pipeline, error) {
	p := &pipeline{}
	for i, proc := range s.Processors {
		st := step{kind: proc.Kind, ref: ProcessorRef(i)}
		var err error
		switch proc.Kind {
		case Transform:
			st.value, err = recordexpr.CompileValue(proc.Expr)
		case Filter:
			st.filter, err = recordexpr.CompileFilter(proc.Expr)
		case Partition:
			for _, k := range proc.Keys {
				v, kerr := recordexpr.CompileValue(k.Expr)
				if kerr != nil {
					err = kerr
					break
				}
				st.keys = append(st.keys, namedValue{k.Name, v})
			}
		case Convert:
			if proc.Format == "parquet" {
				p.parquet = newParquetSchema(proc.Schema)
				st.parquet = p.parquet
			} else {
				st.csv = &csvColumns{cols: proc.Columns}
			}
		case Newline:
			p.newline = true // applied last, but counted (and previewed) where it stands
		case Compress:
			p.codec = proc.Codec
		}
		if err != nil {
			return nil, err
		}
		p.steps = append(p.steps, st)
	}
	return p, nil
}

// run passes one record through the steps, counting it in stages (one per processor). A run-time error (a nil
// member, a key that is not text) makes the record ProcessingFailed: it goes to the error output with the error,
// never silently away.
func (p *pipeline) run(r engine.Record, shard string, stages []StageMetrics) (item, string) {
	it := item{data: r.Data, ts: r.ApproximateArrivalTimestamp, shard: shard, seq: r.SequenceNumber, partitionKey: r.PartitionKey}
	rec := recordexpr.NewRecord(r.Data, r.PartitionKey, r.SequenceNumber, shard, r.ApproximateArrivalTimestamp)
	tapping := p.taps.on.Load()
	if tapping {
		p.taps.add(SourceRef, Sample{At: time.Now(), Shard: shard, SequenceNumber: it.seq, Before: r.Data, After: r.Data, Result: ResultOk})
	}
	for i, st := range p.steps {
		before := it.data
		res, err := p.apply(st, &it, &rec, r, shard)
		stage := &stages[i]
		stage.In++
		switch res {
		case ResultOk:
			stage.Out++
		case ResultProcessingFailed:
			stage.Failed++
			it.err = err.Error()
		}
		if tapping {
			s := Sample{At: time.Now(), Shard: shard, SequenceNumber: it.seq, Before: before, Result: res, Error: it.err}
			if res == ResultOk {
				s.After = it.data
				if st.kind == Newline {
					s.After = append(it.data[:len(it.data):len(it.data)], '\n')
				}
			}
			p.taps.add(st.ref, s)
		}
		if res != ResultOk {
			return it, res
		}
	}
	if p.newline && p.parquet == nil {
		it.data = append(it.data[:len(it.data):len(it.data)], '\n')
	}
	return it, ResultOk
}

// apply runs one step on the record, updating it and its expression view.
func (p *pipeline) apply(st step, it *item, rec *recordexpr.Record, r engine.Record, shard string) (string, error) {
	switch st.kind {
	case Transform:
		out, err := st.value.Eval(*rec)
		if err != nil {
			return ResultProcessingFailed, err
		}
		if out == nil {
			return ResultDropped, nil
		}
		data, err := encodeValue(out)
		if err != nil {
			return ResultProcessingFailed, err
		}
		it.data = data
		*rec = recordexpr.NewRecord(data, r.PartitionKey, r.SequenceNumber, shard, r.ApproximateArrivalTimestamp)
	case Filter:
		ok, err := st.filter.Match(*rec)
		if err != nil {
			return ResultProcessingFailed, err
		}
		if !ok {
			return ResultDropped, nil
		}
	case Convert:
		if st.parquet != nil {
			row, err := st.parquet.row(rec.Data)
			if err != nil {
				return ResultProcessingFailed, err
			}
			it.row = row
			return ResultOk, nil
		}
		line, err := st.csv.line(rec.Data)
		if err != nil {
			return ResultProcessingFailed, err
		}
		it.data = line
		*rec = recordexpr.NewRecord(line, r.PartitionKey, r.SequenceNumber, shard, r.ApproximateArrivalTimestamp)
	case Partition:
		if it.keys == nil {
			it.keys = map[string]string{}
		}
		for _, k := range st.keys {
			v, err := k.value.Eval(*rec)
			if err == nil && v == nil {
				err = fmt.Errorf("partition key %s is nil", k.name)
			}
			if err != nil {
				return ResultProcessingFailed, err
			}
			it.keys[k.name] = fmt.Sprint(v)
		}
	}
	return ResultOk, nil
}

// encodeValue turns a transform's result into the record's new bytes: text as is, anything else as JSON.
func encodeValue(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return []byte(x), nil
	case []byte:
		return x, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("the transform's result cannot be written as JSON: %w", err)
	}
	return b, nil
}

// line writes a JSON object's values as one CSV line (with its "\n"), in the columns' order; a missing value is
// empty, a nested one its JSON.
func (c *csvColumns) line(data any) ([]byte, error) {
	obj, ok := data.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("CSV conversion needs a JSON object, got %T", data)
	}
	c.once.Do(func() {
		if len(c.cols) == 0 {
			c.cols = slices.Sorted(maps.Keys(obj))
		}
	})
	fields := make([]string, len(c.cols))
	for i, col := range c.cols {
		switch v := obj[col].(type) {
		case nil:
		case string:
			fields[i] = v
		case map[string]any, []any:
			b, _ := json.Marshal(v)
			fields[i] = string(b)
		default:
			fields[i] = fmt.Sprint(v)
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(fields)
	w.Flush()
	return b.Bytes(), w.Error()
}
