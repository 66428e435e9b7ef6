package lessons

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/samples"
)

// VideoAction makes a video stream (lesson-…) and imports a sample video file into it, fragment by fragment: a
// new fragment starts at each key frame.
type VideoAction struct {
	Stream string `yaml:"stream,required"`
	File   string `yaml:"file,required"` // a sample, e.g. testpattern.ts
}

// videoSamples are the sample files a lesson may import.
var videoSamples = []string{"testpattern.ts"}

func (a *VideoAction) validate(n *names) error {
	if !slices.Contains(videoSamples, a.File) {
		return fmt.Errorf("import_video: file %q is one of the samples %v", a.File, videoSamples)
	}
	if len(a.Stream) < 8 || a.Stream[:7] != "lesson-" {
		return fmt.Errorf("import_video: stream %q: a lesson's streams are named lesson-…", a.Stream)
	}
	n.define(&n.videos, a.Stream)
	return nil
}

func (s *Session) importVideo(ctx context.Context, a *VideoAction) error {
	if s.ws.Video == nil {
		return errors.New("import_video: this app runs without video streams")
	}
	_ = s.ws.Video.DeleteStream(a.Stream)
	if _, err := s.ws.Video.CreateStream(video.CreateInput{Name: a.Stream, MediaType: "video/h264", RetentionHours: 24}); err != nil {
		return err
	}
	s.mu.Lock()
	s.videos = append(s.videos, a.Stream)
	s.mu.Unlock()
	f, err := samples.FS.Open(a.File)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.ws.Video.Ingest(ctx, a.Stream, f, time.Now(), func(video.Ack) {})
}

func (s *Session) video(c *VideoCheck) Result {
	r := Result{Want: fmt.Sprintf("video stream %s holds at least %d fragments, each starting at a key frame", c.Stream,
		c.FragmentsAtLeast), Now: "no such stream yet"}
	if s.ws.Video == nil {
		return r
	}
	frags, err := s.ws.Video.ListFragmentsAfter(c.Stream, 0)
	if err != nil {
		return r
	}
	r.Now = fmt.Sprintf("%d fragments", len(frags))
	r.Met = len(frags) >= c.FragmentsAtLeast
	return r
}
