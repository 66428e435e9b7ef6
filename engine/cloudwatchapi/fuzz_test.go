package cloudwatchapi

import (
	"encoding/base64"
	"net/url"
	"testing"
)

// The decoders get arbitrary bodies: they must answer with an error naming what is wrong, never panic, and never
// fail with a 5xx (the fake backend fails only with 4xx).

func seedCaptures(f *testing.F, file string, add func(op string, body []byte)) {
	for _, r := range loadCapture(f, file).Requests {
		body := []byte(r.Body)
		if r.BodyBase64 != "" {
			body, _ = base64.StdEncoding.DecodeString(r.BodyBase64)
			if r.Headers["Content-Encoding"] == "gzip" {
				continue // the fuzzers feed decoders, not gunzip
			}
		}
		add(r.Operation, body)
	}
}

func checkAnswer(t *testing.T, code int, body string) {
	if code != 200 && (code < 400 || code >= 500) {
		t.Fatalf("status %d: %s", code, body)
	}
}

func FuzzQueryForm(f *testing.F) {
	seedCaptures(f, "boto3-query", func(_ string, body []byte) { f.Add(string(body)) })
	f.Add("Action=DeleteAlarms&AlarmNames.member.1=a&AlarmNames.member.3=b")
	f.Add("Action=GetMetricStatistics&Dimensions.member.1.Name.x=1&Period=6e1")
	f.Add("Action=PutMetricData&MetricData.member.1.Values=&MetricData.entry.1.key=k")
	f.Fuzz(func(t *testing.T, body string) {
		if form, err := url.ParseQuery(body); err == nil {
			for name, o := range operations {
				tree, err := formTree(form)
				if err != nil {
					break
				}
				if err := bind(protoQuery, tree, o.input()); err != nil && asError(err).Code == CodeInternalServiceError {
					t.Fatalf("%s: %v", name, err)
				}
			}
		}
		w := serve(queryRequest(body))
		checkAnswer(t, w.Code, w.Body.String())
	})
}

func FuzzJSON(f *testing.F) {
	for _, file := range []string{"boto3-json", "js-json", "go-json"} {
		seedCaptures(f, file, func(op string, body []byte) { f.Add(op, body) })
	}
	f.Add("GetMetricData", []byte(`{"MetricDataQueries":[null,{"Id":1}],"StartTime":"NaN"}`))
	f.Add("PutMetricData", []byte(`{"Namespace":"n","MetricData":[{"MetricName":"m","Value":"Infinity","Timestamp":1e300}]}`))
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		w := serve(jsonRequest(op, string(body)))
		checkAnswer(t, w.Code, w.Body.String())
	})
}

func FuzzCBOR(f *testing.F) {
	for _, file := range []string{"go-cbor", "boto3-cbor"} {
		seedCaptures(f, file, func(op string, body []byte) { f.Add(op, body) })
	}
	f.Add("ListMetrics", []byte{0xa1, 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0xc1, 0x01})
	f.Add("DescribeAlarms", []byte{0xa1, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		w := serve(cborRequest(op, body))
		checkAnswer(t, w.Code, w.Body.String())
	})
}
