package views

import (
	"fmt"
	"io"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/shardlab/shardlab/engine/video"
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
		showError("Save clip", fmt.Errorf("the timeline shows no fragments"), p.s.win)
		return
	}
	if size > maxClipBytes {
		showError("Save clip", fmt.Errorf("the timeline shows %s of video, over the %s a clip may hold: zoom in first",
			sizeText(size), sizeText(maxClipBytes)), p.s.win)
		return
	}
	stream := p.stream
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		background(func() (int, error) { return writeClip(p.s.env.Video, stream, frags, w) }, func(n int, err error) {
			if err != nil {
				showError("Save clip", err, p.s.win)
				return
			}
			setText(p.info, fmt.Sprintf("Saved %s (%s, %s) to %s", plural(n, "fragment"), seconds(clipLength(frags)),
				sizeText(size), w.URI().Name()))
		})
	}, p.s.win)
	d.SetFileName(fmt.Sprintf("%s-%s.ts", stream, frags[0].ProducerTimestamp.Local().Format("20060102-150405")))
	d.Show()
}

// writeClip writes the fragments' media one after another (MPEG-TS segments join by concatenation), reading one
// fragment at a time, and closes w.
func writeClip(store *video.Store, stream string, frags []video.FragmentInfo, w io.WriteCloser) (int, error) {
	n := 0
	for _, f := range frags {
		media, err := store.FragmentMedia(stream, f.Number)
		if err != nil {
			continue // trimmed by retention since the timeline was drawn
		}
		if _, err := w.Write(media); err != nil {
			w.Close()
			return n, err
		}
		n++
	}
	if err := w.Close(); err != nil {
		return n, err
	}
	if n == 0 {
		return 0, fmt.Errorf("the fragments shown were trimmed by retention before they could be saved")
	}
	return n, nil
}

func clipLength(frags []video.FragmentInfo) time.Duration {
	var d time.Duration
	for _, f := range frags {
		d += f.Duration
	}
	return d
}
