package kinesisvideoapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/samples"
)

// TestUpdateDataRetentionOverTheAPI: /updateDataRetention refuses a stale version as KVS does and applies a current
// one (engine/video's TestUpdateDataRetention covers the rules).
func TestUpdateDataRetentionOverTheAPI(t *testing.T) {
	s, _ := newStore(t, "cam") // 24 h
	st, _ := s.DescribeStream("cam")
	up, err := s.UpdateDataRetention("cam", st.Version, video.IncreaseRetention, 24) // 48 h: st.Version is stale now
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler{Store: s})
	defer srv.Close()
	status, out := post(t, srv, "/updateDataRetention", map[string]any{"StreamName": "cam", "CurrentVersion": st.Version,
		"Operation": video.IncreaseRetention, "DataRetentionChangeInHours": 1})
	if status != http.StatusBadRequest || out["__type"] != "VersionMismatchException" {
		t.Fatalf("stale version over the API: %d %v", status, out)
	}
	status, _ = post(t, srv, "/updateDataRetention", map[string]any{"StreamName": "cam", "CurrentVersion": up.Version,
		"Operation": video.IncreaseRetention, "DataRetentionChangeInHours": 2})
	if st, _ := s.DescribeStream("cam"); status != http.StatusOK || st.RetentionHours != 50 {
		t.Fatalf("over the API: %d, %+v", status, st)
	}
}

// TestPutMediaRefusesProducerStartsOutOfRange: a start time in milliseconds by mistake (or any time past the year
// 9999) is refused with the header named, with a 400 before any acknowledgement, and nothing is stored.
func TestPutMediaRefusesProducerStartsOutOfRange(t *testing.T) {
	s, _ := newStore(t, "cam")
	srv := httptest.NewServer(Handler{Store: s})
	defer srv.Close()
	clip, _ := samples.FS.ReadFile("testpattern.ts")
	for _, v := range []string{"1764158400250", "NaN", "-5", "+Inf", "1e300"} {
		status, acks := putMedia(t, srv, clip, map[string]string{"x-amzn-stream-name": "cam", "x-amzn-producer-start-timestamp": v})
		if status != http.StatusBadRequest || len(acks) != 1 || !strings.Contains(acks[0]["message"].(string), "x-amzn-producer-start-timestamp") {
			t.Fatalf("%s: status %d, %v", v, status, acks)
		}
	}
	if st, _ := s.DescribeStream("cam"); st.Fragments != 0 || st.NextFragment != 1 {
		t.Fatalf("after refused puts: %+v", st)
	}
	status, acks := putMedia(t, srv, clip, map[string]string{"x-amzn-stream-name": "cam", "x-amzn-producer-start-timestamp": "1e15"})
	if status != http.StatusBadRequest || len(acks) != 1 {
		t.Fatalf("a start past 9999: %d %v", status, acks)
	}
}
