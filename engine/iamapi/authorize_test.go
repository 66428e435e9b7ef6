package iamapi

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestNamesOfALargeCallAreFoundWithoutDecodingIt: a PutRecords of 500 records names its stream, found by a scan,
// and a partition key that spells a member's key inside its string does not fool it.
func TestNamesOfALargeCallAreFoundWithoutDecodingIt(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range 500 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"Data":"` + strings.Repeat("QUFB", 40) + `","PartitionKey":"k\"StreamName\":\"evil"}`)
	}
	b.WriteString(`],"StreamName":"orders"}`)
	if b.Len() <= smallBody {
		t.Fatalf("the body is %d bytes: not a large one", b.Len())
	}
	r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(b.String()))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if n := names(r); n.StreamName != "orders" {
		t.Errorf("found %+v, want StreamName orders", n)
	}
	if rest, _ := io.ReadAll(r.Body); len(rest) != b.Len() {
		t.Errorf("the body handed on has %d bytes of %d", len(rest), b.Len())
	}
}
