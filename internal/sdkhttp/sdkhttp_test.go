package sdkhttp

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// closedOnEOF is a body whose WriteTo, like the SDK's after it was closed, answers io.EOF.
type closedOnEOF struct{ *bytes.Reader }

func (closedOnEOF) Close() error                     { return nil }
func (closedOnEOF) WriteTo(io.Writer) (int64, error) { return 0, io.EOF }

func TestBodiesReachTheTransportWithoutWriteTo(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL, closedOnEOF{bytes.NewReader([]byte("payload"))})
	req.ContentLength = 7
	resp, err := Client(nil, time.Minute).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if string(got) != "payload" {
		t.Errorf("server read %q: the body was sent through WriteTo", got)
	}
}
