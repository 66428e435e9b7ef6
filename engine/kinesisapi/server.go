// Package kinesisapi serves the Kinesis Data Streams wire protocol over the engine's Go API: POST / with
// X-Amz-Target: Kinesis_20131202.<Action>, bodies in AWS JSON 1.1 or CBOR, answered in the request's format with
// Kinesis's error names. Each action is a thin translation: decode the wire request, call the engine, encode its
// answer. Validation and error wording live in the engine, written once.
package kinesisapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/auth"
	"github.com/shardlab/shardlab/internal/bufpool"
	"github.com/shardlab/shardlab/internal/randid"
)

const targetPrefix = "Kinesis_20131202."

// DefaultMaxBodyBytes fits the largest legal request, a 10 MiB PutRecords or PutRecord base64-encoded (4/3 of its
// size) with room for the JSON around it.
const DefaultMaxBodyBytes = 16 << 20

// Options configure a Server.
type Options struct {
	// MaxBodyBytes is the largest request body accepted (default DefaultMaxBodyBytes); larger ones are refused
	// from their Content-Length, or as soon as the limit is read, never buffered whole.
	MaxBodyBytes int64
	// Accounts maps access key ids to account ids. Unmapped 12-digit access keys are account ids themselves;
	// others act in the engine's default account.
	Accounts map[string]string
	// Authorize, when set, decides each call once its request is decoded, so what it acts on is read from the
	// request the action itself runs (never from a second, cheaper reading that could disagree with it). action
	// is the operation's name. A non-nil error (an *auth.Error: AccessDeniedException) is the answer.
	Authorize func(r *http.Request, action string, target Target) error
}

// Target is what a call names as its resource: a consumer's, stream's or resource's ARN, or a stream's name (all
// empty for calls on the account, such as ListStreams).
type Target struct {
	StreamName, StreamARN, ConsumerARN, ResourceARN string
}

// targetOf reads the resource members of a decoded request (a struct, possibly embedding streamRef).
func targetOf(in any) Target {
	v := reflect.ValueOf(in)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return Target{}
	}
	str := func(name string) string {
		if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.String {
			return f.String()
		}
		return ""
	}
	return Target{StreamName: str("StreamName"), StreamARN: str("StreamARN"), ConsumerARN: str("ConsumerARN"), ResourceARN: str("ResourceARN")}
}

// decoder is the decode function an action gets: it reads the request into in, then asks Authorize.
func (s *Server) decoder(r *http.Request, f format, action string, body []byte) func(any) error {
	return func(in any) error {
		if err := decodeRequest(f, body, in); err != nil {
			return err
		}
		if s.opts.Authorize != nil {
			return s.opts.Authorize(r, action, targetOf(in))
		}
		return nil
	}
}

// Server is an http.Handler speaking the Kinesis API.
type Server struct {
	eng      *engine.Engine
	opts     Options
	calls    atomic.Uint64
	actions  map[string]action
	stopping context.Context // cancelled by EndSubscriptions
	stop     context.CancelFunc
}

// New returns a Server over eng.
func New(eng *engine.Engine, opts Options) *Server {
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	stopping, stop := context.WithCancel(context.Background())
	return &Server{eng: eng, opts: opts, actions: actions(), stopping: stopping, stop: stop}
}

// EndSubscriptions ends every SubscribeToShard answer in progress, so a graceful http.Server.Shutdown does not
// wait out their five minutes: register it with RegisterOnShutdown.
func (s *Server) EndSubscriptions() { s.stop() }

// Calls counts the API calls served, for the status bar.
func (s *Server) Calls() uint64 { return s.calls.Load() }

// action runs one Kinesis action: decode the request with dec, call the engine, return what to encode.
type action func(ctx context.Context, eng *engine.Engine, dec func(any) error) (any, error)

// handle adapts a typed handler to an action.
func handle[In any](fn func(context.Context, *engine.Engine, *In) (any, error)) action {
	return func(ctx context.Context, eng *engine.Engine, dec func(any) error) (any, error) {
		in := new(In)
		if err := dec(in); err != nil {
			return nil, err
		}
		return fn(ctx, eng, in)
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := requestFormat(r)
	w.Header().Set("x-amzn-RequestId", requestID())
	if strings.HasPrefix(r.URL.Path, AdminPrefix) {
		s.serveAdmin(w, r)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		s.fail(w, f, &apiError{code: "UnknownOperationException", status: http.StatusNotFound,
			message: fmt.Sprintf("%s %s is not a Kinesis API call: send POST / with an X-Amz-Target header.",
				r.Method, r.URL.Path)})
		return
	}
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if ok && name == "SubscribeToShard" {
		s.serveSubscribeToShard(w, r, f)
		return
	}
	act := s.actions[name]
	if !ok || act == nil {
		s.fail(w, f, &apiError{code: "UnknownOperationException"})
		return
	}
	body, owned, err := s.readBody(r)
	if err != nil {
		s.fail(w, f, err)
		return
	}
	if owned {
		defer bufpool.Put(body) // decoders copy what they keep
	}
	s.calls.Add(1)
	out, err := act(s.scope(r), s.eng, s.decoder(r, f, name, body))
	if err != nil {
		s.fail(w, f, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	b, err := f.encode(out)
	if r, ok := out.(interface{ release() }); ok {
		r.release() // the answer holds copies now
	}
	if err != nil {
		s.fail(w, f, err)
		return
	}
	w.Header().Set("Content-Type", f.contentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
	// Write has copied the answer into the connection's buffers or the socket by the time it returns, on HTTP/1.1
	// and h2c alike. (Answers once seemed lost with this pooling; the cause was the benchmark's client closing its
	// own connection, see readOnlyBodies in internal/bench/apibench/workload.go.)
	bufpool.Put(b)
}

// decodeRequest reads a request into v, then checks the members it sent as "": a malformed body is a
// SerializationException first, as AWS answers, and an empty member a ValidationException before the action runs.
func decodeRequest(f format, body []byte, v any) error {
	if err := f.decode(body, v); err != nil {
		return err
	}
	return engine.MemberErrors(emptyMembers(f, body, v), nil)
}

// readBody is the request's body: the bytes the signature check already read (owned by it), or read here into a
// pooled buffer the caller hands back (owned).
func (s *Server) readBody(r *http.Request) (body []byte, owned bool, err error) {
	if b, ok := auth.BodyFromContext(r.Context()); ok {
		if int64(len(b)) > s.opts.MaxBodyBytes {
			return nil, false, &apiError{code: "SerializationException", status: http.StatusRequestEntityTooLarge,
				message: fmt.Sprintf("Request body of %d bytes or more is over the limit of %d bytes.", len(b), s.opts.MaxBodyBytes)}
		}
		return b, false, nil
	}
	body, err = s.readOwnBody(r)
	return body, err == nil, err
}

func (s *Server) readOwnBody(r *http.Request) ([]byte, error) {
	tooLarge := func(n int64) error {
		return &apiError{code: "SerializationException", status: http.StatusRequestEntityTooLarge,
			message: fmt.Sprintf("Request body of %d bytes or more is over the limit of %d bytes.", n, s.opts.MaxBodyBytes)}
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, tooLarge(r.ContentLength)
	}
	limited := http.MaxBytesReader(nil, r.Body, s.opts.MaxBodyBytes)
	var body []byte
	var err error
	if r.ContentLength > 0 { // read into a buffer of the right size instead of growing one by doubling
		body = bufpool.Get(int(r.ContentLength))[:r.ContentLength]
		_, err = io.ReadFull(limited, body)
	} else {
		body, err = io.ReadAll(limited)
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return nil, tooLarge(maxErr.Limit + 1)
	}
	if err != nil {
		return nil, &apiError{code: "SerializationException", message: "Reading the request body failed: " + err.Error()}
	}
	return body, nil
}

// scope derives account and region from the request's credentials.
func (s *Server) scope(r *http.Request) context.Context {
	key, region := credentialScope(r)
	return engine.WithScope(r.Context(), engine.Scope{Account: s.accountFor(key), Region: region})
}

func (s *Server) fail(w http.ResponseWriter, f format, err error) {
	status, code, message := describe(err)
	b, encErr := f.encode(errorBody{Type: code, Message: message})
	if encErr != nil {
		f, b = formatJSON, []byte(`{"__type":"InternalFailure"}`)
	}
	w.Header().Set("Content-Type", f.contentType())
	w.Header().Set("x-amzn-ErrorType", code)
	w.WriteHeader(status)
	w.Write(b)
	// Write has copied the answer into the connection's buffers or the socket by the time it returns, on HTTP/1.1
	// and h2c alike. (Answers once seemed lost with this pooling; the cause was the benchmark's client closing its
	// own connection, see readOnlyBodies in internal/bench/apibench/workload.go.)
	bufpool.Put(b)
}

// WriteError answers r with err in the request's own protocol (JSON or CBOR), as a Kinesis or Firehose call's
// failure: the port's authentication answers through it.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	(&Server{}).fail(w, requestFormat(r), err)
}

func requestFormat(r *http.Request) format {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-amz-cbor-1.1" || ct == "application/cbor" {
		return formatCBOR
	}
	return formatJSON
}

func requestID() string { return randid.UUID() }
