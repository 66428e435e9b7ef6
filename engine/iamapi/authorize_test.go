package iamapi

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestNamesOfALargeCallAreFoundWithoutDecodingIt: a PutRecordBatch of 500 records names its delivery stream,
// found by a scan, and a record that spells a member's key inside its string does not fool it.
func TestNamesOfALargeCallAreFoundWithoutDecodingIt(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range 500 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"Data":"` + strings.Repeat("QUFB", 40) + `\"DeliveryStreamName\":\"evil"}`)
	}
	b.WriteString(`],"DeliveryStreamName":"orders"}`)
	if b.Len() <= smallBody {
		t.Fatalf("the body is %d bytes: not a large one", b.Len())
	}
	r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(b.String()))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if n := names(r); n.DeliveryStreamName != "orders" {
		t.Errorf("found %+v, want DeliveryStreamName orders", n)
	}
	if rest, _ := io.ReadAll(r.Body); len(rest) != b.Len() {
		t.Errorf("the body handed on has %d bytes of %d", len(rest), b.Len())
	}
}

// TestALargeCallWithSpacesIsStillNamed: a body that puts whitespace around the colon, so the scan misses its
// key, is decoded whole: a Deny on the delivery stream cannot be stepped around by formatting the JSON.
func TestALargeCallWithSpacesIsStillNamed(t *testing.T) {
	body := `{"Records":[{"Data":"` + strings.Repeat("QUFB", 30000) + `"}], "DeliveryStreamName" : "orders"}`
	r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if n := names(r); n.DeliveryStreamName != "orders" {
		t.Errorf("found %+v, want DeliveryStreamName orders", n)
	}
}
