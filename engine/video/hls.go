package video

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// HLS playback modes, as GetHLSStreamingSessionURL names them.
const (
	Live       = "LIVE"        // a sliding window of the newest fragments, following the stream
	LiveReplay = "LIVE_REPLAY" // from a start time on, then following the stream
	OnDemand   = "ON_DEMAND"   // a closed time range, with an end
)

// liveWindow is how many fragments a LIVE playlist lists, and maxPlaylist how many any playlist lists.
const (
	liveWindow  = 5
	maxPlaylist = 1000
)

// Playlist is an HLS media playlist of a stream's fragments: for ON_DEMAND from the one holding start to the last
// starting by end, ended; for LIVE_REPLAY from the one holding start on; for LIVE the newest few. Each segment carries its
// EXT-X-PROGRAM-DATE-TIME, a gap between fragments is marked as a discontinuity, and segment gives each one's URL.
func (s *Store) Playlist(name, mode string, start, end time.Time, segment func(FragmentInfo) string) (string, error) {
	var from, to time.Time
	switch mode {
	case OnDemand:
		if start.IsZero() || end.IsZero() || !end.After(start) {
			return "", fmt.Errorf("HLSFragmentSelector.TimestampRange: ON_DEMAND needs a start before its end")
		}
		from, to = start, end
	case LiveReplay:
		if start.IsZero() {
			return "", fmt.Errorf("HLSFragmentSelector.TimestampRange.StartTimestamp: LIVE_REPLAY needs a start")
		}
		from = start
	case Live:
	default:
		return "", fmt.Errorf("PlaybackMode: %q is not LIVE, LIVE_REPLAY or ON_DEMAND", mode)
	}
	var listed []FragmentInfo
	var err error
	if mode == Live { // a player polls this every few seconds: read the newest few, not the whole stream
		st, derr := s.DescribeStream(name)
		if derr != nil {
			return "", derr
		}
		listed, err = s.ListFragmentsAfter(name, st.NextFragment-1-min(st.NextFragment-1, liveWindow))
	} else {
		listed, err = s.ListFragments(name, time.Time{}, to)
	}
	if err != nil {
		return "", err
	}
	var frags []FragmentInfo // from the fragment holding the start on
	for _, f := range listed {
		if from.IsZero() || f.ProducerTimestamp.Add(f.Duration).After(from) {
			frags = append(frags, f)
		}
	}
	if mode == Live && len(frags) > liveWindow {
		frags = frags[len(frags)-liveWindow:]
	}
	switch {
	case len(frags) <= maxPlaylist:
	case mode == LiveReplay:
		// a live playlist must keep growing, or players following it stop at its end: past the cap it slides,
		// like LIVE's window (a player asking for a start over 1,000 fragments back begins 1,000 back)
		frags = frags[len(frags)-maxPlaylist:]
	default:
		frags = frags[:maxPlaylist]
	}
	return renderPlaylist(frags, mode == OnDemand, segment), nil
}

// PlaylistOfFragments is a media playlist of fragments by number, first to last (0: no end, following the
// stream live), whatever their producer times: what the app's player asks for, so that another producer's
// fragments overlapping in time never come into a run it plays.
func (s *Store) PlaylistOfFragments(name string, first, last uint64, segment func(FragmentInfo) string) (string, error) {
	listed, err := s.ListFragmentsAfter(name, max(first, 1)-1)
	if err != nil {
		return "", err
	}
	var frags []FragmentInfo
	for _, f := range listed {
		if last != 0 && f.Number > last || len(frags) == maxPlaylist {
			break
		}
		frags = append(frags, f)
	}
	return renderPlaylist(frags, last != 0, segment), nil
}

// renderPlaylist writes an HLS media playlist of frags; an ended one is a VOD playlist with its ENDLIST.
func renderPlaylist(frags []FragmentInfo, ended bool, segment func(FragmentInfo) string) string {
	target := 1.0
	for _, f := range frags {
		target = math.Max(target, math.Ceil(f.Duration.Seconds()))
	}
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n")
	if ended {
		b.WriteString("#EXT-X-PLAYLIST-TYPE:VOD\n")
	}
	fmt.Fprintf(&b, "#EXT-X-TARGETDURATION:%d\n", int(target))
	seq := uint64(0)
	if len(frags) > 0 {
		seq = frags[0].Number
	}
	fmt.Fprintf(&b, "#EXT-X-MEDIA-SEQUENCE:%d\n", seq)
	for i, f := range frags {
		if i > 0 {
			prev := frags[i-1]
			if gap := f.ProducerTimestamp.Sub(prev.ProducerTimestamp.Add(prev.Duration)); gap > 500*time.Millisecond || gap < -500*time.Millisecond || f.Number != prev.Number+1 {
				b.WriteString("#EXT-X-DISCONTINUITY\n")
			}
		}
		fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", f.ProducerTimestamp.UTC().Format("2006-01-02T15:04:05.000Z"))
		fmt.Fprintf(&b, "#EXTINF:%.3f,\n%s\n", f.Duration.Seconds(), segment(f))
	}
	if ended {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	return b.String()
}
