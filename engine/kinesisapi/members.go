package kinesisapi

import (
	"bytes"
	"encoding/json"

	"github.com/fxamacker/cbor/v2"
)

// emptyMembers lists the top-level members a request body sent as empty strings (""), for
// engine.MemberErrors: the engine's Go API cannot tell "" from absent, the wire can. A body that holds no empty
// string at all (the bytes `""` in JSON, 0x60 in CBOR; almost every PutRecords) is not decoded a second time.
func emptyMembers(f format, body []byte) []string {
	var names []string
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
