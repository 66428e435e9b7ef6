package kinesisapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// emptyMembers lists the top-level members of the action's input (in, the decoded request) that the body sent
// as empty strings (""), for engine.MemberErrors: the engine's Go API cannot tell "" from absent, the wire can.
// A member the action does not have is ignored, as AWS ignores it. A body that holds no empty string at all (the
// bytes `""` in JSON, 0x60 in CBOR; almost every PutRecords) is not decoded a second time.
func emptyMembers(f format, body []byte, in any) (names []string) {
	defer func() {
		if len(names) > 0 {
			members := membersOf(reflect.TypeOf(in))
			names = slices.DeleteFunc(names, func(n string) bool { return !members[n] })
		}
	}()
	if f == formatCBOR {
		if bytes.IndexByte(body, 0x60) < 0 {
			return nil
		}
		var top map[string]cbor.RawMessage
		if cborDec.Unmarshal(body, &top) != nil {
			return nil // the action's own decoding says what is wrong with it
		}
		for name, raw := range top {
			if len(raw) == 1 && raw[0] == 0x60 {
				names = append(names, name)
			}
		}
		return names
	}
	if !bytes.Contains(body, []byte(`""`)) {
		return nil
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return nil
	}
	for name, raw := range top {
		if string(raw) == `""` {
			names = append(names, name)
		}
	}
	return names
}

var memberSets sync.Map // reflect.Type → map[string]bool

// membersOf is the set of wire names of an input type's members, embedded structures' included.
func membersOf(t reflect.Type) map[string]bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if m, ok := memberSets.Load(t); ok {
		return m.(map[string]bool)
	}
	m := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			maps.Copy(m, membersOf(f.Type))
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" {
			m[name] = true
		}
	}
	memberSets.Store(t, m)
	return m
}
