package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/shardlab/shardlab/internal/bufpool"
)

type identityKey struct{}

type bodyKey struct{}

// BodyFromContext is the request body Middleware read to check its hash (nil when it did not read it), so a
// handler after it need not read the body again.
func BodyFromContext(ctx context.Context) ([]byte, bool) {
	b, ok := ctx.Value(bodyKey{}).([]byte)
	return b, ok
}

// FromContext is the identity Middleware verified for the request, if any.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// Middleware lets through only requests whose signature the verifier accepts, with their Identity in the context;
// others get writeError's answer (each API words its errors in its own protocol). current gives the verifier of
// the moment, nil letting every request through (the app switches checking on and off while it serves). The body
// is read (up to maxBody) to check its hash and handed on unchanged; a payload the client marked UNSIGNED-PAYLOAD
// or STREAMING-… (a video upload) is not read here. CORS preflights (OPTIONS) carry no credentials, as on AWS,
// and pass.
func Middleware(current func() *Verifier, maxBody int64, next http.Handler, writeError func(http.ResponseWriter, *http.Request, *Error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := current()
		if v == nil || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		var body []byte
		if h := r.Header.Get("X-Amz-Content-Sha256"); h != unsignedPayload && !strings.HasPrefix(h, streamingPrefix) && r.Body != nil {
			b, err := readAll(http.MaxBytesReader(w, r.Body, maxBody), r.ContentLength, maxBody)
			// The handlers after this one read the body from here (the context, or r.Body) and copy what they
			// keep, so its pooled buffer goes back when they return: a 5 MiB PutRecords makes no garbage.
			defer bufpool.Put(b)
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					writeError(w, r, &Error{"SerializationException", "The request body is larger than the service accepts.", http.StatusRequestEntityTooLarge})
					return
				}
				writeError(w, r, &Error{"SerializationException", "The request body could not be read: " + err.Error(), http.StatusBadRequest})
				return
			}
			body = b
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		id, err := v.Verify(r, body)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) {
				ae = &Error{IncompleteSignature, err.Error(), http.StatusBadRequest}
			}
			writeError(w, r, ae)
			return
		}
		ctx := context.WithValue(r.Context(), identityKey{}, id)
		if body != nil {
			ctx = context.WithValue(ctx, bodyKey{}, body)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// readAll reads a body whole into one pooled buffer sized from its Content-Length, so a 5 MiB PutRecords is not
// copied through io.ReadAll's doubling buffers.
func readAll(r io.Reader, length, max int64) ([]byte, error) {
	if length <= 0 || length > max {
		return io.ReadAll(r)
	}
	b := bufpool.Get(int(length) + 1)[:length+1] // one byte more, so a body longer than it said is read on and noticed
	n, err := io.ReadFull(r, b)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return b[:n], nil
	case err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(r)
	return append(b[:n], rest...), err
}
