package video

import (
	"errors"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/video/container"
)

// TestUpdateDataRetention: retention moves up or down from the current version only, stays within 1–87,600 hours,
// survives a restart, and a shortened retention trims what it no longer covers.
func TestUpdateDataRetention(t *testing.T) {
	s, eng := newStore(t, "cam") // 24 h
	st, _ := s.DescribeStream("cam")
	up, err := s.UpdateDataRetention("cam", st.Version, IncreaseRetention, 24)
	if err != nil || up.RetentionHours != 48 || up.Version == st.Version {
		t.Fatalf("increase: %+v, %v", up, err)
	}
	if _, err := s.UpdateDataRetention("cam", st.Version, DecreaseRetention, 1); !errors.Is(err, ErrVersionMismatch) {
		t.Fatalf("an update from a stale version: %v", err)
	}
	for _, bad := range []struct {
		op     string
		change int
	}{{DecreaseRetention, 48}, {IncreaseRetention, MaxRetentionHours}, {IncreaseRetention, 0}, {"SET", 5}} {
		if _, err := s.UpdateDataRetention("cam", up.Version, bad.op, bad.change); err == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
	if _, err := s.CreateStream(CreateInput{Name: "live"}); err != nil {
		t.Fatal(err)
	}
	live, _ := s.DescribeStream("live")
	if _, err := s.UpdateDataRetention("live", live.Version, IncreaseRetention, 1); err == nil {
		t.Fatal("a stream without retention was given some")
	}

	// an hour-old fragment goes once the retention is down to one hour
	if _, _, err := s.PutFragment("cam", container.Fragment{Duration: time.Second, Data: []byte{0x47}, Frames: 1}, time.Now()); err != nil {
		t.Fatal(err)
	}
	down, err := s.UpdateDataRetention("cam", up.Version, DecreaseRetention, 47)
	if err != nil || down.RetentionHours != 1 {
		t.Fatalf("decrease: %+v, %v", down, err)
	}
	if n, err := s.Trim(time.Now().Add(2 * time.Hour)); n != 1 || err != nil {
		t.Fatalf("trimmed %d, %v", n, err)
	}
	reopened, err := Open(eng)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := reopened.DescribeStream("cam"); st.RetentionHours != 1 || st.Version != down.Version {
		t.Fatalf("after reopening: %+v", st)
	}
}
