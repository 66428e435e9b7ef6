package kinesisvideoapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shardlab/shardlab/engine/video"
)

// Paths the video API answers on the app's HTTP server, beside the Kinesis API (which posts to "/").
var apiPaths = []string{"/createStream", "/describeStream", "/listStreams", "/deleteStream", "/updateDataRetention", "/getDataEndpoint",
	"/putMedia", "/getMedia", "/listFragments", "/getMediaForFragmentList", "/getHLSStreamingSessionURL", "/hls/v1/"}

// IsAPIPath reports whether a request is for the video API.
func IsAPIPath(path string) bool {
	for _, p := range apiPaths {
		if path == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return false
}

// Handler serves the Kinesis Video Streams API of a store (the control plane, PutMedia and GetMedia, the archived
// media calls and HLS) in its JSON and REST shapes.
type Handler struct {
	Store *video.Store
	// GetMediaIdle ends a GetMedia response after this long without a new fragment (0: DefaultIdleTimeout).
	GetMediaIdle time.Duration
}

type apiError struct {
	status  int
	code    string
	message string
}

func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var err error
	switch r.URL.Path {
	case "/createStream":
		err = h.createStream(w, r)
	case "/describeStream":
		err = h.describeStream(w, r)
	case "/listStreams":
		err = writeJSON(w, map[string]any{"StreamInfoList": streamInfos(h.Store.ListStreams())})
	case "/updateDataRetention":
		err = h.updateDataRetention(w, r)
	case "/deleteStream":
		err = h.deleteStream(w, r)
	case "/getDataEndpoint":
		err = writeJSON(w, map[string]string{"DataEndpoint": baseURL(r)})
	case "/putMedia":
		err = h.putMedia(w, r)
	case "/getMedia":
		err = h.getMedia(w, r)
	case "/listFragments":
		err = h.listFragments(w, r)
	case "/getMediaForFragmentList":
		err = h.mediaForFragments(w, r)
	case "/getHLSStreamingSessionURL":
		err = h.sessionURL(w, r)
	case "/hls/v1/getHLSMasterPlaylist.m3u8":
		err = h.masterPlaylist(w, r)
	case "/hls/v1/getHLSMediaPlaylist.m3u8":
		err = h.mediaPlaylist(w, r)
	case "/hls/v1/getTSFragment.ts":
		err = h.tsFragment(w, r)
	default:
		err = &apiError{http.StatusNotFound, "ResourceNotFoundException", "no such video API call: " + r.URL.Path}
	}
	if err != nil {
		writeError(w, err)
	}
}

// WriteError answers with a failure as the Kinesis Video Streams API words one (REST JSON): the port's
// authentication answers video calls through it.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	writeError(w, &apiError{status, code, message})
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{http.StatusBadRequest, "InvalidArgumentException", err.Error()}
		switch {
		case errors.Is(err, video.ErrNotFound):
			ae.status, ae.code = http.StatusNotFound, "ResourceNotFoundException"
		case errors.Is(err, video.ErrExists):
			ae.code = "ResourceInUseException"
		}
	}
	w.Header().Set("x-amzn-ErrorType", ae.code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ae.status)
	json.NewEncoder(w).Encode(map[string]string{"__type": ae.code, "message": ae.message})
}

func (e *apiError) Error() string { return e.message }

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		return &apiError{http.StatusBadRequest, "InvalidArgumentException", "the request body is not the JSON expected: " + err.Error()}
	}
	return nil
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func streamInfos(list []video.Stream) []map[string]any {
	out := make([]map[string]any, 0, len(list))
	for _, st := range list {
		out = append(out, streamInfo(st))
	}
	return out
}

func streamInfo(st video.Stream) map[string]any {
	return map[string]any{"StreamName": st.Name, "StreamARN": st.ARN, "MediaType": st.MediaType,
		"DeviceName": st.DeviceName, "DataRetentionInHours": st.RetentionHours, "Status": "ACTIVE",
		"Version": st.Version, "CreationTime": float64(st.Created.UnixMilli()) / 1000}
}

func (h Handler) createStream(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		StreamName           string
		MediaType            string
		DeviceName           string
		DataRetentionInHours int
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	st, err := h.Store.CreateStream(video.CreateInput{Name: in.StreamName, MediaType: in.MediaType, DeviceName: in.DeviceName,
		RetentionHours: in.DataRetentionInHours})
	if err != nil {
		return err
	}
	return writeJSON(w, map[string]string{"StreamARN": st.ARN})
}

// streamName reads StreamName (or the name at the end of StreamARN) from a request body.
func (h Handler) streamName(r *http.Request, extra any) (string, error) {
	var in struct{ StreamName, StreamARN string }
	body := map[string]json.RawMessage{}
	if err := readJSON(r, &body); err != nil {
		return "", err
	}
	raw, _ := json.Marshal(body)
	json.Unmarshal(raw, &in)
	if extra != nil {
		if err := json.Unmarshal(raw, extra); err != nil {
			return "", &apiError{http.StatusBadRequest, "InvalidArgumentException", err.Error()}
		}
	}
	if in.StreamName == "" && in.StreamARN != "" {
		parts := strings.Split(in.StreamARN, "/")
		if len(parts) >= 2 {
			in.StreamName = parts[1]
		}
	}
	if in.StreamName == "" {
		return "", &apiError{http.StatusBadRequest, "InvalidArgumentException", "StreamName or StreamARN is required"}
	}
	return in.StreamName, nil
}

func (h Handler) describeStream(w http.ResponseWriter, r *http.Request) error {
	name, err := h.streamName(r, nil)
	if err != nil {
		return err
	}
	st, err := h.Store.DescribeStream(name)
	if err != nil {
		return err
	}
	return writeJSON(w, map[string]any{"StreamInfo": streamInfo(st)})
}

func (h Handler) updateDataRetention(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CurrentVersion             string
		Operation                  string
		DataRetentionChangeInHours int
	}
	name, err := h.streamName(r, &in)
	if err != nil {
		return err
	}
	if in.CurrentVersion == "" {
		return &apiError{http.StatusBadRequest, "InvalidArgumentException", "CurrentVersion: required (DescribeStream gives it)"}
	}
	if _, err := h.Store.UpdateDataRetention(name, in.CurrentVersion, in.Operation, in.DataRetentionChangeInHours); err != nil {
		if errors.Is(err, video.ErrVersionMismatch) {
			return &apiError{http.StatusBadRequest, "VersionMismatchException", err.Error()}
		}
		return err
	}
	return writeJSON(w, map[string]any{})
}

func (h Handler) deleteStream(w http.ResponseWriter, r *http.Request) error {
	name, err := h.streamName(r, nil)
	if err != nil {
		return err
	}
	if err := h.Store.DeleteStream(name); err != nil {
		return err
	}
	return writeJSON(w, map[string]any{})
}

// Headers of PutMedia beyond KVS's own.
const (
	// HeaderFragmentDuration sets the target fragment duration of a PutMedia, in milliseconds (1000–20000).
	HeaderFragmentDuration = "x-shardlab-fragment-duration-ms"
)

// maxEpochSeconds is the last second of the year 9999, the latest time a timestamp here can carry.
const maxEpochSeconds = 253402300799

// ackErrorIDs are KVS's numeric ids of the ack error codes.
var ackErrorIDs = map[string]int{video.ErrorStreamRead: 4000, video.ErrorMaxFragmentSize: 4001, video.ErrorMaxFragmentDuration: 4002, video.ErrorInvalidMKVData: 4006, video.ErrorInvalidProducerTimestamp: 4007,
	video.ErrorStreamNotActive: 4008, video.ErrorInternal: 5000, video.ErrorArchival: 5001}

// putMedia ingests the request body (Matroska or MPEG-TS) and streams one JSON acknowledgement per line back as
// fragments are received and persisted.
func (h Handler) putMedia(w http.ResponseWriter, r *http.Request) error {
	name := r.Header.Get("x-amzn-stream-name")
	if arn := r.Header.Get("x-amzn-stream-arn"); name == "" && arn != "" {
		if parts := strings.Split(arn, "/"); len(parts) >= 2 { // arn:aws:kinesisvideo:region:account:stream/NAME/created
			name = parts[1]
		}
	}
	if name == "" {
		return &apiError{http.StatusBadRequest, "InvalidArgumentException", "the x-amzn-stream-name (or x-amzn-stream-arn) header is required"}
	}
	opts := video.IngestOptions{ProducerStart: time.Now()}
	if v := r.Header.Get("x-amzn-producer-start-timestamp"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		switch {
		case err != nil || math.IsNaN(secs) || secs <= 0:
			return &apiError{http.StatusBadRequest, "InvalidArgumentException", "x-amzn-producer-start-timestamp: seconds since the epoch, e.g. 1764158400.250"}
		case secs > maxEpochSeconds:
			return &apiError{http.StatusBadRequest, "InvalidArgumentException", fmt.Sprintf(
				"x-amzn-producer-start-timestamp: %s is after the year 9999: seconds since the epoch, not milliseconds", v)}
		}
		opts.ProducerStart = time.UnixMilli(int64(secs * 1000))
	}
	switch v := r.Header.Get("x-amzn-fragment-timecode-type"); v {
	case "", "RELATIVE":
	case "ABSOLUTE":
		opts.AbsoluteTimecodes = true
	default:
		return &apiError{http.StatusBadRequest, "InvalidArgumentException", fmt.Sprintf("x-amzn-fragment-timecode-type: %q is not ABSOLUTE or RELATIVE", v)}
	}
	if v := r.Header.Get(HeaderFragmentDuration); v != "" {
		ms, err := strconv.Atoi(v)
		lo, hi := video.MinFragmentDuration.Milliseconds(), video.MaxFragmentDuration.Milliseconds()
		if err != nil || int64(ms) < lo || int64(ms) > hi {
			return &apiError{http.StatusBadRequest, "InvalidArgumentException",
				fmt.Sprintf("%s: %q is not a whole number of milliseconds in %d–%d", HeaderFragmentDuration, v, lo, hi)}
		}
		opts.FragmentDuration = time.Duration(ms) * time.Millisecond
	}
	if err := opts.Validate(); err != nil { // before the 200: an answer without a single ack says nothing
		return &apiError{http.StatusBadRequest, "InvalidArgumentException", "x-amzn-producer-start-timestamp: " + err.Error()}
	}
	if _, err := h.Store.DescribeStream(name); err != nil {
		return err
	}
	// acks go out while the body still comes in: without full duplex, Go's HTTP/1 server closes the request
	// body at the first flushed ack
	_ = http.NewResponseController(w).EnableFullDuplex()
	w.Header().Set("Content-Type", "application/json")
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	_ = h.Store.IngestWith(r.Context(), name, r.Body, opts, func(a video.Ack) {
		ack := map[string]any{"EventType": a.EventType, "FragmentTimecode": a.FragmentTimecode.Milliseconds()}
		if a.FragmentNumber > 0 {
			ack["FragmentNumber"] = strconv.FormatUint(a.FragmentNumber, 10)
		}
		if a.ErrorCode != "" {
			ack["ErrorId"], ack["ErrorCode"], ack["Message"] = ackErrorIDs[a.ErrorCode], a.ErrorCode, a.Message
		}
		enc.Encode(ack)
		if flusher != nil {
			flusher.Flush()
		}
	})
	// With full duplex on, a body left unread when the handler returns (media refused part way) makes Go's server
	// panic as it reads on for the next request ("invalid concurrent Body.Read call", golang/go#68560); closing
	// it first ends the connection cleanly instead.
	r.Body.Close()
	return nil
}

// HeaderContinuationToken is the HTTP trailer of a GetMedia response that resumes after its last fragment: KVS
// puts the token in each fragment's Matroska tags, which MPEG-TS has no place for.
const HeaderContinuationToken = "X-Shardlab-Continuation-Token"

// getMedia streams fragments from a start selector on, following the stream live, as MPEG-TS (KVS answers with
// Matroska; Shardlab stores MPEG-TS segments and sends them as they are).
func (h Handler) getMedia(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		StartSelector *struct {
			StartSelectorType, AfterFragmentNumber, ContinuationToken string
			StartTimestamp                                            float64
		}
	}
	name, err := h.streamName(r, &body)
	if err != nil {
		return err
	}
	sel := body.StartSelector
	if sel == nil {
		return &apiError{http.StatusBadRequest, "InvalidArgumentException", "StartSelector: required"}
	}
	in := video.GetMediaInput{StreamName: name, IdleTimeout: h.GetMediaIdle, StartSelector: video.StartSelector{
		StartSelectorType: sel.StartSelectorType, StartTimestamp: secondsTime(sel.StartTimestamp),
		ContinuationToken: sel.ContinuationToken}}
	if sel.AfterFragmentNumber != "" {
		if in.StartSelector.AfterFragmentNumber, err = strconv.ParseUint(sel.AfterFragmentNumber, 10, 64); err != nil {
			return &apiError{http.StatusBadRequest, "InvalidArgumentException",
				fmt.Sprintf("StartSelector.AfterFragmentNumber: %q is not a fragment number", sel.AfterFragmentNumber)}
		}
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if _, err := h.Store.DescribeStream(name); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "video/mp2t")
	w.Header().Set("Trailer", HeaderContinuationToken)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush() // the reader learns at once that the stream is there, before any fragment
	token, _ := h.Store.GetMedia(r.Context(), in, func(_ video.FragmentInfo, media []byte) error {
		if _, err := w.Write(media); err != nil {
			return err
		}
		return rc.Flush()
	})
	w.Header().Set(HeaderContinuationToken, token)
	return nil
}

func (h Handler) listFragments(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		FragmentSelector *struct {
			FragmentSelectorType string
			TimestampRange       *struct{ StartTimestamp, EndTimestamp *float64 }
		}
		MaxResults *int
		NextToken  string
	}
	name, err := h.streamName(r, &body)
	if err != nil {
		return err
	}
	in := video.ListFragmentsInput{StreamName: name, NextToken: body.NextToken}
	if m := body.MaxResults; m != nil {
		if *m < 1 { // the Go API takes 0 for the default; on the wire it is a value out of range
			return fmt.Errorf("MaxResults: %d is outside 1–%d", *m, video.MaxMaxResults)
		}
		in.MaxResults = *m
	}
	if fs := body.FragmentSelector; fs != nil && body.NextToken == "" {
		// KVS requires the whole range; the Go API leaves an end open with a zero time
		tr := fs.TimestampRange
		if tr == nil || tr.StartTimestamp == nil || tr.EndTimestamp == nil {
			return &apiError{http.StatusBadRequest, "InvalidArgumentException",
				"FragmentSelector.TimestampRange: StartTimestamp and EndTimestamp are required (epoch seconds)"}
		}
		in.FragmentSelector = &video.FragmentSelector{FragmentSelectorType: fs.FragmentSelectorType,
			StartTimestamp: secondsTime(*tr.StartTimestamp), EndTimestamp: secondsTime(*tr.EndTimestamp)}
	}
	page, err := h.Store.ListFragmentsPage(in)
	if err != nil {
		return err
	}
	list := make([]map[string]any, 0, len(page.Fragments))
	for _, f := range page.Fragments {
		list = append(list, map[string]any{"FragmentNumber": strconv.FormatUint(f.Number, 10),
			"FragmentSizeInBytes": f.Size, "FragmentLengthInMilliseconds": f.Duration.Milliseconds(),
			"ProducerTimestamp": float64(f.ProducerTimestamp.UnixMilli()) / 1000,
			"ServerTimestamp":   float64(f.ServerTimestamp.UnixMilli()) / 1000})
	}
	out := map[string]any{"Fragments": list}
	if page.NextToken != "" {
		out["NextToken"] = page.NextToken
	}
	return writeJSON(w, out)
}

func secondsTime(s float64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(s * 1000)).UTC()
}

// mediaForFragments returns the listed fragments' media one after another (MPEG-TS joins by concatenation).
func (h Handler) mediaForFragments(w http.ResponseWriter, r *http.Request) error {
	var in struct{ Fragments []string }
	name, err := h.streamName(r, &in)
	if err != nil {
		return err
	}
	if len(in.Fragments) == 0 || len(in.Fragments) > 1000 {
		return &apiError{http.StatusBadRequest, "InvalidArgumentException", "Fragments: 1–1000 fragment numbers"}
	}
	// every fragment is checked from its small description before the first byte goes out, then the media is
	// read one fragment at a time: a thousand fragments are never all in memory at once
	nums := make([]uint64, len(in.Fragments))
	for i, n := range in.Fragments {
		num, err := strconv.ParseUint(n, 10, 64)
		if err != nil {
			return &apiError{http.StatusBadRequest, "InvalidArgumentException", fmt.Sprintf("Fragments: %q is not a fragment number", n)}
		}
		if _, err := h.Store.Fragment(name, num); err != nil {
			return &apiError{http.StatusNotFound, "ResourceNotFoundException", err.Error()}
		}
		nums[i] = num
	}
	w.Header().Set("Content-Type", "video/mp2t")
	for _, num := range nums {
		media, err := h.Store.FragmentMedia(name, num)
		if err != nil {
			return nil // trimmed since it was checked; the status is sent, so the body just ends
		}
		if _, err := w.Write(media); err != nil {
			return nil // the client went away
		}
	}
	return nil
}

// session is an HLS streaming session, carried in its token.
type session struct {
	Stream  string    `json:"s"`
	Mode    string    `json:"m"`
	Start   time.Time `json:"a,omitzero"`
	End     time.Time `json:"b,omitzero"`
	Expires time.Time `json:"e"`
	// First and Last select fragments by number instead (the app's player; Last 0 follows the stream)
	First uint64 `json:"f,omitzero"`
	Last  uint64 `json:"l,omitzero"`
}

func (h Handler) sessionURL(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		PlaybackMode        string
		HLSFragmentSelector *struct {
			FragmentSelectorType string
			TimestampRange       struct{ StartTimestamp, EndTimestamp float64 }
		}
		Expires int
	}
	name, err := h.streamName(r, &in)
	if err != nil {
		return err
	}
	st, err := h.Store.DescribeStream(name)
	if err != nil {
		return err
	}
	if st.RetentionHours == 0 { // as KVS: HLS plays stored fragments, and this stream stores none
		return &apiError{http.StatusBadRequest, "NoDataRetentionException",
			name + " keeps no fragments (DataRetentionInHours is 0), so there is nothing to play over HLS; GetMedia follows it live"}
	}
	s := session{Stream: name, Mode: in.PlaybackMode, Expires: time.Now().Add(time.Hour)}
	if s.Mode == "" {
		s.Mode = video.Live
	}
	if in.Expires > 0 {
		s.Expires = time.Now().Add(time.Duration(min(in.Expires, 43200)) * time.Second)
	}
	if sel := in.HLSFragmentSelector; sel != nil && sel.FragmentSelectorType != "" && sel.FragmentSelectorType != video.ProducerTimestamp {
		return &apiError{http.StatusBadRequest, "InvalidArgumentException", fmt.Sprintf(
			"HLSFragmentSelector.FragmentSelectorType: %q is not supported here; HLS sessions select by %s", sel.FragmentSelectorType, video.ProducerTimestamp)}
	}
	if sel := in.HLSFragmentSelector; sel != nil {
		s.Start, s.End = secondsTime(sel.TimestampRange.StartTimestamp), secondsTime(sel.TimestampRange.EndTimestamp)
	}
	segments := 0
	if _, err := h.Store.Playlist(name, s.Mode, s.Start, s.End, func(video.FragmentInfo) string { segments++; return "" }); err != nil {
		return err
	}
	if segments == 0 && s.Mode != video.LiveReplay { // as KVS; a LIVE_REPLAY from now on may wait for its first fragment
		return &apiError{http.StatusNotFound, "ResourceNotFoundException", "no fragments found in " + name + " for this session"}
	}
	token, _ := json.Marshal(s)
	u := baseURL(r) + "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + base64.RawURLEncoding.EncodeToString(token)
	return writeJSON(w, map[string]string{"HLSStreamingSessionURL": u})
}

func readSession(r *http.Request) (session, error) {
	var s session
	raw, err := base64.RawURLEncoding.DecodeString(r.URL.Query().Get("SessionToken"))
	if err == nil {
		err = json.Unmarshal(raw, &s)
	}
	if err != nil || s.Stream == "" {
		return s, &apiError{http.StatusBadRequest, "InvalidArgumentException", "SessionToken: not a session token"}
	}
	if time.Now().After(s.Expires) {
		return s, &apiError{http.StatusForbidden, "NotAuthorizedException", "the session expired; ask for a new URL"}
	}
	return s, nil
}

func (h Handler) masterPlaylist(w http.ResponseWriter, r *http.Request) error {
	if _, err := readSession(r); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	fmt.Fprintf(w, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=2000000\ngetHLSMediaPlaylist.m3u8?SessionToken=%s\n",
		url.QueryEscape(r.URL.Query().Get("SessionToken")))
	return nil
}

func (h Handler) mediaPlaylist(w http.ResponseWriter, r *http.Request) error {
	s, err := readSession(r)
	if err != nil {
		return err
	}
	token := url.QueryEscape(r.URL.Query().Get("SessionToken"))
	segment := func(f video.FragmentInfo) string {
		return fmt.Sprintf("getTSFragment.ts?SessionToken=%s&FragmentNumber=%d", token, f.Number)
	}
	var text string
	if s.First != 0 {
		text, err = h.Store.PlaylistOfFragments(s.Stream, s.First, s.Last, segment)
	} else {
		text, err = h.Store.Playlist(s.Stream, s.Mode, s.Start, s.End, segment)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	_, err = w.Write([]byte(text))
	return err
}

func (h Handler) tsFragment(w http.ResponseWriter, r *http.Request) error {
	s, err := readSession(r)
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(r.URL.Query().Get("FragmentNumber"), 10, 64)
	if err != nil {
		return &apiError{http.StatusBadRequest, "InvalidArgumentException", "FragmentNumber: not a fragment number"}
	}
	media, err := h.Store.FragmentMedia(s.Stream, n)
	if err != nil {
		return &apiError{http.StatusNotFound, "ResourceNotFoundException", err.Error()}
	}
	w.Header().Set("Content-Type", "video/mp2t")
	w.Header().Set("Content-Length", strconv.Itoa(len(media)))
	_, err = w.Write(media)
	return err
}
