package lessons

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// PosError is a problem in a lesson file at a line and column (both from 1).
type PosError struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *PosError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

func errAt(n *yaml.Node, format string, args ...any) *PosError {
	return &PosError{Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

// oneOf marks a struct of alternatives (a check, an action): exactly one of its fields is given.
type oneOf interface{ alternatives() }

var durationType = reflect.TypeFor[time.Duration]()

// decodeStrict decodes n into out (a pointer) field by field, so that an unknown key, a wrong type or a missing
// required field is reported at its own line and column; yaml.v3's Decode alone names only the line, and ignores
// unknown keys. Struct fields are matched by their yaml tag; a tag option ",required" makes a field required.
func decodeStrict(n *yaml.Node, out any) error {
	return decodeValue(n, reflect.ValueOf(out).Elem())
}

func decodeValue(n *yaml.Node, v reflect.Value) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case v.Kind() == reflect.Pointer:
		if n.Tag == "!!null" {
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(n, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case v.Type() == durationType:
		var s string
		if n.Kind != yaml.ScalarNode || n.Decode(&s) != nil {
			return errAt(n, "want a duration such as 5s or 1m30s")
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return errAt(n, "%q is not a duration such as 5s or 1m30s", s)
		}
		v.SetInt(int64(d))
		return nil
	case v.Kind() == reflect.Struct:
		return decodeStruct(n, v)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.Uint8:
		if n.Kind != yaml.SequenceNode {
			return errAt(n, "want a list")
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := decodeValue(item, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case v.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return errAt(n, "want a mapping of names to values")
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := reflect.New(v.Type().Key()).Elem()
			if err := decodeValue(n.Content[i], k); err != nil {
				return err
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(n.Content[i+1], e); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return nil
	case v.Kind() == reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			return errAt(n, "%v", err)
		}
		v.Set(reflect.ValueOf(&x).Elem())
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return errAt(n, "want a single value (%s), not a %s", kindName(v.Type()), nodeKind(n))
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		return errAt(n, "%q is not %s", n.Value, kindName(v.Type()))
	}
	return nil
}

func decodeStruct(n *yaml.Node, v reflect.Value) error {
	if n.Kind != yaml.MappingNode {
		return errAt(n, "want a mapping with %s", strings.Join(fieldNames(v.Type()), ", "))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		f, ok := fieldByTag(v.Type(), key.Value)
		if !ok {
			return errAt(key, "unknown field %q; the fields here are %s", key.Value, strings.Join(fieldNames(v.Type()), ", "))
		}
		if seen[key.Value] {
			return errAt(key, "field %q given twice", key.Value)
		}
		seen[key.Value] = true
		if err := decodeValue(val, v.FieldByIndex(f.Index)); err != nil {
			return err
		}
	}
	if _, ok := v.Addr().Interface().(oneOf); ok && len(seen) != 1 {
		return errAt(n, "want exactly one of %s", strings.Join(fieldNames(v.Type()), ", "))
	}
	for i := range v.NumField() {
		name, required := tagOf(v.Type().Field(i))
		if required && !seen[name] {
			return errAt(n, "field %q is required here", name)
		}
	}
	return nil
}

func tagOf(f reflect.StructField) (name string, required bool) {
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	return name, opts == "required"
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if n, _ := tagOf(t.Field(i)); n == name && n != "" && n != "-" {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func fieldNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if n, _ := tagOf(t.Field(i)); n != "" && n != "-" {
			out = append(out, n)
		}
	}
	return out
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint32, reflect.Uint:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return "text"
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}
