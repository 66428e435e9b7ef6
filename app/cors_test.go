package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine"
)

// TestBrowsersCanCallTheAPI: a page using the JavaScript SDK first sends a CORS preflight; it gets what AWS's
// endpoints answer, and the real call carries the headers the SDK reads exposed.
func TestBrowsersCanCallTheAPI(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	h := newAPIServer(eng, nil, nil, nil, nil, nil).Handler

	pre := httptest.NewRequest(http.MethodOptions, "/", nil)
	pre.Header.Set("Origin", "http://localhost:5173")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,x-amz-date,authorization,x-amz-user-agent,amz-sdk-invocation-id,amz-sdk-request")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, pre)
	hd := rec.Header()
	if rec.Code != 200 || hd.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(hd.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(hd.Get("Access-Control-Allow-Headers"), "x-amz-target") || !strings.Contains(hd.Get("Access-Control-Allow-Headers"), "authorization") ||
		hd.Get("Access-Control-Max-Age") == "" {
		t.Fatalf("preflight: %d %v", rec.Code, hd)
	}

	call := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	call.Header.Set("Origin", "http://localhost:5173")
	call.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
	call.Header.Set("Content-Type", "application/x-amz-json-1.1")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, call)
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(strings.ToLower(rec.Header().Get("Access-Control-Expose-Headers")), "x-amzn-requestid") {
		t.Fatalf("call: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}
