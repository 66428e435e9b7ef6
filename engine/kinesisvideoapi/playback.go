package kinesisvideoapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/shardlab/shardlab/engine/video"
)

// PlaybackServer serves a store's HLS sessions on a loopback port of its own, for the app's embedded player: it
// plays whether or not the in-app API is on, and its URLs never leave the machine.
type PlaybackServer struct {
	store *video.Store
	base  string
	srv   *http.Server
}

// ServePlayback starts a playback server on a free loopback port.
func ServePlayback(store *video.Store) (*PlaybackServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &PlaybackServer{store: store, base: "http://" + ln.Addr().String(),
		srv: &http.Server{Handler: Handler{Store: store}, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return // the player then reports that it cannot open the URL
		}
	}()
	return p, nil
}

// FragmentsURL is an HLS session URL over a stream's fragments numbered first to last, whatever their producer
// times; last 0 follows the stream from first on, as a live session.
func (p *PlaybackServer) FragmentsURL(stream string, first, last uint64) (string, error) {
	if _, err := p.store.Fragment(stream, first); err != nil {
		return "", err
	}
	mode := video.OnDemand
	if last == 0 {
		mode = video.LiveReplay
	}
	token, _ := json.Marshal(session{Stream: stream, Mode: mode, First: first, Last: last, Expires: time.Now().Add(12 * time.Hour)})
	return p.base + "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + base64.RawURLEncoding.EncodeToString(token), nil
}

// Close stops serving, letting segments in flight finish for a moment.
func (p *PlaybackServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}
