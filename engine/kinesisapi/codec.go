package kinesisapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/shardlab/shardlab/internal/bufpool"
)

// format is a request's wire format; the response uses the same.
type format int

const (
	formatJSON format = iota // application/x-amz-json-1.1: blobs base64, timestamps epoch seconds
	formatCBOR               // application/x-amz-cbor-1.1: blobs raw, timestamps tag 1 (epoch milliseconds, as the Java SDK sends them)
)

func (f format) contentType() string {
	if f == formatCBOR {
		return "application/x-amz-cbor-1.1"
	}
	return "application/x-amz-json-1.1"
}

var (
	cborDec cbor.DecMode
	cborEnc cbor.EncMode
)

func init() {
	var err error
	// Limits keep a hostile body from making the decoder allocate without bound.
	cborDec, err = cbor.DecOptions{MaxNestedLevels: 16, MaxArrayElements: 10_000, MaxMapPairs: 10_000,
		DupMapKey: cbor.DupMapKeyEnforcedAPF}.DecMode()
	if err != nil {
		panic(err)
	}
	cborEnc, err = cbor.EncOptions{}.EncMode()
	if err != nil {
		panic(err)
	}
}

// decode reads a request body into v. An empty body is an empty structure, as AWS treats it.
func (f format) decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var err error
	if f == formatCBOR {
		err = cborDec.Unmarshal(body, v)
	} else if in, ok := v.(*putRecordsIn); ok && fastPutRecordsInto(body, in) {
		return nil
	} else {
		d := json.NewDecoder(bytes.NewReader(body))
		err = d.Decode(v)
		if err == nil && d.More() {
			err = errors.New("unexpected data after the JSON document")
		}
	}
	if err != nil {
		return serializationError(err)
	}
	return nil
}

// jsonAppender is an answer that writes its own JSON, for the large ones.
type jsonAppender interface {
	appendJSON([]byte) []byte
	jsonSize() int
}

// encode renders an answer; the caller may hand the bytes to bufpool.Put once written.
func (f format) encode(v any) ([]byte, error) {
	if f == formatCBOR {
		return cborEnc.Marshal(v)
	}
	if a, ok := v.(jsonAppender); ok {
		return a.appendJSON(bufpool.Get(a.jsonSize())), nil
	}
	return json.Marshal(v)
}

// serializationError words a decoding failure the way a client can act on: which member, what was wrong.
func serializationError(err error) error {
	var worded *apiError
	if errors.As(err, &worded) {
		return worded // a member's own decoding already words it as AWS does (blob, timestamp)
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var cborType *cbor.UnmarshalTypeError
	var b64 base64.CorruptInputError
	msg := err.Error()
	switch {
	case errors.As(err, &b64):
		msg = fmt.Sprintf("a blob member (Data) is not valid base64: bad byte at offset %d", int64(b64))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the request"
		}
		msg = fmt.Sprintf("%s cannot be converted to %s at '%s'", jsonKind(typeErr.Value), typeErr.Type.Kind(), field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "the body is not valid JSON: it ends before the document does"
	case errors.As(err, &syntaxErr):
		msg = fmt.Sprintf("the body is not valid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)
	case errors.As(err, &cborType):
		msg = fmt.Sprintf("%s cannot be converted to %s", cborType.CBORType, cborType.GoType)
	}
	return &apiError{code: "SerializationException", message: msg}
}

func jsonKind(v string) string {
	switch v {
	case "string":
		return "STRING_VALUE"
	case "number":
		return "NUMBER_VALUE"
	case "object":
		return "Start of structure or map"
	case "array":
		return "Start of list"
	case "bool":
		return "BOOLEAN_VALUE"
	}
	return v
}

// timestamp is a time on the wire: epoch seconds (a JSON number) or CBOR tag 1.
type timestamp struct{ time.Time }

func ts(t time.Time) *timestamp {
	if t.IsZero() {
		return nil
	}
	return &timestamp{t}
}

func (t timestamp) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(t.UnixMilli())/1000, 'f', -1, 64), nil
}

func (t *timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	// AWS JSON 1.1 sends a timestamp as a number of epoch seconds; AWS refuses anything else, a quoted number too.
	switch {
	case len(b) > 0 && b[0] == '"':
		return &apiError{code: "SerializationException", message: "class java.lang.String can not be converted to milliseconds since epoch"}
	case string(b) == "true" || string(b) == "false":
		return &apiError{code: "SerializationException", message: "class java.lang.Boolean can not be converted to milliseconds since epoch"}
	case len(b) > 0 && (b[0] == '[' || b[0] == '{'):
		return jsonKindError(b, "milliseconds since epoch")
	}
	secs, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp %s is not a number of seconds since the epoch", b)
	}
	t.Time, err = epochMillis(secs * 1000)
	return err
}

func (t timestamp) MarshalCBOR() ([]byte, error) {
	return cborEnc.Marshal(cbor.Tag{Number: 1, Content: t.UnixMilli()})
}

// UnmarshalCBOR reads tag 1 (or 0) itself rather than letting the CBOR library turn it into a time.Time: the
// library follows RFC 8949 and reads an integer as seconds, but the Java SDK v1/v2 and the KCL send integer epoch
// milliseconds under tag 1, which the library would place some 57,000 years ahead.
func (t *timestamp) UnmarshalCBOR(b []byte) error {
	content := cbor.RawMessage(b)
	if len(b) > 0 && b[0]>>5 == 6 { // major type 6: a tag
		var tag cbor.RawTag
		if err := cborDec.Unmarshal(b, &tag); err != nil {
			return err
		}
		if tag.Number != 0 && tag.Number != 1 {
			return fmt.Errorf("timestamp under CBOR tag %d, want tag 1 (epoch time) or 0 (RFC 3339 text)", tag.Number)
		}
		content = tag.Content
	}
	var raw any
	err := cborDec.Unmarshal(content, &raw)
	if err != nil {
		return err
	}
	switch v := raw.(type) {
	case nil:
		return nil
	case uint64:
		t.Time, err = epochMillis(integerMillis(float64(v)))
	case int64:
		t.Time, err = epochMillis(integerMillis(float64(v)))
	case float64: // float seconds, as RFC 8949 and Smithy's RPC v2 CBOR say
		t.Time, err = epochMillis(v * 1000)
	case string:
		parsed, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return err
		}
		t.Time = parsed
	default:
		return fmt.Errorf("timestamp of CBOR type %T", raw)
	}
	return err
}

// integerMillis reads an integer timestamp: the Java SDK and the KCL send milliseconds under tag 1, RFC 8949 says
// seconds. No seconds value before the year 5138 is as large as a millisecond value after 1973, so a value above
// 1e11 (either side of the epoch) is milliseconds and anything smaller is seconds.
func integerMillis(v float64) float64 {
	if math.Abs(v) > 1e11 {
		return v
	}
	return v * 1000
}

// maxEpochMillis is the last millisecond of the year 9999, the latest time AWS's timestamp formats can carry; it
// also keeps the float-to-integer conversion below in range.
const maxEpochMillis = 253402300799999

// epochMillis turns a count of epoch milliseconds into a time, refusing what no timestamp can be.
func epochMillis(ms float64) (time.Time, error) {
	if math.IsNaN(ms) || math.Abs(ms) > maxEpochMillis {
		return time.Time{}, fmt.Errorf("timestamp %g ms since the epoch is out of range: timestamps end with the year 9999", ms)
	}
	return time.UnixMilli(int64(math.Round(ms))), nil
}
