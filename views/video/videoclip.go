package video

import (
	"errors"
	"fmt"
	"io"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/views/ui"
)

// maxClipBytes bounds a saved clip: the timeline zoomed out over days of video is a lot of media to write by
// mistake, and the size is known before anything is written.
const maxClipBytes = 2 << 30

// clipFragments are the fragments a clip of the timeline's window holds: those that overlap it.
func clipFragments(frags []video.FragmentInfo, from, to time.Time) (out []video.FragmentInfo, bytes int64) {
	for _, f := range frags {
		if f.ProducerTimestamp.Before(to) && f.ProducerTimestamp.Add(f.Duration).After(from) {
			out = append(out, f)
			bytes += int64(f.Size)
		}
	}
	return out, bytes
}

// askSaveClip saves what the timeline shows (zoom it to choose) as one MPEG-TS file, which any player opens.
func (p *videoPlayback) askSaveClip() {
	from, to := p.timeline.Window()
	frags, size := clipFragments(p.frags, from, to)
	if len(frags) == 0 {
		ui.ShowError("Save clip", fmt.Errorf("the timeline shows no fragments"), p.s.win)
		return
	}
	if size > maxClipBytes {
		ui.ShowError("Save clip", fmt.Errorf("the timeline shows %s of video, over the %s a clip may hold: zoom in first",
			sizeText(size), sizeText(maxClipBytes)), p.s.win)
		return
	}
	stream := p.stream
	var arn string // the stream as it is now: one deleted and made again under its name numbers from 1 again
	if st := p.s.current(); st != nil {
		arn = st.ARN
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		ui.Background(func() (clipResult, error) { return writeClip(p.s.env.Video, stream, arn, frags, w) }, func(r clipResult, err error) {
			if err != nil {
				ui.ShowError("Save clip", err, p.s.win)
				return
			}
			dialog.ShowInformation("Clip saved", fmt.Sprintf("%s: %s of %s, %s.", w.URI().Name(),
				seconds(r.length), ui.Plural(r.fragments, "fragment"), sizeText(r.bytes)), p.s.win)
		})
	}, p.s.win)
	d.SetFileName(fmt.Sprintf("%s-%s.ts", stream, frags[0].ProducerTimestamp.Local().Format("20060102-150405")))
	d.Show()
}

// clipResult is what a saved clip holds.
type clipResult struct {
	fragments int
	length    time.Duration
	bytes     int64
}

// writeClip writes the fragments' media one after another (MPEG-TS segments join by concatenation), reading one
// fragment at a time, and closes w. The stream must still be the one the fragments were listed from (arn).
func writeClip(store *video.Store, stream, arn string, frags []video.FragmentInfo, w io.WriteCloser) (clipResult, error) {
	var r clipResult
	if st, err := store.DescribeStream(stream); err != nil || st.ARN != arn {
		w.Close()
		return r, fmt.Errorf("%s was deleted (or made again) since the timeline was drawn: nothing saved", stream)
	}
	for _, f := range frags {
		media, err := store.FragmentMedia(stream, f.Number)
		if errors.Is(err, video.ErrNotFound) {
			w.Close()
			return r, fmt.Errorf("%s was deleted while the clip was written: %s saved", stream, ui.Plural(r.fragments, "fragment"))
		}
		if err != nil {
			continue // trimmed by retention since the timeline was drawn
		}
		if _, err := w.Write(media); err != nil {
			w.Close()
			return r, err
		}
		r.fragments++
		r.length += f.Duration
		r.bytes += int64(len(media))
	}
	if err := w.Close(); err != nil {
		return r, err
	}
	if r.fragments == 0 {
		return r, fmt.Errorf("the fragments shown were trimmed by retention before they could be saved")
	}
	return r, nil
}
