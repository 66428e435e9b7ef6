package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/shardlab/shardlab/internal/randid"
)

// httpDest sends each object's records to an HTTP endpoint in one request, in Firehose's HTTP endpoint format,
// as Splunk HEC events, or as an OpenSearch/Elasticsearch _bulk body. Anything but a 2xx answer (or a _bulk answer
// with errors) is a failure the runner retries.
type httpDest struct {
	d      Destination
	client *http.Client
}

func newHTTPDest(d Destination) httpDest {
	if d.Format == "" {
		d.Format = FormatFirehose
	}
	return httpDest{d: d, client: &http.Client{Timeout: 60 * time.Second}}
}

func (h httpDest) spec() Destination { return h.d }

func (h httpDest) put(ctx context.Context, _ string, _ []byte, items []item) error {
	body, contentType, requestID := h.body(items)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.d.URL, bytes.NewReader(body))
	if err != nil {
		return permanentError{err}
	}
	req.Header.Set("Content-Type", contentType)
	switch h.d.Format {
	case FormatFirehose:
		req.Header.Set("X-Amz-Firehose-Request-Id", requestID)
		req.Header.Set("X-Amz-Firehose-Protocol-Version", "1.0")
		if h.d.AccessKey != "" {
			req.Header.Set("X-Amz-Firehose-Access-Key", h.d.AccessKey)
		}
	case FormatSplunk:
		req.Header.Set("Authorization", "Splunk "+h.d.AccessKey)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s: %.200s", h.d.URL, resp.Status, answer)
	}
	switch h.d.Format {
	case FormatFirehose:
		var r struct {
			RequestID    string `json:"requestId"`
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal(answer, &r); err != nil || r.RequestID != requestID {
			return fmt.Errorf("%s did not answer with the request id %s: %.200s", h.d.URL, requestID, answer)
		}
	case FormatBulk:
		var r struct {
			Errors bool `json:"errors"`
		}
		if json.Unmarshal(answer, &r) == nil && r.Errors {
			return fmt.Errorf("%s refused part of the _bulk request: %.300s", h.d.URL, answer)
		}
	}
	return nil
}

// body renders the request for the endpoint's format.
func (h httpDest) body(items []item) (body []byte, contentType, requestID string) {
	var b bytes.Buffer
	switch h.d.Format {
	case FormatSplunk:
		enc := json.NewEncoder(&b)
		for _, it := range items {
			enc.Encode(map[string]any{"time": float64(it.ts.UnixMilli()) / 1000, "event": jsonOrText(it.data)})
		}
		return b.Bytes(), "application/json", ""
	case FormatBulk:
		enc := json.NewEncoder(&b)
		for _, it := range items {
			enc.Encode(map[string]any{"index": map[string]string{"_index": h.d.Index}})
			doc := jsonOrText(it.data)
			if _, isObject := doc.(map[string]any); !isObject {
				doc = map[string]any{"message": doc}
			}
			enc.Encode(doc)
		}
		return b.Bytes(), "application/x-ndjson", ""
	}
	requestID = randid.UUID()
	type record struct {
		Data []byte `json:"data"`
	}
	recs := make([]record, len(items))
	for i, it := range items {
		recs[i] = record{it.data}
	}
	out, _ := json.Marshal(struct {
		RequestID string   `json:"requestId"`
		Timestamp int64    `json:"timestamp"`
		Records   []record `json:"records"`
	}{requestID, time.Now().UnixMilli(), recs})
	return out, "application/json", requestID
}

// jsonOrText is a record's JSON value when it is JSON, else its text (without a trailing newline).
func jsonOrText(data []byte) any {
	var v any
	if json.Unmarshal(data, &v) == nil {
		return v
	}
	return string(bytes.TrimRight(data, "\n"))
}
