// Package firehoseapi serves the Kinesis Data Firehose wire protocol (X-Amz-Target: Firehose_20150804.<Action>,
// AWS JSON 1.1) over the delivery manager, for what it supports: CreateDeliveryStream, DescribeDeliveryStream,
// ListDeliveryStreams, DeleteDeliveryStream, PutRecord and PutRecordBatch. A DirectPut delivery stream is backed
// by a one-shard Shardlab stream named firehose-<name>, so what is put is durable before it is acknowledged and is
// delivered with checkpoints like any stream source. S3 bucket ARNs map to folders under Options.BucketsDir.
package firehoseapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/delivery"
)

// TargetPrefix is the X-Amz-Target prefix of Firehose calls: a server routes on it.
const TargetPrefix = "Firehose_20150804."

// maxBody fits the largest PutRecordBatch, 4 MiB base64-encoded, with room for the JSON around it.
const maxBody = 6 << 20

// Options configure a Server.
type Options struct {
	// BucketsDir is where an S3 bucket ARN's objects go: BucketsDir/<bucket>/.
	BucketsDir string
}

// Server is an http.Handler speaking the Firehose API.
type Server struct {
	eng  *engine.Engine
	mgr  *delivery.Manager
	opts Options
}

// New returns a Server over the engine and its delivery manager.
func New(eng *engine.Engine, mgr *delivery.Manager, opts Options) *Server {
	return &Server{eng: eng, mgr: mgr, opts: opts}
}

// apiError is an error with Firehose's name for it.
type apiError struct {
	code, message string
	status        int
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func invalid(format string, args ...any) error {
	return &apiError{code: "InvalidArgumentException", message: fmt.Sprintf(format, args...)}
}

func validation(format string, args ...any) error {
	return &apiError{code: "ValidationException", message: fmt.Sprintf(format, args...)}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.fail(w, &apiError{code: "SerializationException", status: http.StatusRequestEntityTooLarge,
			message: fmt.Sprintf("Request body over the limit of %d bytes, or unreadable: %v", maxBody, err)})
		return
	}
	var out any
	switch name {
	case "CreateDeliveryStream":
		out, err = decodeAnd(body, s.createDeliveryStream)
	case "DescribeDeliveryStream":
		out, err = decodeAnd(body, s.describeDeliveryStream)
	case "ListDeliveryStreams":
		out, err = decodeAnd(body, s.listDeliveryStreams)
	case "DeleteDeliveryStream":
		out, err = decodeAnd(body, s.deleteDeliveryStream)
	case "PutRecord":
		out, err = decodeAnd(body, s.putRecord)
	case "PutRecordBatch":
		out, err = decodeAnd(body, s.putRecordBatch)
	default:
		err = &apiError{code: "UnknownOperationException", message: fmt.Sprintf("%q is not a Firehose action Shardlab serves.", name)}
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(b)
}

// decodeAnd decodes a request body into In and calls fn; a malformed body is a SerializationException.
func decodeAnd[In any](body []byte, fn func(*In) (any, error)) (any, error) {
	in := new(In)
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, in); err != nil {
			return nil, &apiError{code: "SerializationException", message: "The request body is not valid: " + err.Error()}
		}
	}
	return fn(in)
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	code, message, status := "InternalFailure", "Internal service failure: "+err.Error(), http.StatusInternalServerError
	var ae *apiError
	var ke *engine.Error
	switch {
	case errors.As(err, &ae):
		code, message, status = ae.code, ae.message, ae.status
		if status == 0 {
			status = http.StatusBadRequest
		}
	case errors.As(err, &ke):
		code, message, status = ke.Code, ke.Message, http.StatusBadRequest
	}
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{code, message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-ErrorType", code)
	w.WriteHeader(status)
	w.Write(b)
}
