package firehoseapi

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/internal/randid"
)

const (
	maxBatchRecords = 500
	maxBatchBytes   = 4 << 20
	maxRecordBytes  = 1000 << 10
	backingPrefix   = "firehose-"
)

type bufferingHints struct {
	SizeInMBs         *int `json:"SizeInMBs,omitempty"`
	IntervalInSeconds *int `json:"IntervalInSeconds,omitempty"`
}

type s3Destination struct {
	BucketARN         string          `json:"BucketARN"`
	RoleARN           string          `json:"RoleARN,omitempty"`
	Prefix            string          `json:"Prefix,omitempty"`
	ErrorOutputPrefix string          `json:"ErrorOutputPrefix,omitempty"`
	BufferingHints    *bufferingHints `json:"BufferingHints,omitempty"`
	CompressionFormat string          `json:"CompressionFormat,omitempty"`
}

type createIn struct {
	DeliveryStreamName               string `json:"DeliveryStreamName"`
	DeliveryStreamType               string `json:"DeliveryStreamType"`
	KinesisStreamSourceConfiguration *struct {
		KinesisStreamARN string `json:"KinesisStreamARN"`
		RoleARN          string `json:"RoleARN"`
	} `json:"KinesisStreamSourceConfiguration"`
	ExtendedS3DestinationConfiguration *s3Destination `json:"ExtendedS3DestinationConfiguration"`
	S3DestinationConfiguration         *s3Destination `json:"S3DestinationConfiguration"`
}

func (s *Server) arn(name string) string {
	sc := s.eng.DefaultScope()
	return fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", sc.Region, sc.Account, name)
}

func (s *Server) createDeliveryStream(in *createIn) (any, error) {
	if in.DeliveryStreamName == "" {
		return nil, validation("1 validation error detected: Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null")
	}
	if !delivery.ValidName(in.DeliveryStreamName) {
		return nil, validation("1 validation error detected: Value '%s' at 'deliveryStreamName' failed to satisfy constraint: "+
			"Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and 64", in.DeliveryStreamName)
	}
	dest := in.ExtendedS3DestinationConfiguration
	if dest == nil {
		dest = in.S3DestinationConfiguration
	}
	if dest == nil {
		return nil, invalid("Shardlab delivers to S3 bucket ARNs (as folders under %s): give ExtendedS3DestinationConfiguration or S3DestinationConfiguration.", s.opts.BucketsDir)
	}
	bucket, ok := strings.CutPrefix(dest.BucketARN, "arn:aws:s3:::")
	if !ok || bucket == "" || strings.ContainsAny(bucket, `/\`) || bucket == "." || bucket == ".." {
		return nil, invalid("BucketARN %q is not an S3 bucket ARN (arn:aws:s3:::<bucket>).", dest.BucketARN)
	}
	spec := delivery.Spec{Name: in.DeliveryStreamName,
		Destinations: []delivery.Destination{{Kind: delivery.Folder, Path: filepath.Join(s.opts.BucketsDir, bucket),
			Prefix: dest.Prefix, ErrorPrefix: dest.ErrorOutputPrefix, BucketARN: dest.BucketARN}}}
	if h := dest.BufferingHints; h != nil {
		if h.SizeInMBs != nil {
			spec.Buffer.SizeMiB = *h.SizeInMBs
		}
		spec.Buffer.IntervalSeconds = h.IntervalInSeconds
	}
	switch dest.CompressionFormat {
	case "", "UNCOMPRESSED":
	case "GZIP":
		spec.Processors = append(spec.Processors, delivery.Processor{Kind: delivery.Compress, Codec: "gzip"})
	default:
		return nil, invalid("CompressionFormat %s is not supported by Shardlab yet (UNCOMPRESSED, GZIP).", dest.CompressionFormat)
	}
	switch in.DeliveryStreamType {
	case "", "DirectPut":
		spec.Source = delivery.Source{Stream: backingPrefix + in.DeliveryStreamName, Start: engine.IteratorTrimHorizon, DirectPut: true}
	case "KinesisStreamAsSource":
		if in.KinesisStreamSourceConfiguration == nil {
			return nil, invalid("KinesisStreamAsSource needs a KinesisStreamSourceConfiguration.")
		}
		arn := in.KinesisStreamSourceConfiguration.KinesisStreamARN
		i := strings.Index(arn, ":stream/")
		if i < 0 {
			return nil, invalid("KinesisStreamARN %q is not a Kinesis stream ARN.", arn)
		}
		// As Firehose does, a Kinesis source is read from the moment the delivery stream is created.
		spec.Source = delivery.Source{Stream: arn[i+len(":stream/"):], Start: engine.IteratorLatest}
		if _, err := s.eng.DescribeStreamSummary(context.Background(), engine.StreamRef{StreamARN: arn}); err != nil {
			return nil, invalid("KinesisStreamARN %s: %v", arn, err)
		}
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'deliveryStreamType' failed to satisfy constraint: Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource, MSKAsSource, DatabaseAsSource]", in.DeliveryStreamType)
	}
	if err := spec.Validate(); err != nil {
		return nil, invalid("%v", err)
	}
	if _, err := s.mgr.Get(spec.Name); err == nil {
		return nil, &apiError{code: "ResourceInUseException", message: fmt.Sprintf("Firehose %s under accountId %s already exists",
			spec.Name, s.eng.DefaultScope().Account)}
	}
	if spec.Source.DirectPut {
		if err := s.backingStream(spec.Source.Stream); err != nil {
			return nil, err
		}
	}
	if err := s.mgr.Create(spec, true); err != nil {
		return nil, translate(err, spec.Name, s.eng.DefaultScope().Account)
	}
	return struct {
		DeliveryStreamARN string `json:"DeliveryStreamARN"`
	}{s.arn(spec.Name)}, nil
}

// backingStream creates the one-shard stream a DirectPut delivery stream keeps its records in, limits off (Firehose
// meters direct PUT per delivery stream, not per shard), and waits until it takes writes.
func (s *Server) backingStream(name string) error {
	ctx := context.Background()
	one := 1
	err := s.eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: name, ShardCount: &one})
	if err != nil && engine.ErrorCode(err) != engine.ErrResourceInUse {
		return err
	}
	ref := engine.StreamRef{StreamName: name}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		sum, err := s.eng.DescribeStreamSummary(ctx, ref)
		if err == nil && sum.StreamStatus == engine.StatusActive {
			return s.eng.SetLimitsEnforced(ctx, ref, false)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the backing stream %s did not become ACTIVE", name)
		}
	}
}

func translate(err error, name, account string) error {
	switch {
	case errors.Is(err, delivery.ErrNotFound):
		return &apiError{code: "ResourceNotFoundException", message: fmt.Sprintf("Firehose %s under account %s not found.", name, account)}
	case errors.Is(err, delivery.ErrExists):
		return &apiError{code: "ResourceInUseException", message: fmt.Sprintf("Firehose %s under accountId %s already exists", name, account)}
	}
	return err
}

type nameIn struct {
	DeliveryStreamName string `json:"DeliveryStreamName"`
}

func (s *Server) describeDeliveryStream(in *nameIn) (any, error) {
	info, err := s.mgr.Get(in.DeliveryStreamName)
	if err != nil {
		return nil, translate(err, in.DeliveryStreamName, s.eng.DefaultScope().Account)
	}
	status := info.State
	switch info.State {
	case delivery.StateFailed:
		status = "CREATING_FAILED"
	case delivery.StateStopped:
		status = "ACTIVE" // Firehose has no stopped state; the app and the manager say STOPPED
	}
	typ := "KinesisStreamAsSource"
	if info.Spec.Source.DirectPut {
		typ = "DirectPut"
	}
	var dests []any
	for i, d := range info.Spec.Destinations {
		size, interval := info.Spec.Buffer.SizeMiB, info.Spec.Buffer.IntervalSeconds
		if size == 0 {
			size = 5
		}
		if interval == nil {
			iv := 300
			interval = &iv
		}
		compression := "UNCOMPRESSED"
		for _, p := range info.Spec.Processors {
			if p.Kind == delivery.Compress && p.Codec == "gzip" {
				compression = "GZIP"
			}
		}
		dests = append(dests, map[string]any{
			"DestinationId": fmt.Sprintf("destinationId-%012d", i+1),
			"ExtendedS3DestinationDescription": s3Destination{BucketARN: d.BucketARN, Prefix: d.Prefix,
				ErrorOutputPrefix: d.ErrorPrefix, BufferingHints: &bufferingHints{SizeInMBs: &size, IntervalInSeconds: interval},
				CompressionFormat: compression},
		})
	}
	desc := map[string]any{
		"DeliveryStreamName": info.Spec.Name, "DeliveryStreamARN": s.arn(info.Spec.Name), "DeliveryStreamStatus": status,
		"DeliveryStreamType": typ, "VersionId": "1", "CreateTimestamp": float64(info.Created.UnixMilli()) / 1000,
		"Destinations": dests, "HasMoreDestinations": false,
	}
	if info.Error != "" {
		desc["FailureDescription"] = map[string]string{"Type": "UNKNOWN_ERROR", "Details": info.Error}
	}
	return map[string]any{"DeliveryStreamDescription": desc}, nil
}

type listIn struct {
	Limit                            *int   `json:"Limit"`
	ExclusiveStartDeliveryStreamName string `json:"ExclusiveStartDeliveryStreamName"`
}

func (s *Server) listDeliveryStreams(in *listIn) (any, error) {
	limit := 10
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 10000 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000", *in.Limit)
		}
		limit = *in.Limit
	}
	names := []string{}
	more := false
	for _, info := range s.mgr.List() {
		if info.Spec.Name <= in.ExclusiveStartDeliveryStreamName {
			continue
		}
		if len(names) == limit {
			more = true
			break
		}
		names = append(names, info.Spec.Name)
	}
	return map[string]any{"DeliveryStreamNames": names, "HasMoreDeliveryStreams": more}, nil
}

func (s *Server) deleteDeliveryStream(in *nameIn) (any, error) {
	info, err := s.mgr.Get(in.DeliveryStreamName)
	if err != nil {
		return nil, translate(err, in.DeliveryStreamName, s.eng.DefaultScope().Account)
	}
	if err := s.mgr.Delete(in.DeliveryStreamName); err != nil {
		return nil, translate(err, in.DeliveryStreamName, s.eng.DefaultScope().Account)
	}
	if info.Spec.Source.DirectPut { // the backing stream goes with it
		_ = s.eng.DeleteStream(context.Background(), engine.DeleteStreamInput{StreamRef: engine.StreamRef{StreamName: info.Spec.Source.Stream},
			EnforceConsumerDeletion: true})
	}
	return struct{}{}, nil
}

type recordIn struct {
	Data []byte `json:"Data"` // base64 on the wire
}

type putRecordIn struct {
	DeliveryStreamName string    `json:"DeliveryStreamName"`
	Record             *recordIn `json:"Record"`
}

type putBatchIn struct {
	DeliveryStreamName string     `json:"DeliveryStreamName"`
	Records            []recordIn `json:"Records"`
}

type putResult struct {
	RecordId     string `json:"RecordId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

func (s *Server) putRecord(in *putRecordIn) (any, error) {
	if in.Record == nil {
		return nil, validation("1 validation error detected: Value null at 'record' failed to satisfy constraint: Member must not be null")
	}
	results, err := s.put(in.DeliveryStreamName, []recordIn{*in.Record}, "record.data")
	if err != nil {
		return nil, err
	}
	if r := results[0]; r.ErrorCode != "" {
		return nil, &apiError{code: "ServiceUnavailableException", status: 503, message: r.ErrorMessage}
	}
	return map[string]any{"RecordId": results[0].RecordId, "Encrypted": false}, nil
}

func (s *Server) putRecordBatch(in *putBatchIn) (any, error) {
	if len(in.Records) == 0 || len(in.Records) > maxBatchRecords {
		return nil, validation("1 validation error detected: Value '%d' at 'records' failed to satisfy constraint: Member must have length between 1 and %d",
			len(in.Records), maxBatchRecords)
	}
	results, err := s.put(in.DeliveryStreamName, in.Records, "records.%d.member.data")
	if err != nil {
		return nil, err
	}
	failed := 0
	for _, r := range results {
		if r.ErrorCode != "" {
			failed++
		}
	}
	return map[string]any{"FailedPutCount": failed, "Encrypted": false, "RequestResponses": results}, nil
}

// put writes records into a DirectPut delivery stream's backing stream; a record is acknowledged once committed.
func (s *Server) put(name string, recs []recordIn, field string) ([]putResult, error) {
	total := 0
	for i, r := range recs {
		f := field
		if strings.Contains(f, "%d") {
			f = fmt.Sprintf(field, i+1)
		}
		if r.Data == nil {
			return nil, validation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", f)
		}
		if len(r.Data) > maxRecordBytes {
			return nil, validation("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", f, maxRecordBytes)
		}
		total += len(r.Data)
	}
	if total > maxBatchBytes {
		return nil, invalid("Records size %d bytes exceeds the limit of %d bytes per call.", total, maxBatchBytes)
	}
	info, err := s.mgr.Get(name)
	if err != nil {
		return nil, translate(err, name, s.eng.DefaultScope().Account)
	}
	if !info.Spec.Source.DirectPut {
		return nil, invalid("This operation is not permitted on KinesisStreamAsSource delivery stream type.")
	}
	entries := make([]engine.PutRecordsEntry, len(recs))
	for i, r := range recs {
		entries[i] = engine.PutRecordsEntry{PartitionKey: randid.Hex(8), Data: r.Data}
	}
	out, err := s.eng.PutRecords(context.Background(), engine.PutRecordsInput{
		StreamRef: engine.StreamRef{StreamName: info.Spec.Source.Stream}, Records: entries})
	if err != nil {
		return nil, err
	}
	results := make([]putResult, len(out.Records))
	for i, r := range out.Records {
		if r.ErrorCode != "" {
			results[i] = putResult{ErrorCode: "ServiceUnavailableException", ErrorMessage: r.ErrorMessage}
		} else {
			results[i] = putResult{RecordId: r.SequenceNumber}
		}
	}
	return results, nil
}
