package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/auth"
	"github.com/shardlab/shardlab/engine/cloudwatchapi"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/engine/iamapi"
	"github.com/shardlab/shardlab/engine/kinesisapi"
	"github.com/shardlab/shardlab/engine/kinesisvideoapi"
)

// Auth modes of the port: off takes any (or no) signature, as a local tool long did; verify checks SigV4.
const (
	authOff    = "off"
	authVerify = "verify"
)

func checkAuthMode(mode string) error {
	if mode != authOff && mode != authVerify {
		return fmt.Errorf("--auth %q: want off or verify", mode)
	}
	return nil
}

// checkExposure refuses to serve beyond this machine without signature checks unless insecure is set: anyone who
// reaches the port could read, change and delete every stream.
func checkExposure(addr, mode string, insecure bool) error {
	if mode == authVerify || insecure || isLoopback(addr) {
		return nil
	}
	if mode == "" { // the app's in-process API, which has no verify mode
		return fmt.Errorf("refusing to serve the in-app API on %s: while Settings → Signatures is off (the default), "+
			"anyone who can reach that address could read, change and delete your streams. Keep it on 127.0.0.1 (the "+
			"default), run `shardlab serve --auth verify` for a server others use, or add --insecure and turn "+
			"Settings → Signatures to Verify", addr)
	}
	return fmt.Errorf("refusing to serve on %s with --auth off: anyone who can reach that address could read, change "+
		"and delete your streams. Use --auth verify (clients then sign with Shardlab's root credentials, printed at "+
		"start), listen on 127.0.0.1, or add --insecure to accept the risk", addr)
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// verifierFor makes the signature check of a port in verify mode: the account's root key (from the environment,
// or kept in the data directory) is accepted. It returns a line saying which key to sign with; the secret is
// shown only when it was made now.
func verifierFor(dataDir, account string, more ...auth.Keys) (*auth.Verifier, string, error) {
	root, created, err := auth.RootKey(dataDir, account)
	if err != nil {
		return nil, "", err
	}
	line := fmt.Sprintf("auth: verify (SigV4); root access key %s, secret in %s", root.AccessKeyID, filepath.Join(dataDir, auth.RootFile))
	switch {
	case created:
		line = fmt.Sprintf("auth: verify (SigV4); root credentials made now, kept 0600 in %s:\n"+
			"  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s", filepath.Join(dataDir, auth.RootFile), root.AccessKeyID, root.Secret)
	case os.Getenv(auth.EnvRootAccessKeyID) != "" && os.Getenv(auth.EnvRootSecretAccessKey) != "":
		line = fmt.Sprintf("auth: verify (SigV4); root access key %s from %s", root.AccessKeyID, auth.EnvRootAccessKeyID)
	}
	return auth.NewVerifier(append(iamapi.KeyChain{auth.NewKeyRing(root)}, more...), nil), line, nil
}

// openAccess loads account's IAM entities and the decider the API's authorizer and the Access screen share.
func openAccess(ctx context.Context, eng *engine.Engine, account string) (*iam.Decider, error) {
	store, err := iam.OpenStore(ctx, eng, account)
	if err != nil {
		return nil, err
	}
	return &iam.Decider{Store: store, Eng: eng, Log: &iam.DecisionLog{}}, nil
}

// authErrors answers a refused request in the protocol of the API it was for.
func authErrors(w http.ResponseWriter, r *http.Request, e *auth.Error) {
	if iamapi.IsQueryAPI(r) {
		iamapi.WriteAuthError(w, e)
		return
	}
	if cloudwatchapi.IsCloudWatch(r) {
		cloudwatchapi.WriteAuthError(w, r, e.Code, e.Message, e.Status)
		return
	}
	if kinesisvideoapi.IsAPIPath(r.URL.Path) {
		kinesisvideoapi.WriteError(w, e.Status, e.Code, e.Message)
		return
	}
	kinesisapi.WriteError(w, r, e)
}
