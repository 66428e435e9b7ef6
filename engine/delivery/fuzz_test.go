package delivery

import "testing"

// FuzzParseSpec: any bytes either parse into a spec that validates, or give an error; never a panic, and a spec
// that parses exports to JSON that parses to the same name.
func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(`{"name":"d","source":{"stream":"s"},"destinations":[{"kind":"folder","path":"x"}]}`))
	f.Add([]byte(`{"name":"d","source":{"stream":"s","start":"AT_TIMESTAMP"},"processors":[{"kind":"transform","expr":"data.("}],"destinations":[]}`))
	f.Add([]byte(`{"name":"d","source":{"stream":"s"},"processors":[{"kind":"partition","keys":[{"name":"k","expr":"data.k"}]}],` +
		`"destinations":[{"kind":"folder","path":"x","prefix":"a=!{partitionKeyFromQuery:k}/!{timestamp:yyyy-MM}/!{"}]}`))
	f.Add([]byte(`{"name":"d","source":{"stream":"s"},"processors":[{"kind":"convert","format":"parquet","schema":[{"name":"a","type":"int"}]}],` +
		`"destinations":[{"kind":"http","url":"http://x/_bulk","format":"bulk","errorFolder":"e"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		spec, err := ParseSpec(b)
		if err != nil {
			return
		}
		again, err := ParseSpec(spec.MarshalIndent())
		if err != nil || again.Name != spec.Name {
			t.Fatalf("a valid spec does not round-trip: %v", err)
		}
		if _, err := compile(spec); err != nil {
			t.Fatalf("a valid spec does not compile: %v", err)
		}
	})
}
