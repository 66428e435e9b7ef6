package cloudwatchapi

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shardlab/shardlab/internal/randid"
)

const (
	targetPrefix = "GraniteServiceVersion20100801." // X-Amz-Target of JSON 1.0
	cborPrefix   = "/service/GraniteServiceVersion20100801/operation/"

	// maxBody bounds a request body, before and after gzip: CloudWatch takes up to 1 MB per PutMetricData; the
	// margin is for Query's longer spelling of the same call.
	maxBody = 4 << 20
)

// protocol is a request's wire protocol; the answer uses the same.
type protocol int

const (
	protoQuery protocol = iota
	protoJSON
	protoCBOR
)

// IsCloudWatch reports whether r is a CloudWatch call, from its headers alone: a JSON 1.0 X-Amz-Target of
// GraniteServiceVersion20100801, an RPC v2 CBOR path of that service, or a form-encoded body signed for the
// monitoring service (an unsigned Query call cannot be told from IAM's or another's without reading the body).
func IsCloudWatch(r *http.Request) bool {
	_, _, ok := detect(r)
	return ok
}

// detect names the protocol and, where the headers tell it, the operation.
func detect(r *http.Request) (protocol, string, bool) {
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, targetPrefix) {
		return protoJSON, t[len(targetPrefix):], true
	}
	if strings.HasPrefix(r.URL.Path, cborPrefix) && strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor") {
		return protoCBOR, r.URL.Path[len(cborPrefix):], true
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") &&
		strings.Contains(r.Header.Get("Authorization"), "/monitoring/aws4_request") {
		return protoQuery, "", true
	}
	if strings.Contains(r.URL.Query().Get("X-Amz-Credential"), "/monitoring/aws4_request") {
		return protoQuery, "", true // a presigned GET, Action in the query string
	}
	return protoQuery, "", false
}

// Handler answers CloudWatch calls in the protocol each came in, with what its Backend does.
type Handler struct {
	Backend Backend
}

// operation is one action's translation: a fresh input to decode into, and the Backend call.
type operation struct {
	input func() any
	call  func(context.Context, Backend, any) (any, error)
}

func op[I, O any](call func(Backend, context.Context, *I) (*O, error)) operation {
	return operation{
		input: func() any { return new(I) },
		call: func(ctx context.Context, b Backend, in any) (any, error) {
			out, err := call(b, ctx, in.(*I))
			if err == nil && out == nil {
				out = new(O)
			}
			return out, err
		},
	}
}

var operations = map[string]operation{
	"ListMetrics":         op(Backend.ListMetrics),
	"GetMetricStatistics": op(Backend.GetMetricStatistics),
	"GetMetricData":       op(Backend.GetMetricData),
	"PutMetricData":       op(Backend.PutMetricData),
	"PutMetricAlarm":      op(Backend.PutMetricAlarm),
	"DescribeAlarms":      op(Backend.DescribeAlarms),
	"DeleteAlarms":        op(Backend.DeleteAlarms),
	"SetAlarmState":       op(Backend.SetAlarmState),
}

func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, name, _ := detect(r)
	if p == protoJSON && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.0") &&
		r.Header.Get("Content-Type") != "" {
		// The SDKs always send it; anything else is not a body this decoder knows how to read.
		writeError(w, p, InvalidParameterValue("The Content-Type %q is not application/x-amz-json-1.0.", r.Header.Get("Content-Type")))
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, p, asError(err))
		return
	}
	var tree any
	switch p {
	case protoJSON:
		tree, err = decodeJSON(body)
	case protoCBOR:
		tree, err = decodeCBOR(body)
	default:
		var form url.Values
		if form, err = url.ParseQuery(string(body)); err != nil {
			err = InvalidParameterValue("The request body is not a valid form: %v.", err)
			break
		}
		if len(form) == 0 && r.URL.RawQuery != "" {
			form = r.URL.Query()
		}
		name = form.Get("Action")
		if v := form.Get("Version"); v != "" && v != apiVersion {
			err = &Error{Code: CodeInvalidAction, Message: "Could not find operation " + name + " for version " + v}
			break
		}
		tree, err = formTree(form)
	}
	if err != nil {
		writeError(w, p, asError(err))
		return
	}
	o, ok := operations[name]
	if !ok {
		writeError(w, p, unknownOperation(name))
		return
	}
	in := o.input()
	if err := bind(p, tree, in); err != nil {
		writeError(w, p, asError(err))
		return
	}
	out, err := o.call(r.Context(), h.Backend, in)
	if err != nil {
		writeError(w, p, asError(err))
		return
	}
	writeOutput(w, p, name, out)
}

func unknownOperation(name string) *Error {
	if name == "" {
		return &Error{Code: "MissingAction", Message: "The request names no action (Action, X-Amz-Target or the /operation/ path)."}
	}
	return &Error{Code: CodeInvalidAction, Message: "Could not find operation " + name + " for version " + apiVersion}
}

// readBody reads the body whole, undoing the gzip the SDKs apply to PutMetricData (the Go SDK compresses it
// whatever its size).
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var src io.Reader = r.Body
	gz := strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
	if gz {
		z, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, InvalidParameterValue("The request body is marked gzip but is not: %v.", err)
		}
		defer z.Close()
		src = z
	}
	body, err := io.ReadAll(io.LimitReader(src, maxBody+1))
	if err != nil {
		if gz {
			return nil, InvalidParameterValue("The gzip request body does not decompress: %v.", err)
		}
		return nil, InvalidParameterValue("The request body could not be read: %v.", err)
	}
	if len(body) > maxBody {
		return nil, &Error{Code: CodeRequestEntityTooLarge, Message: "Request size exceeded " + strconv.Itoa(maxBody) + " bytes"}
	}
	return body, nil
}

func writeOutput(w http.ResponseWriter, p protocol, name string, out any) {
	id := randid.UUID()
	var b []byte
	var err error
	switch p {
	case protoJSON:
		b, err = encodeJSON(out)
	case protoCBOR:
		b, err = encodeCBOR(out)
	default:
		b = writeXMLResponse(name, out, id)
	}
	if err != nil {
		writeError(w, p, asError(err))
		return
	}
	setHeaders(w, p, id)
	w.Write(b)
}

// WriteAuthError answers a CloudWatch call the port's signature check refused (InvalidSignatureException,
// IncompleteSignature, …), in the protocol the call came in.
func WriteAuthError(w http.ResponseWriter, r *http.Request, code, message string, status int) {
	p, _, _ := detect(r)
	writeError(w, p, &Error{Code: code, Message: message, Status: status})
}

func writeError(w http.ResponseWriter, p protocol, e *Error) {
	id := randid.UUID()
	var b []byte
	switch p {
	case protoJSON:
		b, _ = encodeJSON(errorBody(e))
	case protoCBOR:
		b, _ = encodeCBOR(errorBody(e))
	default:
		b = writeXMLError(e, id)
	}
	setHeaders(w, p, id)
	if p != protoQuery {
		// How the SDKs of a query-compatible service learn the Query code and fault from a JSON or CBOR answer.
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+e.fault())
	}
	w.WriteHeader(e.status())
	w.Write(b)
}

func setHeaders(w http.ResponseWriter, p protocol, requestID string) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", requestID)
	switch p {
	case protoJSON:
		h.Set("Content-Type", "application/x-amz-json-1.0")
	case protoCBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
	default:
		h.Set("Content-Type", "text/xml")
	}
}
