// Package sdkhttp holds the HTTP client Shardlab's own aws-sdk-go-v2 clients use (replay, capture and watch with
// --endpoint, the API benchmark, the SDK tests), with a workaround for a race between the SDK and net/http.
package sdkhttp

import (
	"io"
	"net/http"
	"time"
)

// Client returns an HTTP client whose transport hides every request body's WriteTo from net/http.
//
// The SDK closes a request body as soon as the response headers are in, while the transport's write loop may not
// yet have made its final check that the body holds nothing past its Content-Length; that check copies the body to
// io.Discard, which uses WriteTo when the body has one, and the SDK's closed body's WriteTo returns io.EOF. io.Copy
// passes that EOF on as an error (it swallows EOF only from Read), the write loop takes the request for failed and
// closes the connection, and the caller, still reading the answer, gets "use of closed network connection" under a
// 200 — and with retries on, the SDK sends a call the server already carried out again. It happens with bodies over
// 4 KiB when the server answers fast. Read on a closed SDK body returns io.EOF too, which io.Copy takes as the end.
func Client(base http.RoundTripper, timeout time.Duration) *http.Client {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &http.Client{Transport: readOnlyBodies{base}, Timeout: timeout}
}

type readOnlyBodies struct{ rt http.RoundTripper }

func (t readOnlyBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = readOnlyBody{req.Body}
	}
	return t.rt.RoundTrip(req)
}

// readOnlyBody has only Read and Close, whatever the body it wraps offers.
type readOnlyBody struct{ io.ReadCloser }
