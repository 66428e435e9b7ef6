package cloudwatchapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// AWS JSON 1.0 and Smithy RPC v2 CBOR: the same members as maps, JSON with epoch-second numbers for timestamps,
// CBOR with tag 1. Both decode into the tree bind reads, and answers are built as a tree from the output's fields.

var (
	cborDec cbor.DecMode
	cborEnc cbor.EncMode
)

func init() {
	var err error
	// Limits keep a hostile body from making the decoder allocate without bound; maps have string keys.
	cborDec, err = cbor.DecOptions{MaxNestedLevels: 32, MaxArrayElements: 100_000, MaxMapPairs: 100_000,
		DupMapKey: cbor.DupMapKeyEnforcedAPF, DefaultMapType: reflect.TypeOf(map[string]any(nil)),
		TimeTag: cbor.DecTagOptional, TimeTagToAny: cbor.TimeTagToTime}.DecMode()
	if err != nil {
		panic(err)
	}
	// Timestamps go out as tag 1 with whole or fractional seconds, which is what rpcv2Cbor asks for.
	cborEnc, err = cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()
	if err != nil {
		panic(err)
	}
}

// decodeJSON reads a JSON 1.0 body into the tree; an empty body is an empty structure, as AWS takes it.
func decodeJSON(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return nil, bodyError("JSON", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, InvalidParameterValue("The request body is not valid JSON: there is more after the document.")
	}
	return tree, nil
}

// decodeCBOR reads an RPC v2 CBOR body into the tree; an empty body is an empty structure.
func decodeCBOR(body []byte) (any, error) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	var tree any
	if err := cborDec.Unmarshal(body, &tree); err != nil {
		return nil, bodyError("CBOR", err)
	}
	return tree, nil
}

func bodyError(format string, err error) *Error {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return InvalidParameterValue("The request body is not valid JSON at byte %d: %v.", syntax.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return InvalidParameterValue("The request body is not valid %s: it ends before the document does.", format)
	}
	return InvalidParameterValue("The request body is not valid %s: %v.", format, err)
}

// tree renders an output struct as maps, lists and scalars for JSON (json: true) or CBOR.
func tree(v reflect.Value, forJSON bool) any {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if forJSON {
			return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
		}
		return t.UTC()
	}
	switch v.Kind() {
	case reflect.Struct:
		m := make(map[string]any, v.NumField())
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if fv := v.Field(i); emitted(fv) {
				m[t.Field(i).Name] = tree(fv, forJSON)
			}
		}
		return m
	case reflect.Slice:
		s := make([]any, v.Len())
		for i := range s {
			s[i] = tree(v.Index(i), forJSON)
		}
		return s
	case reflect.Map:
		m := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			m[it.Key().String()] = tree(it.Value(), forJSON)
		}
		return m
	case reflect.Float64:
		f := v.Float()
		if forJSON && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return formatDouble(f) // JSON has no literal for these; AWS JSON sends them as strings
		}
		return f
	}
	return v.Interface()
}

func encodeJSON(v any) ([]byte, error) { return json.Marshal(tree(reflect.ValueOf(v), true)) }

func encodeCBOR(v any) ([]byte, error) { return cborEnc.Marshal(tree(reflect.ValueOf(v), false)) }

// errorBody is the JSON or CBOR body of a failed call: the shape's namespaced name and its message member.
func errorBody(e *Error) map[string]any {
	return map[string]any{"__type": e.shape(), e.messageMember(): e.Message}
}
