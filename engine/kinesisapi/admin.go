package kinesisapi

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/shardlab/shardlab/engine"
)

// AdminPrefix is where Shardlab's own endpoints live, beside the Kinesis API on the same port.
const AdminPrefix = "/_shardlab/"

// FaultRequest sets or clears fault injection on a stream (Shard "") or one shard, over the admin endpoint.
type FaultRequest struct {
	Stream                 string  `json:"stream"`
	Shard                  string  `json:"shard,omitempty"`
	Account                string  `json:"account,omitempty"`
	Region                 string  `json:"region,omitempty"`
	ThrottleRate           float64 `json:"throttleRate"`
	InternalFailureRate    float64 `json:"internalFailureRate"`
	ServiceUnavailableRate float64 `json:"serviceUnavailableRate"`
	LatencyMs              int     `json:"latencyMs"`
}

// FaultState is one entry of the admin endpoint's answer: what is injected where.
type FaultState struct {
	Shard                  string  `json:"shard,omitempty"`
	ThrottleRate           float64 `json:"throttleRate"`
	InternalFailureRate    float64 `json:"internalFailureRate"`
	ServiceUnavailableRate float64 `json:"serviceUnavailableRate"`
	LatencyMs              int     `json:"latencyMs"`
}

// serveAdmin answers GET /_shardlab/health and GET, POST and DELETE /_shardlab/faults.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case AdminPrefix + "health":
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "calls": s.Calls()})
	case AdminPrefix + "faults":
		s.serveFaults(w, r)
	default:
		writeJSON(w, http.StatusNotFound, errorBody{Type: "UnknownOperationException",
			Message: "Shardlab's admin endpoints are " + AdminPrefix + "health and " + AdminPrefix + "faults."})
	}
}

func (s *Server) serveFaults(w http.ResponseWriter, r *http.Request) {
	var req FaultRequest
	switch r.Method {
	case http.MethodGet, http.MethodDelete:
		q := r.URL.Query()
		req = FaultRequest{Stream: q.Get("stream"), Shard: q.Get("shard"), Account: q.Get("account"), Region: q.Get("region")}
	case http.MethodPost:
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Type: "SerializationException", Message: err.Error()})
			return
		}
	default:
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Type: "UnknownOperationException",
			Message: "Use GET, POST or DELETE on " + AdminPrefix + "faults."})
		return
	}
	ctx := engine.WithScope(r.Context(), engine.Scope{Account: req.Account, Region: req.Region})
	ref := engine.StreamRef{StreamName: req.Stream}
	var err error
	switch r.Method {
	case http.MethodPost:
		err = s.eng.SetFaults(ctx, ref, req.Shard, engine.FaultSpec{ThrottleRate: req.ThrottleRate,
			InternalFailureRate: req.InternalFailureRate, ServiceUnavailableRate: req.ServiceUnavailableRate,
			Latency: time.Duration(req.LatencyMs) * time.Millisecond})
	case http.MethodDelete:
		if req.Shard != "" {
			err = s.eng.SetFaults(ctx, ref, req.Shard, engine.FaultSpec{})
			break
		}
		// Without a shard, every fault of the stream goes: the whole-stream one and each shard's.
		var faults map[string]engine.FaultSpec
		if faults, err = s.eng.Faults(ctx, ref); err == nil {
			for shard := range faults {
				if err = s.eng.SetFaults(ctx, ref, shard, engine.FaultSpec{}); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		status, code, msg := describe(err)
		writeJSON(w, status, errorBody{Type: code, Message: msg})
		return
	}
	faults, err := s.eng.Faults(ctx, ref)
	if err != nil {
		status, code, msg := describe(err)
		writeJSON(w, status, errorBody{Type: code, Message: msg})
		return
	}
	out := []FaultState{}
	for shard, f := range faults {
		out = append(out, FaultState{Shard: shard, ThrottleRate: f.ThrottleRate, InternalFailureRate: f.InternalFailureRate,
			ServiceUnavailableRate: f.ServiceUnavailableRate, LatencyMs: int(f.Latency / time.Millisecond)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Shard < out[j].Shard })
	writeJSON(w, http.StatusOK, map[string]any{"stream": req.Stream, "faults": out})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
