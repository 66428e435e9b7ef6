package cloudwatchapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const signedMonitoring = "AWS4-HMAC-SHA256 Credential=test/20260102/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00"

func queryRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("Authorization", signedMonitoring)
	return r
}

func jsonRequest(op, body string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", targetPrefix+op)
	return r
}

func cborRequest(op string, body []byte) *http.Request {
	r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	r.URL.Path = cborPrefix + op // set, not parsed: a fuzzed name may hold any byte
	r.Header.Set("Content-Type", "application/cbor")
	r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	return r
}

func serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	Handler{Backend: &fakeBackend{}}.ServeHTTP(w, r)
	return w
}

// TestErrorsPerProtocol: each protocol's failures come back in its own form, with the Query code where the
// query-compatible SDKs look for it, and the message naming the member at fault.
func TestErrorsPerProtocol(t *testing.T) {
	cborBody, _ := cborEnc.Marshal(map[string]any{"Namespace": "N", "MetricName": "M", "StartTime": 1, "EndTime": 2, "Period": "sixty"})
	for _, tc := range []struct {
		name          string
		r             *http.Request
		status        int
		code, message string
	}{
		{"query unknown action", queryRequest("Action=PutDashboard&Version=2010-08-01"), 400, "InvalidAction", "Could not find operation PutDashboard for version 2010-08-01"},
		{"query wrong version", queryRequest("Action=ListMetrics&Version=2011-01-01"), 400, "InvalidAction", "for version 2011-01-01"},
		{"query missing member", queryRequest("Action=GetMetricStatistics&Version=2010-08-01&Namespace=N&MetricName=M"), 400, "MissingParameter", "The parameter StartTime is required."},
		{"query nested missing", queryRequest("Action=PutMetricData&Namespace=N&MetricData.member.1.Dimensions.member.1.Name=a&MetricData.member.1.MetricName=m"),
			400, "MissingParameter", "MetricData.member.1.Dimensions.member.1.Value"},
		{"query bad number", queryRequest("Action=PutMetricData&Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Value=abc"),
			400, "InvalidParameterValue", `The value "abc" for parameter MetricData.member.1.Value is not valid: expected a number.`},
		{"query bad list index", queryRequest("Action=DeleteAlarms&AlarmNames.member.x=a"), 400, "InvalidParameterValue", "AlarmNames.member.x"},
		{"query value and structure", queryRequest("Action=DeleteAlarms&AlarmNames=a&AlarmNames.member.1=b"), 400, "InvalidParameterValue", "AlarmNames"},
		{"query bad time", queryRequest("Action=GetMetricData&MetricDataQueries.member.1.Id=a&StartTime=yesterday&EndTime=2026-01-01T00:00:00Z"),
			400, "InvalidParameterValue", "StartTime"},
		{"backend error", queryRequest("Action=SetAlarmState&AlarmName=x&StateValue=OK&StateReason=r"), 404, "ResourceNotFound", "Alarm x not found"},
		{"json unknown", jsonRequest("PutDashboard", "{}"), 400, "InvalidAction", "Could not find operation PutDashboard"},
		{"json syntax", jsonRequest("ListMetrics", `{"Namespace":`), 400, "InvalidParameterValue", "not valid JSON"},
		{"json not an object", jsonRequest("ListMetrics", `[1]`), 400, "InvalidParameterValue", "the request"},
		{"json wrong kind", jsonRequest("DescribeAlarms", `{"MaxRecords":"ten"}`), 400, "InvalidParameterValue", "MaxRecords"},
		{"json out of range", jsonRequest("DescribeAlarms", `{"MaxRecords":1e12}`), 400, "InvalidParameterValue", "out of range"},
		{"json list element", jsonRequest("GetMetricData", `{"StartTime":1,"EndTime":2,"MetricDataQueries":[{"Id":"a"},{"Label":"b"}]}`),
			400, "MissingParameter", "MetricDataQueries.member.2.Id"},
		{"json trailing data", jsonRequest("ListMetrics", `{} {}`), 400, "InvalidParameterValue", "more after"},
		{"cbor wrong kind", cborRequest("GetMetricStatistics", cborBody), 400, "InvalidParameterValue", "Period"},
		{"cbor garbage", cborRequest("ListMetrics", []byte{0xbf, 0x61}), 400, "InvalidParameterValue", "not valid CBOR"},
		{"cbor unknown", cborRequest("Nope", nil), 400, "InvalidAction", "Nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(tc.r)
			p, _, _ := detect(tc.r)
			code, message := parseError(t, p, w)
			if w.Code != tc.status || code != tc.code || !strings.Contains(message, tc.message) {
				t.Errorf("got %d %s %q, want %d %s containing %q", w.Code, code, message, tc.status, tc.code, tc.message)
			}
		})
	}
}

// parseError reads an error answer the way a client of its protocol would.
func parseError(t *testing.T, p protocol, w *httptest.ResponseRecorder) (code, message string) {
	t.Helper()
	switch p {
	case protoQuery:
		if ct := w.Header().Get("Content-Type"); ct != "text/xml" {
			t.Errorf("Content-Type %q", ct)
		}
		body := w.Body.String()
		between := func(a, b string) string {
			i, j := strings.Index(body, a), strings.Index(body, b)
			if i < 0 || j < i {
				t.Fatalf("no %s in %s", a, body)
			}
			return body[i+len(a) : j]
		}
		return between("<Code>", "</Code>"), strings.ReplaceAll(between("<Message>", "</Message>"), "&#34;", `"`)
	}
	var m map[string]any
	var err error
	if p == protoCBOR {
		if w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" || w.Header().Get("Content-Type") != "application/cbor" {
			t.Errorf("CBOR headers: %v", w.Header())
		}
		err = cborDec.Unmarshal(w.Body.Bytes(), &m)
	} else {
		err = json.Unmarshal(w.Body.Bytes(), &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	if typ, _ := m["__type"].(string); !strings.HasPrefix(typ, "com.amazonaws.cloudwatch#") {
		t.Errorf("__type %q", typ)
	}
	q := w.Header().Get("X-Amzn-Query-Error")
	code, fault, _ := strings.Cut(q, ";")
	if fault != "Sender" && fault != "Receiver" {
		t.Errorf("x-amzn-query-error %q", q)
	}
	message, _ = m["message"].(string)
	return code, message
}

// TestGzipBody: PutMetricData as the Go client sends it, gzip-compressed.
func TestGzipBody(t *testing.T) {
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	z.Write([]byte(`{"Namespace":"N","MetricData":[{"MetricName":"m","Value":1}]}`))
	z.Close()
	r := jsonRequest("PutMetricData", b.String())
	r.Header.Set("Content-Encoding", "gzip")
	backend := &fakeBackend{}
	w := httptest.NewRecorder()
	Handler{Backend: backend}.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.String() != "{}" || len(backend.data) != 1 || *backend.data[0].Value != 1 {
		t.Errorf("%d %s %+v", w.Code, w.Body, backend.data)
	}
	r = jsonRequest("PutMetricData", "not gzip")
	r.Header.Set("Content-Encoding", "gzip")
	if w := serve(r); w.Code != 400 || !strings.Contains(w.Body.String(), "gzip") {
		t.Errorf("a body that is not gzip: %d %s", w.Code, w.Body)
	}
}

// TestIsCloudWatch: recognized from headers, and not confused with the Kinesis, IAM and STS calls on the same port.
func TestIsCloudWatch(t *testing.T) {
	kinesis := httptest.NewRequest("POST", "/", nil)
	kinesis.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
	iam := httptest.NewRequest("POST", "/", nil)
	iam.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	iam.Header.Set("Authorization", strings.Replace(signedMonitoring, "monitoring", "iam", 1))
	kinesisCBOR := cborRequest("ListStreams", nil)
	kinesisCBOR.URL.Path = "/service/Kinesis_20131202/operation/ListStreams"
	for _, tc := range []struct {
		r    *http.Request
		want bool
	}{
		{queryRequest(""), true}, {jsonRequest("ListMetrics", ""), true}, {cborRequest("ListMetrics", nil), true},
		{kinesis, false}, {iam, false}, {kinesisCBOR, false},
	} {
		if got := IsCloudWatch(tc.r); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.r.URL.Path, tc.r.Header, got, tc.want)
		}
	}
}

// TestWriteAuthError: a refused signature answered in the caller's protocol.
func TestWriteAuthError(t *testing.T) {
	for _, r := range []*http.Request{queryRequest(""), jsonRequest("ListMetrics", ""), cborRequest("ListMetrics", nil)} {
		w := httptest.NewRecorder()
		WriteAuthError(w, r, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.", 403)
		p, _, _ := detect(r)
		code, message := parseError(t, p, w)
		if w.Code != 403 || code != "InvalidSignatureException" || !strings.HasPrefix(message, "The request signature") {
			t.Errorf("protocol %d: %d %s %q", p, w.Code, code, message)
		}
	}
}
