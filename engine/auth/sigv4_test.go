package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var (
	now  = time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	root = Key{Identity: Identity{AccessKeyID: "AKIAROOT", Account: "111122223333", ARN: "arn:aws:iam::111122223333:root"},
		Secret: "rootsecret"}
	temp = Key{Identity: Identity{AccessKeyID: "ASIATEMP", Account: "111122223333", ARN: "arn:aws:sts::111122223333:assumed-role/r/s"},
		Secret: "tempsecret", SessionToken: "token-1", Expires: now.Add(time.Hour)}
)

// signed is a Kinesis call as an SDK sends it, signed by the SDK's signer with the given secret at time at.
func signed(t *testing.T, id, secret, token string, at time.Time) (*http.Request, []byte) {
	t.Helper()
	body := []byte(`{"StreamName":"s"}`)
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4567/", strings.NewReader(string(body)))
	r.Header.Set("X-Amz-Target", "Kinesis_20131202.DescribeStreamSummary")
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.0")
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token},
		r, hex.EncodeToString(sum[:]), "kinesis", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return r, body
}

func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestSignaturesAreCheckedAsAWSChecksThem(t *testing.T) {
	v := NewVerifier(NewKeyRing(root, temp), func() time.Time { return now })
	cases := []struct {
		name string
		req  func() (*http.Request, []byte)
		want string
	}{
		{"good", func() (*http.Request, []byte) { return signed(t, "AKIAROOT", "rootsecret", "", now) }, ""},
		{"wrong secret", func() (*http.Request, []byte) { return signed(t, "AKIAROOT", "guess", "", now) }, InvalidSignature},
		{"unknown key", func() (*http.Request, []byte) { return signed(t, "AKIANOBODY", "x", "", now) }, UnrecognizedClient},
		{"no signature", func() (*http.Request, []byte) {
			r, b := signed(t, "AKIAROOT", "rootsecret", "", now)
			r.Header.Del("Authorization")
			return r, b
		}, MissingAuthenticationToken},
		{"body changed after signing", func() (*http.Request, []byte) {
			r, _ := signed(t, "AKIAROOT", "rootsecret", "", now)
			return r, []byte(`{"StreamName":"other"}`)
		}, InvalidSignature},
		{"six minutes old", func() (*http.Request, []byte) {
			return signed(t, "AKIAROOT", "rootsecret", "", now.Add(-6*time.Minute))
		}, InvalidSignature},
		{"four minutes ahead", func() (*http.Request, []byte) { return signed(t, "AKIAROOT", "rootsecret", "", now.Add(4*time.Minute)) }, ""},
		{"no signed headers", func() (*http.Request, []byte) {
			r, b := signed(t, "AKIAROOT", "rootsecret", "", now)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAROOT/20261208/us-east-1/kinesis/aws4_request, Signature=abc")
			return r, b
		}, IncompleteSignature},
		{"session token", func() (*http.Request, []byte) { return signed(t, "ASIATEMP", "tempsecret", "token-1", now) }, ""},
		{"wrong session token", func() (*http.Request, []byte) { return signed(t, "ASIATEMP", "tempsecret", "token-2", now) }, UnrecognizedClient},
		{"header added after signing is fine", func() (*http.Request, []byte) {
			r, b := signed(t, "AKIAROOT", "rootsecret", "", now)
			r.Header.Set("X-Forwarded-For", "10.0.0.1")
			return r, b
		}, ""},
		{"signed header changed", func() (*http.Request, []byte) {
			r, b := signed(t, "AKIAROOT", "rootsecret", "", now)
			r.Header.Set("X-Amz-Target", "Kinesis_20131202.DeleteStream")
			return r, b
		}, InvalidSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.req()
			id, err := v.Verify(r, body)
			if got := code(err); got != c.want {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if c.want == "" && id.Account != "111122223333" {
				t.Errorf("identity %+v", id)
			}
		})
	}
	// Expired temporary credentials, signed correctly, are refused as AWS refuses them.
	late := NewVerifier(NewKeyRing(temp), func() time.Time { return now.Add(2 * time.Hour) })
	r, body := signed(t, "ASIATEMP", "tempsecret", "token-1", now.Add(2*time.Hour))
	if _, err := late.Verify(r, body); code(err) != ExpiredToken {
		t.Errorf("expired credentials: %v", err)
	}
}

func TestExpiredSignatureSaysWhenInAWSWords(t *testing.T) {
	v := NewVerifier(NewKeyRing(root), func() time.Time { return now })
	r, body := signed(t, "AKIAROOT", "rootsecret", "", now.Add(-10*time.Minute))
	_, err := v.Verify(r, body)
	want := "Signature expired: 20261208T095000Z is now earlier than 20261208T095500Z (20261208T100000Z - 5 min.)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestPresignedURLs(t *testing.T) {
	v := NewVerifier(NewKeyRing(root), func() time.Time { return now.Add(time.Minute) })
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:4567/hls/getHLSMasterPlaylist.m3u8?SessionToken=x", nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAROOT", SecretAccessKey: "rootsecret"},
		r, "UNSIGNED-PAYLOAD", "kinesisvideo", "us-east-1", now)
	if err != nil {
		t.Fatal(err)
	}
	good := httptest.NewRequest(http.MethodGet, u, nil)
	if _, err := v.Verify(good, nil); err != nil {
		t.Errorf("presigned URL refused: %v", err)
	}
	bad := httptest.NewRequest(http.MethodGet, strings.Replace(u, "SessionToken=x", "SessionToken=y", 1), nil)
	if _, err := v.Verify(bad, nil); code(err) != InvalidSignature {
		t.Errorf("tampered presigned URL: %v", err)
	}
}

func TestRootKeyIsMadeOnceAndKeptPrivate(t *testing.T) {
	t.Setenv(EnvRootAccessKeyID, "")
	dir := t.TempDir()
	k, created, err := RootKey(dir, "000000000000")
	if err != nil || !created || !strings.HasPrefix(k.AccessKeyID, "AKIA") || len(k.Secret) != 40 {
		t.Fatalf("first: %+v, %v, %v", k, created, err)
	}
	st, err := os.Stat(filepath.Join(dir, RootFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("kept as %v, %v; want mode 0600", st.Mode(), err)
	}
	again, created, err := RootKey(dir, "000000000000")
	if err != nil || created || again.Secret != k.Secret {
		t.Errorf("second start made new credentials: %v, %v", created, err)
	}
	t.Setenv(EnvRootAccessKeyID, "AKIAFROMENV")
	t.Setenv(EnvRootSecretAccessKey, "envsecret")
	if env, _, _ := RootKey(dir, "000000000000"); env.AccessKeyID != "AKIAFROMENV" || env.Secret != "envsecret" {
		t.Errorf("the environment's credentials were not used: %+v", env)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAROOT/20261208/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20261208T100000Z", "")
	f.Add("AWS4-HMAC-SHA256 Credential=/, SignedHeaders=, Signature=", "x", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/aws4_request")
	v := NewVerifier(NewKeyRing(root), func() time.Time { return now })
	f.Fuzz(func(t *testing.T, auth, date, query string) {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4567/", nil)
		r.URL.RawQuery = query
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		if _, err := v.Verify(r, nil); err == nil {
			t.Fatalf("a forged signature was accepted: %q %q %q", auth, date, query)
		} else if code(err) == "" {
			t.Fatalf("an error without an AWS code: %v", err)
		}
	})
}

// TestHTTP2ClientsSignTheAuthority: a ListStreams as the JavaScript SDK v3 sent it over h2c (headers, time and
// signature as captured from @aws-sdk/client-kinesis 3.1142), with ":authority" signed in place of "host".
func TestHTTP2ClientsSignTheAuthority(t *testing.T) {
	key := Key{Identity: Identity{AccessKeyID: "AKIAJSROOT", Account: "000000000000"}, Secret: "js/secret"}
	at := time.Date(2026, 12, 8, 2, 44, 41, 0, time.UTC)
	v := NewVerifier(NewKeyRing(key), func() time.Time { return at })
	request := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4603/", strings.NewReader("{}"))
		r.Proto, r.ProtoMajor = "HTTP/2.0", 2
		for k, val := range map[string]string{
			"Content-Length": "2", "X-Amz-User-Agent": "aws-sdk-js/3.1142.0",
			"Amz-Sdk-Invocation-Id": "4b98bbc1-0b4e-46aa-b830-22470fccb41e", "Amz-Sdk-Request": "attempt=1; max=1",
			"X-Amz-Date": "20261208T024441Z", "Content-Type": "application/x-amz-json-1.1",
			"X-Amz-Content-Sha256": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
			"X-Amz-Target":         "Kinesis_20131202.ListStreams",
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAJSROOT/20261208/us-east-1/kinesis/aws4_request, " +
				"SignedHeaders=:authority;amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent, " +
				"Signature=35bae2a100518e559b1ad8a2acd471394672b520265aa6df1f0e9d567988b54c",
		} {
			r.Header.Set(k, val)
		}
		return r
	}
	if _, err := v.Verify(request(), []byte("{}")); err != nil {
		t.Fatalf("the JavaScript SDK's signed call was refused: %v", err)
	}
	changed := request()
	changed.Header.Set("X-Amz-Target", "Kinesis_20131202.DeleteStream")
	if _, err := v.Verify(changed, []byte("{}")); code(err) != InvalidSignature {
		t.Errorf("a changed call: %v", err)
	}
}
