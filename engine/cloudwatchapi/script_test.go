package cloudwatchapi

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestBoto3 runs testdata/boto3_e2e.py against the handler in each protocol botocore has a parser for: JSON (what
// boto3 sends), and Query and CBOR (the model's protocols flipped), so boto3's own parsers read the answers.
func TestBoto3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python")
	}
	python, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(python, "-c", "import boto3").Run()
	}
	if err != nil {
		t.Skipf("python3 with boto3 is not installed: %v", err)
	}
	for _, proto := range []string{"json", "query", "cbor"} {
		t.Run(proto, func(t *testing.T) {
			out := runScript(t, python, "testdata/boto3_e2e.py", proto, t.TempDir())
			t.Logf("%s", out)
		})
	}
}

// TestJavaScriptSDK runs testdata/sdk_e2e.mjs, the JavaScript SDK v3's CloudWatch client (AWS JSON 1.0), against
// the handler. `make test` installs the SDK from npm (package.json), as for the Kinesis API's tests.
func TestJavaScriptSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Node.js")
	}
	root, _ := filepath.Abs("../..")
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(root, "node_modules", "@aws-sdk", "client-cloudwatch")); err != nil || statErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Node.js or @aws-sdk/client-cloudwatch is missing (node: %v); run npm ci in %s", err, root)
		}
		t.Skip("Node.js and @aws-sdk/client-cloudwatch are not installed; `make test` installs them")
	}
	t.Setenv("NODE_PATH", filepath.Join(root, "node_modules"))
	out := runScript(t, node, "testdata/sdk_e2e.mjs")
	t.Logf("%s", out)
}

// runScript serves a fresh fake backend and runs a client script with its URL as the first argument.
func runScript(t *testing.T, interpreter, script string, args ...string) []byte {
	t.Helper()
	srv := httptest.NewServer(Handler{Backend: &fakeBackend{}})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, interpreter, append([]string{script, srv.URL}, args...)...)
	// No client may read the developer's ~/.aws or write under $HOME.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"), "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v failed: %v\n%s", script, args, err, out)
	}
	return out
}
