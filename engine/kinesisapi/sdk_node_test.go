package kinesisapi

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// TestJavaScriptSDKEndToEnd runs the JavaScript SDK v3 scenario in testdata/sdk_e2e.mjs against a server that, like
// `shardlab serve`, speaks HTTP/1.1 and h2c on one port. `make test` installs the SDK from npm (package.json).
func TestJavaScriptSDKEndToEnd(t *testing.T) {
	out := runNodeScenario(t, "testdata/sdk_e2e.mjs")
	t.Logf("JavaScript SDK v3: %s", out)
}

// TestJavaScriptSDKEnhancedFanOut runs testdata/sdk_efo.mjs: SubscribeToShard through the JavaScript SDK v3's
// event-stream reader on its default HTTP/2 handler.
func TestJavaScriptSDKEnhancedFanOut(t *testing.T) {
	out := runNodeScenario(t, "testdata/sdk_efo.mjs")
	t.Logf("JavaScript SDK v3: %s", out)
}

// runNodeScenario runs a Node.js script against a server that, like `shardlab serve`, speaks HTTP/1.1 and h2c on
// one port, and returns its output; the script's failure fails the test.
func runNodeScenario(t *testing.T, script string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Node.js")
	}
	root, _ := filepath.Abs("../..")
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(root, "node_modules", "@aws-sdk", "client-kinesis")); err != nil || statErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Node.js or @aws-sdk/client-kinesis is missing (node: %v); run npm ci in %s", err, root)
		}
		t.Skip("Node.js and @aws-sdk/client-kinesis are not installed; `make test` installs them")
	}
	eng, err := engine.Open(engine.Options{InMemory: true, EnforceLimits: true, TransitionDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := New(eng, Options{})
	srv := &http.Server{Handler: api, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	srv.RegisterOnShutdown(api.EndSubscriptions)
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, "http://"+ln.Addr().String())
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(root, "node_modules"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("JavaScript SDK scenario %s failed: %v\n%s", script, err, out)
	}
	return out
}
