package cloudwatchapi

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// bind fills the typed inputs from a decoded request, whichever protocol it came in: each protocol's decoder
// (query.go, wire.go) turns the body into a tree of map[string]any, []any and scalars, and one walk over the input
// type's fields reads it, so member names, required members and the wording of a wrong value are written once.
// Scalars differ by protocol: Query sends text for everything (lists as Name.member.N, maps as Name.entry.N.key),
// JSON sends numbers as json.Number and timestamps as epoch seconds, CBOR sends its own numbers and timestamps as
// tag 1. A member the type does not know is ignored, as AWS ignores it.

var timeType = reflect.TypeOf(time.Time{})

// bind reads node into v (a pointer to an input struct).
func bind(p protocol, node any, v any) error {
	return binder{p}.value(node, reflect.ValueOf(v).Elem(), "")
}

type binder struct{ p protocol }

func (b binder) value(node any, v reflect.Value, path string) error {
	if node == nil {
		return nil // JSON and CBOR null: the member is absent
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return b.value(node, v.Elem(), path)
	}
	if v.Type() == timeType {
		t, err := b.timestamp(node, path)
		if err == nil {
			v.Set(reflect.ValueOf(t))
		}
		return err
	}
	switch v.Kind() {
	case reflect.Struct:
		return b.structure(node, v, path)
	case reflect.Slice:
		return b.list(node, v, path)
	case reflect.Map:
		return b.mapping(node, v, path)
	case reflect.String:
		s, ok := node.(string)
		if !ok {
			return invalid(path, "a string", node)
		}
		v.SetString(s)
	case reflect.Bool:
		t, err := b.boolean(node, path)
		v.SetBool(t)
		return err
	case reflect.Int32, reflect.Int64:
		n, err := b.integer(node, path, v.Type().Bits())
		v.SetInt(n)
		return err
	case reflect.Float64:
		f, err := b.double(node, path)
		v.SetFloat(f)
		return err
	default:
		return fmt.Errorf("cloudwatchapi: no decoding for %s at %s", v.Type(), path)
	}
	return nil
}

func (b binder) structure(node any, v reflect.Value, path string) error {
	m, ok := node.(map[string]any)
	if !ok {
		return invalid(path, "a structure", node)
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := join(path, f.Name)
		child, present := m[f.Name]
		if !present || child == nil {
			if f.Tag.Get("cw") == "required" {
				return MissingParameter(name)
			}
			continue
		}
		if err := b.value(child, v.Field(i), name); err != nil {
			return err
		}
	}
	return nil
}

func (b binder) list(node any, v reflect.Value, path string) error {
	var items []any
	switch n := node.(type) {
	case []any:
		items = n
	case string:
		if b.p != protoQuery || n != "" {
			return invalid(path, "a list", node)
		}
		// "Name=" is how Query sends an empty list.
	case map[string]any:
		if b.p != protoQuery {
			return invalid(path, "a list", node)
		}
		var err error
		if items, err = indexed(n, "member", path); err != nil {
			return err
		}
	default:
		return invalid(path, "a list", node)
	}
	s := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		if item == nil {
			return invalid(path+".member."+strconv.Itoa(i+1), "a value", nil)
		}
		if err := b.value(item, s.Index(i), path+".member."+strconv.Itoa(i+1)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func (b binder) mapping(node any, v reflect.Value, path string) error {
	m, ok := node.(map[string]any)
	if !ok {
		return invalid(path, "a map", node)
	}
	out := reflect.MakeMapWithSize(v.Type(), len(m))
	if b.p == protoQuery {
		entries, err := indexed(m, "entry", path)
		if err != nil {
			return err
		}
		m = make(map[string]any, len(entries))
		for i, e := range entries {
			kv, ok := e.(map[string]any)
			at := path + ".entry." + strconv.Itoa(i+1)
			if !ok {
				return invalid(at, "a key and a value", e)
			}
			k, ok := kv["key"].(string)
			if !ok {
				return MissingParameter(at + ".key")
			}
			m[k] = kv["value"]
		}
	}
	for k, child := range m {
		ev := reflect.New(v.Type().Elem()).Elem()
		if err := b.value(child, ev, path+"."+k); err != nil {
			return err
		}
		out.SetMapIndex(reflect.ValueOf(k), ev)
	}
	v.Set(out)
	return nil
}

// indexed reads Query's numbered members (Name.member.1, Name.member.2, …) in the order of their numbers.
func indexed(m map[string]any, word, path string) ([]any, error) {
	if len(m) != 1 {
		for k := range m {
			if k != word {
				return nil, InvalidParameterValue("The parameter %s.%s is not valid: the members of %s are named %s.%s.1, %s.%s.2, ….",
					path, k, path, path, word, path, word)
			}
		}
	}
	members, ok := m[word].(map[string]any)
	if !ok {
		return nil, invalid(path+"."+word, "numbered members ("+word+".1, "+word+".2, …)", m[word])
	}
	type item struct {
		n    int
		node any
	}
	items := make([]item, 0, len(members))
	for k, node := range members {
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 {
			return nil, InvalidParameterValue("%s.%s.%s: %q is not a list position (1, 2, …).", path, word, k, k)
		}
		items = append(items, item{n, node})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n < items[j].n })
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it.node
	}
	return out, nil
}

func (b binder) boolean(node any, path string) (bool, error) {
	switch n := node.(type) {
	case bool:
		return n, nil
	case string:
		if b.p == protoQuery {
			switch strings.ToLower(n) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
	}
	return false, invalid(path, "true or false", node)
}

func (b binder) integer(node any, path string, bits int) (int64, error) {
	var n int64
	var ok bool
	switch x := node.(type) {
	case uint64:
		n, ok = int64(x), x <= math.MaxInt64
	case int64:
		n, ok = x, true
	case json.Number:
		n, ok = parseInteger(string(x))
	case string:
		if b.p == protoQuery {
			n, ok = parseInteger(x)
		}
	case float64:
		n, ok = int64(x), x == math.Trunc(x) && math.Abs(x) < 1<<53
	}
	if !ok {
		return 0, invalid(path, "an integer", node)
	}
	if limit := int64(1) << (bits - 1); n < -limit || n >= limit {
		return 0, InvalidParameterValue("The value %d for parameter %s is out of range.", n, path)
	}
	return n, nil
}

func parseInteger(s string) (int64, bool) {
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64) // 60.0 and 6e1 are integers too
	return int64(f), err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53
}

func (b binder) double(node any, path string) (float64, error) {
	switch x := node.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return f, nil
		}
	case string:
		// JSON spells non-finite doubles as these strings; Query sends every number as text.
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		if b.p == protoQuery {
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, nil
			}
		}
	}
	return 0, invalid(path, "a number", node)
}

// timestamp reads Query's ISO 8601 text, JSON's epoch seconds, or CBOR's tag 1 (epoch seconds, whole or
// fractional; a bare number is taken the same way). Sub-millisecond digits are dropped: no SDK sends them.
func (b binder) timestamp(node any, path string) (time.Time, error) {
	switch x := node.(type) {
	case time.Time:
		return x.UTC().Round(time.Millisecond), nil
	case string:
		if b.p == protoQuery {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
				if t, err := time.Parse(layout, x); err == nil {
					return t.UTC().Round(time.Millisecond), nil
				}
			}
			return time.Time{}, invalid(path, "an ISO 8601 timestamp (2006-01-02T15:04:05Z)", node)
		}
	case json.Number, float64, float32, uint64, int64:
		if b.p == protoQuery {
			break
		}
		f, err := b.double(node, path)
		if err == nil && !math.IsNaN(f) && math.Abs(f) < 1e12 {
			return epoch(f), nil
		}
	}
	return time.Time{}, invalid(path, "a timestamp in epoch seconds", node)
}

func epoch(f float64) time.Time {
	sec := math.Floor(f)
	ms := math.Round((f - sec) * 1000)
	return time.Unix(int64(sec), int64(ms)*int64(time.Millisecond)).UTC()
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// invalid words a member of the wrong kind, naming it and showing what came (shortened).
func invalid(path, want string, got any) *Error {
	if path == "" {
		path = "the request"
	}
	return InvalidParameterValue("The value %s for parameter %s is not valid: expected %s.", describe(got), path, want)
}

func describe(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		s = strconv.Quote(x)
	case map[string]any:
		return "(a structure)"
	case []any:
		return "(a list)"
	case cbor.Tag:
		return fmt.Sprintf("(CBOR tag %d)", x.Number)
	case []byte:
		return "(a blob)"
	default:
		s = fmt.Sprint(x)
	}
	if len(s) > 64 {
		s = s[:61] + "…"
	}
	return s
}
