// Package delivery runs Firehose-like delivery streams on the engine: a source (a Shardlab stream, read with a
// checkpoint per shard), ordered processors (expr-lang transform and filter, partition keys, a newline delimiter,
// compression), buffering by size and interval, and destinations that a user can open afterwards. A destination
// that fails is retried with back-off for the retry duration, then the batch goes to the error output: nothing is
// dropped silently.
//
// Delivery is at least once: a batch is checkpointed only after it was written, so a crash between the write and
// the checkpoint writes that batch again after the restart; nothing is ever lost.
package delivery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/recordexpr"
)

// Spec is a delivery stream as a user writes it, and as it is stored and exported (JSON).
type Spec struct {
	Name         string        `json:"name"`
	Source       Source        `json:"source"`
	Processors   []Processor   `json:"processors,omitempty"`
	Buffer       Buffer        `json:"buffer"`
	Destinations []Destination `json:"destinations"`
	// RetrySeconds is how long a failing destination is retried before the batch goes to the error output
	// (0–7,200; default 300, as Firehose's).
	RetrySeconds *int `json:"retrySeconds,omitempty"`
	// Layout is where the pipeline builder drew each node (by SourceRef, ProcessorRef, BufferRef, DestinationRef),
	// kept so an exported pipeline opens as it was drawn; it changes nothing in how the pipeline runs.
	Layout map[string]Point `json:"layout,omitempty"`
}

// Point is a node's place on the builder's canvas.
type Point struct {
	X float32 `json:"x"`
	Y float32 `json:"y"`
}

// Source is where records come from.
type Source struct {
	// Stream is the Shardlab stream read, by name.
	Stream string `json:"stream"`
	// Start is TRIM_HORIZON, LATEST (default) or AT_TIMESTAMP, for a delivery that has no checkpoints yet.
	Start string    `json:"start,omitempty"`
	At    time.Time `json:"at,omitzero"`
	// DirectPut marks a stream that only backs the Firehose API's PutRecord and PutRecordBatch for this delivery.
	DirectPut bool `json:"directPut,omitempty"`
}

// Processor kinds.
const (
	Transform = "transform" // Expr maps a record to a new one (an object becomes JSON), or drops it with nil
	Filter    = "filter"    // Expr keeps the records it is true for
	Partition = "partition" // Keys name expressions whose values fill !{partitionKeyFromQuery:name}
	Newline   = "newline"   // a "\n" after each record
	Convert   = "convert"   // Format csv: a JSON object becomes a CSV line of Columns (or its keys, sorted); parquet: a row of Schema
	Compress  = "compress"  // Codec: gzip, snappy (framed) or zip, for object destinations
)

// Processor is one step between source and destinations.
type Processor struct {
	Kind    string         `json:"kind"`
	Expr    string         `json:"expr,omitempty"`
	Keys    []PartitionKey `json:"keys,omitempty"`
	Codec   string         `json:"codec,omitempty"`
	Format  string         `json:"format,omitempty"`
	Columns []string       `json:"columns,omitempty"`
	// Schema is a Parquet conversion's columns; empty: inferred from the first record.
	Schema []Column `json:"schema,omitempty"`
}

// PartitionKey is a named expression of a record: its value becomes part of the destination prefix.
type PartitionKey struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

// Buffer holds Firehose's buffering hints: an object is written when either is reached.
type Buffer struct {
	SizeMiB         int  `json:"sizeMiB,omitempty"`         // 1–128, default 5
	IntervalSeconds *int `json:"intervalSeconds,omitempty"` // 0–900, default 300
}

// Destination kinds.
const (
	Folder = "folder"   // a local folder laid out as an S3 bucket would be
	S3     = "s3"       // a bucket of any S3-compatible server, through aws-sdk-go-v2's S3 client
	PG     = "postgres" // rows of a PostgreSQL table, inserted with COPY
	Stream = "stream"   // another Shardlab stream: each record put again
	HTTP   = "http"     // an HTTP endpoint: Firehose's request format, Splunk HEC or an OpenSearch/Elasticsearch _bulk URL
)

// ColumnMapping fills a table column from a record.
type ColumnMapping struct {
	Column string `json:"column"`
	Expr   string `json:"expr,omitempty"`
}

// HTTP endpoint formats.
const (
	FormatFirehose = "firehose" // Firehose's HTTP endpoint delivery request, records base64 (the default)
	FormatSplunk   = "splunk"   // Splunk HTTP Event Collector: one {"event": …} per record, "Authorization: Splunk <key>"
	FormatBulk     = "bulk"     // an OpenSearch/Elasticsearch _bulk body: an index action and the document per record
)

// Destination is where buffered objects go.
type Destination struct {
	Kind string `json:"kind"`
	// Path is the folder (Folder).
	Path string `json:"path,omitempty"`
	// Prefix is the object key prefix; it may use !{timestamp:…} and !{partitionKeyFromQuery:…}. Empty: the
	// arrival time's YYYY/MM/DD/HH/.
	Prefix string `json:"prefix,omitempty"`
	// ErrorPrefix is where batches go that could not be delivered (default "errors/").
	ErrorPrefix string `json:"errorPrefix,omitempty"`
	// BucketARN is the S3 bucket a folder stands in for, when the Firehose API created it.
	BucketARN string `json:"bucketARN,omitempty"`
	// Stream is the target stream (Stream); each record keeps its partition key, or gets a random one.
	Stream string `json:"stream,omitempty"`
	// URL, Format, AccessKey and Index describe an HTTP endpoint (HTTP); AccessKey goes in
	// X-Amz-Firehose-Access-Key (firehose) or the Splunk Authorization header, Index names the _bulk index.
	URL       string `json:"url,omitempty"`
	Format    string `json:"format,omitempty"`
	AccessKey string `json:"accessKey,omitempty"`
	Index     string `json:"index,omitempty"`
	// Bucket, Endpoint (empty: AWS), Region (default us-east-1), PathStyle, AccessKey and SecretKey describe an S3
	// destination. The keys are kept in shardlab.db and exported with the spec: use local, throwaway ones.
	Bucket    string `json:"bucket,omitempty"`
	Endpoint  string `json:"endpoint,omitempty"`
	Region    string `json:"region,omitempty"`
	PathStyle bool   `json:"pathStyle,omitempty"`
	SecretKey string `json:"secretKey,omitempty"`
	// DSN, Table and Columns describe a PostgreSQL destination: each column's value is an expression of the record
	// (empty: data.<column>).
	DSN     string          `json:"dsn,omitempty"`
	Table   string          `json:"table,omitempty"`
	Columns []ColumnMapping `json:"columns,omitempty"`
	// ErrorFolder keeps what a stream or HTTP destination could not take (a folder destination uses its own
	// error prefix); required for those kinds, since nothing is dropped silently.
	ErrorFolder string `json:"errorFolder,omitempty"`
}

// Defaults and limits, as Firehose has them.
const (
	defaultSizeMiB       = 5
	defaultIntervalSecs  = 300
	defaultRetrySeconds  = 300
	maxSizeMiB           = 128
	maxIntervalSeconds   = 900
	maxRetrySeconds      = 7200
	defaultErrorPrefix   = "errors/"
	defaultObjectPattern = "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"
)

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// ValidName reports whether a delivery stream name is 1–64 letters, digits, '_', '.' or '-', as Firehose's are.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// ParseSpec reads a spec from JSON and validates it.
func ParseSpec(b []byte) (Spec, error) {
	s, err := DecodeSpec(b)
	if err != nil {
		return Spec{}, err
	}
	return s, s.Validate()
}

// DecodeSpec reads a spec from JSON without validating it, for the builder to open and fix; unknown fields are
// still refused, since they are most likely misspelt.
func DecodeSpec(b []byte) (Spec, error) {
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("delivery stream JSON: %w", err)
	}
	return s, nil
}

// MarshalIndent is the spec as exported: indented JSON, ready to version.
func (s Spec) MarshalIndent() []byte {
	b, _ := json.MarshalIndent(s, "", "  ") // a Spec always marshals
	return b
}

// Validate checks the spec and compiles its expressions, naming the field and the rule broken.
func (s Spec) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !namePattern.MatchString(s.Name) {
		bad("name", "%q must be 1–64 letters, digits, '_', '.' or '-'", s.Name)
	}
	if s.Source.Stream == "" {
		bad("source.stream", "a source stream is required")
	}
	switch s.Source.Start {
	case "", engine.IteratorLatest, engine.IteratorTrimHorizon:
	case engine.IteratorAtTimestamp:
		if s.Source.At.IsZero() {
			bad("source.at", "AT_TIMESTAMP needs a time")
		}
	default:
		bad("source.start", "%q is not TRIM_HORIZON, LATEST or AT_TIMESTAMP", s.Source.Start)
	}
	keys := map[string]bool{}
	parquetAt, compressAt := -1, -1
	for i, p := range s.Processors {
		field := fmt.Sprintf("processors[%d]", i)
		switch p.Kind {
		case Transform, Filter:
			if p.Expr == "" {
				bad(field+".expr", "a %s needs an expression", p.Kind)
			} else if p.Kind == Transform {
				if _, err := recordexpr.CompileValue(p.Expr); err != nil {
					bad(field+".expr", "%v", err)
				}
			} else if _, err := recordexpr.CompileFilter(p.Expr); err != nil {
				bad(field+".expr", "%v", err)
			}
		case Partition:
			if len(p.Keys) == 0 {
				bad(field+".keys", "a partition step needs at least one key")
			}
			for j, k := range p.Keys {
				kf := fmt.Sprintf("%s.keys[%d]", field, j)
				if !namePattern.MatchString(k.Name) {
					bad(kf+".name", "%q must be 1–64 letters, digits, '_', '.' or '-'", k.Name)
				}
				if _, err := recordexpr.CompileValue(k.Expr); err != nil {
					bad(kf+".expr", "%v", err)
				}
				keys[k.Name] = true
			}
		case Newline:
		case Convert:
			switch p.Format {
			case "csv":
			case "parquet":
				parquetAt = i
				seen := map[string]bool{}
				for j, c := range p.Schema {
					cf := fmt.Sprintf("%s.schema[%d]", field, j)
					if c.Name == "" || seen[c.Name] {
						bad(cf+".name", "%q is empty or used twice", c.Name)
					}
					seen[c.Name] = true
					switch c.Type {
					case ColumnString, ColumnInt, ColumnFloat, ColumnBool:
					default:
						bad(cf+".type", "%q is not string, int, float or bool", c.Type)
					}
				}
			default:
				bad(field+".format", "%q is not a supported record format (csv, parquet)", p.Format)
			}
		case Compress:
			compressAt = i
			if _, ok := codecExt[p.Codec]; !ok {
				bad(field+".codec", "%q is not a supported codec (gzip, snappy, zip)", p.Codec)
			}
		default:
			bad(field+".kind", "%q is not transform, filter, partition, convert, newline or compress", p.Kind)
		}
	}
	if parquetAt >= 0 && compressAt >= 0 {
		bad(fmt.Sprintf("processors[%d]", compressAt), "a Parquet file compresses its own pages (Snappy): no compress step after a Parquet conversion")
	}
	if parquetAt >= 0 {
		for _, p := range s.Processors[parquetAt+1:] {
			if p.Kind == Transform || p.Kind == Filter || p.Kind == Convert {
				bad(fmt.Sprintf("processors[%d]", parquetAt), "the Parquet conversion must come after every transform, filter and conversion")
				break
			}
		}
	}
	if b := s.Buffer.SizeMiB; b != 0 && (b < 1 || b > maxSizeMiB) {
		bad("buffer.sizeMiB", "%d is outside 1–%d", b, maxSizeMiB)
	}
	if iv := s.Buffer.IntervalSeconds; iv != nil && (*iv < 0 || *iv > maxIntervalSeconds) {
		bad("buffer.intervalSeconds", "%d is outside 0–%d", *iv, maxIntervalSeconds)
	}
	if r := s.RetrySeconds; r != nil && (*r < 0 || *r > maxRetrySeconds) {
		bad("retrySeconds", "%d is outside 0–%d", *r, maxRetrySeconds)
	}
	if len(s.Destinations) == 0 {
		bad("destinations", "at least one destination is required")
	}
	for i, d := range s.Destinations {
		field := fmt.Sprintf("destinations[%d]", i)
		switch d.Kind {
		case Folder:
			if d.Path == "" {
				bad(field+".path", "a folder destination needs a path")
			}
		case S3:
			if d.Bucket == "" {
				bad(field+".bucket", "an s3 destination needs a bucket")
			}
			if d.Endpoint != "" {
				if u, err := url.Parse(d.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					bad(field+".endpoint", "%q is not an http:// or https:// URL", d.Endpoint)
				}
			}
		case PG:
			if d.DSN == "" {
				bad(field+".dsn", "a postgres destination needs a connection string, e.g. postgres://user@127.0.0.1:5432/db")
			}
			if d.Table == "" {
				bad(field+".table", "a postgres destination needs a table")
			}
			if len(d.Columns) == 0 {
				bad(field+".columns", "a postgres destination needs at least one column")
			}
			for j, c := range d.Columns {
				if c.Column == "" {
					bad(fmt.Sprintf("%s.columns[%d].column", field, j), "a column needs a name")
				}
				if c.Expr != "" {
					if _, err := recordexpr.CompileValue(c.Expr); err != nil {
						bad(fmt.Sprintf("%s.columns[%d].expr", field, j), "%v", err)
					}
				}
			}
		case Stream:
			if d.Stream == "" {
				bad(field+".stream", "a stream destination needs a stream")
			}
			if d.Stream == s.Source.Stream {
				bad(field+".stream", "%q is the source: delivering into it would loop forever", d.Stream)
			}
		case HTTP:
			if u, err := url.Parse(d.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(field+".url", "%q is not an http:// or https:// URL", d.URL)
			}
			switch d.Format {
			case "", FormatFirehose, FormatSplunk, FormatBulk:
			default:
				bad(field+".format", "%q is not firehose, splunk or bulk", d.Format)
			}
			if d.Format == FormatBulk && d.Index == "" {
				bad(field+".index", "a _bulk destination needs an index")
			}
		default:
			bad(field+".kind", "%q is not a supported destination (folder, s3, postgres, stream, http)", d.Kind)
		}
		if d.Kind != Folder && d.Kind != S3 && d.ErrorFolder == "" {
			bad(field+".errorFolder", "a %s destination needs an error folder for what it cannot deliver", d.Kind)
		}
		for _, prefix := range []string{d.Prefix, d.ErrorPrefix} {
			if err := checkPrefix(prefix, keys); err != nil {
				bad(field+".prefix", "%v", err)
			}
		}
	}
	return errors.Join(errs...)
}

func (s Spec) bufferBytes() int {
	if s.Buffer.SizeMiB == 0 {
		return defaultSizeMiB << 20
	}
	return s.Buffer.SizeMiB << 20
}

func (s Spec) interval() time.Duration {
	if s.Buffer.IntervalSeconds == nil {
		return defaultIntervalSecs * time.Second
	}
	return time.Duration(*s.Buffer.IntervalSeconds) * time.Second
}

func (s Spec) retryFor() time.Duration {
	if s.RetrySeconds == nil {
		return defaultRetrySeconds * time.Second
	}
	return time.Duration(*s.RetrySeconds) * time.Second
}
