package apibench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// slowWriteConn returns from each Write a while after the bytes went out, as a busy machine may leave the
// transport's write loop unscheduled after it sent a request's last bytes.
type slowWriteConn struct{ net.Conn }

func (c slowWriteConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	time.Sleep(100 * time.Millisecond)
	return n, err
}

// The benchmark once lost one answer in a few runs: the client saw "use of closed network connection" under a 200
// whose records the server had stored. The SDK closes the request body as soon as the answer's headers arrive;
// when the transport's write loop only then checks that the body ends at its Content-Length, the closed body's
// WriteTo answers io.EOF, the write loop treats it as a failed write and closes the connection under the answer
// still being read. Here the write loop is held back until the answer is half read, which lost it every time
// before the client hid WriteTo from net/http.
func TestBenchAPIClientKeepsAnswersWhileTheRequestWriteFinishes(t *testing.T) {
	first, rest := `{"ShardId":"shardId-000000000000",`, `"SequenceNumber":"49590338271490256608559692538361571095921575989136588898"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Errorf("read request: %v", err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("Content-Length", strconv.Itoa(len(first)+len(rest)))
		io.WriteString(w, first)
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, rest)
	}))
	defer srv.Close()

	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return slowWriteConn{c}, nil
	}}
	defer tr.CloseIdleConnections()
	kc := benchAPIKinesis(srv.URL, tr)
	// Larger than the transport's 4 KiB write buffer, so the body's tail goes to the connection directly and the
	// server can answer before the write loop returns from it.
	data := bytes.Repeat([]byte{'x'}, 16<<10)
	out, err := kc.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String("s"),
		PartitionKey: aws.String("k"), Data: data})
	if err != nil {
		t.Fatalf("PutRecord: %v", err)
	}
	if aws.ToString(out.ShardId) != "shardId-000000000000" {
		t.Fatalf("ShardId %q", aws.ToString(out.ShardId))
	}
}
