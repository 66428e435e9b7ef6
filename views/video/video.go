// Package video is the Video screen: the video streams, their camera producers, live and on-demand playback in the
// embedded player, and clips saved from a stream's fragments.
package video

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/views/ui"
)

// Screen is Kinesis Video Streams on the laptop: the video streams on the left with their retention and
// what they hold; for the selected one, its producers (a file import, a camera through ffmpeg), the embedded
// player (live, or on demand from any time) and the timeline of its fragments.
type Screen struct {
	env ui.Env
	win fyne.Window

	streams  []video.Stream
	selected string
	target   atomic.Pointer[string] // selected, for the poller's goroutine

	list      *widget.List
	header    *widget.Label
	facts     *widget.Label
	remove    *widget.Button
	retention *widget.Button
	producers *videoProducers
	playback  *videoPlayback
	detail    *fyne.Container
	empty     fyne.CanvasObject
	stopPoll  func()
	opened    bool // the first poll came back
	root      *container.Split
}

func New(env ui.Env, win fyne.Window) *Screen {
	s := &Screen{env: env, win: win, header: widget.NewLabel(""), facts: widget.NewLabel("")}
	s.header.TextStyle.Bold = true
	s.header.Truncation = fyne.TextTruncateEllipsis
	s.facts.Wrapping = fyne.TextWrapWord
	s.list = widget.NewList(func() int { return len(s.streams) },
		func() fyne.CanvasObject { return widget.NewLabel("front-door-camera · 1,234 fragments") },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(s.streams) {
				st := s.streams[id]
				o.(*widget.Label).SetText(st.Name + " · " + ui.Plural(st.Fragments, "fragment"))
			}
		})
	s.list.OnSelected = func(id widget.ListItemID) {
		if id < len(s.streams) {
			s.selectStream(s.streams[id].Name)
		}
	}
	newBtn := widget.NewButton("New…", s.askCreate)
	newBtn.Importance = widget.HighImportance
	s.remove = widget.NewButton("Delete…", s.askDelete)
	left := container.NewBorder(ui.Heading("Video streams"), container.NewGridWithColumns(2, newBtn, s.remove), nil, nil, s.list)

	s.producers = newVideoProducers(s)
	s.playback = newVideoPlayback(s)
	s.retention = widget.NewButton("Retention…", s.askRetention)
	top := container.NewVBox(container.NewBorder(nil, nil, nil, container.NewVBox(s.retention), container.NewVBox(s.header, s.facts)), s.producers.content)
	s.detail = container.NewBorder(top, nil, nil, nil, s.playback.content)
	help := widget.NewLabel("A video stream stores media as fragments: runs of about 2 s, each starting at a key " +
		"frame, with producer and server timestamps, kept for the stream's retention.\n\nCreate one with New…, " +
		"then import a file (the sample is <data>/samples/testpattern.ts), start a camera (ffmpeg's test " +
		"pattern, a webcam or the screen), or send MPEG-TS or Matroska to PutMedia on the app's API endpoint. " +
		"Play it live, or scrub the timeline to play it from any time.")
	help.Wrapping = fyne.TextWrapWord
	s.empty = container.NewPadded(help)
	s.root = container.NewHSplit(left, container.NewStack(s.empty))
	s.root.Offset = 0.22
	return s
}

func (s *Screen) Content() fyne.CanvasObject { return s.root }

// videoSnapshot is what the poll fetches off the UI goroutine.
type videoSnapshot struct {
	streams []video.Stream
	stream  string
	frags   []video.FragmentInfo
	camera  loadgen.CameraStats
	hasCam  bool
}

func (s *Screen) Start() {
	s.playback.start()
	// the fragment list is read again only when the stream's count or next number moved, and then only the new
	// fragments when none was trimmed (a day of 2 s fragments is 43,200 of them)
	var lastStream string
	var lastKey [2]int64
	var lastFrags []video.FragmentInfo
	s.stopPoll = ui.Poll(500*time.Millisecond, func() videoSnapshot {
		snap := videoSnapshot{streams: s.env.Video.ListStreams()}
		if t := s.target.Load(); t != nil {
			snap.stream = *t
		}
		if snap.stream == "" {
			return snap
		}
		for _, st := range snap.streams {
			if st.Name != snap.stream {
				continue
			}
			key := [2]int64{int64(st.NextFragment), int64(st.Fragments)}
			if snap.stream != lastStream || key != lastKey {
				if snap.stream == lastStream && len(lastFrags) > 0 && key[1] > lastKey[1] && key[1]-lastKey[1] <= key[0]-lastKey[0] {
					newer, err := s.env.Video.ListFragmentsAfter(snap.stream, lastFrags[len(lastFrags)-1].Number)
					if err == nil && len(lastFrags)+len(newer) == int(key[1]) {
						// a new slice: the one handed to the UI last time is not written under it
						lastKey, lastFrags = key, append(slices.Clip(lastFrags), newer...)
					}
				}
				if key != lastKey || snap.stream != lastStream {
					frags, err := s.env.Video.ListFragments(snap.stream, time.Time{}, time.Time{})
					if err == nil {
						lastStream, lastKey, lastFrags = snap.stream, key, frags
					}
				}
			}
			if lastStream == snap.stream { // never another stream's fragments, when reading this one's failed
				snap.frags = lastFrags
			}
		}
		if s.env.Cameras != nil {
			snap.camera, snap.hasCam = s.env.Cameras.Stats(snap.stream)
		}
		return snap
	}, s.apply)
}

func (s *Screen) Stop() {
	if s.stopPoll != nil {
		s.stopPoll()
	}
	s.playback.stop()
	s.producers.stop()
}

func (s *Screen) apply(snap videoSnapshot) {
	if !slices.Equal(s.streams, snap.streams) { // an idle list is not repainted twice a second
		s.streams = snap.streams
		s.list.Refresh()
	}
	if !s.opened && s.selected == "" && len(s.streams) > 0 { // open on the first stream rather than an empty page
		s.list.Select(0)
	}
	s.opened = true
	st := s.current()
	if st == nil && s.selected != "" { // deleted, here or through the API
		s.list.UnselectAll()
		s.selectStream("")
	}
	s.showDetail()
	if st == nil || snap.stream != s.selected {
		return
	}
	s.producers.update(snap.camera, snap.hasCam)
	s.playback.update(snap.frags)
}

func (s *Screen) current() *video.Stream {
	for i := range s.streams {
		if s.streams[i].Name == s.selected {
			return &s.streams[i]
		}
	}
	return nil
}

func (s *Screen) selectStream(name string) {
	if name == s.selected {
		return
	}
	s.selected = name
	s.target.Store(&name)
	s.playback.setStream(name)
	s.producers.setStream(name)
	s.showDetail()
}

// showDetail shows the selected stream's facts, or the introduction when none is selected.
func (s *Screen) showDetail() {
	st := s.current()
	stack := s.root.Trailing.(*fyne.Container)
	want := fyne.CanvasObject(s.empty)
	if st != nil {
		want = s.detail
	}
	if len(stack.Objects) != 1 || stack.Objects[0] != want {
		stack.Objects = []fyne.CanvasObject{want}
		stack.Refresh()
	}
	if st == nil {
		s.remove.Disable()
		return
	}
	s.remove.Enable()
	if st.RetentionHours == 0 {
		s.retention.Disable() // as KVS: a stream that keeps nothing cannot start keeping
	} else {
		s.retention.Enable()
	}
	ui.SetText(s.header, st.Name)
	retention := "keeps no fragments (retention 0: live viewers only)"
	if st.RetentionHours > 0 {
		retention = "keeps fragments " + ui.Plural(st.RetentionHours, "hour")
	}
	facts := fmt.Sprintf("%s · %s stored, %s · created %s", retention, ui.Plural(st.Fragments, "fragment"),
		sizeText(st.Bytes), st.Created.Local().Format("2006-01-02 15:04"))
	if st.MediaType != "" {
		facts += " · " + st.MediaType
	}
	if st.DeviceName != "" {
		facts += " · device " + st.DeviceName
	}
	ui.SetText(s.facts, facts)
}

// sizeText formats a byte count in the largest unit that keeps it readable: "437 KiB", "1.2 GiB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 10<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func (s *Screen) askDelete() {
	name := s.selected
	if name == "" {
		return
	}
	dialog.ShowConfirm("Delete video stream", fmt.Sprintf("Delete %s and every fragment it holds?", name), func(ok bool) {
		if !ok {
			return
		}
		ui.Background(func() (struct{}, error) {
			if s.env.Cameras != nil {
				s.env.Cameras.Stop(name)
			}
			return struct{}{}, s.env.Video.DeleteStream(name)
		}, func(_ struct{}, err error) {
			if err != nil {
				ui.ShowError("Delete "+name, err, s.win)
				return
			}
			s.list.UnselectAll()
			s.selectStream("")
		})
	}, s.win)
}

// askRetention asks for a stream's new retention and changes it from the version shown, so an edit made meanwhile
// (through the API, say) is not overwritten unseen.
func (s *Screen) askRetention() {
	st := s.current()
	if st == nil {
		return
	}
	name, version, current := st.Name, st.Version, st.RetentionHours
	hours := widget.NewEntry()
	hours.SetText(strconv.Itoa(current))
	items := []*widget.FormItem{{Text: "Retention (hours)", Widget: hours,
		HintText: fmt.Sprintf("1 to %s; fragments older than that are deleted at once", ui.Thousands(video.MaxRetentionHours))}}
	dialog.ShowForm("Retention of "+name, "Change", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		want, err := retentionHours(hours.Text, 1)
		if err != nil {
			ui.ShowError("Retention", err, s.win)
			return
		}
		if want == current {
			return
		}
		op, change := video.IncreaseRetention, want-current
		if want < current {
			op, change = video.DecreaseRetention, current-want
		}
		ui.Background(func() (video.Stream, error) { return s.env.Video.UpdateDataRetention(name, version, op, change) },
			func(updated video.Stream, err error) {
				if err != nil {
					ui.ShowError("Retention of "+name, err, s.win)
					return
				}
				if cur := s.current(); cur != nil && cur.Name == updated.Name {
					*cur = updated
					s.showDetail()
				}
			})
	}, s.win)
}

// retentionHours reads a retention typed in a form; the store checks its range, this only that it is a number.
func retentionHours(text string, least int) (int, error) {
	hours, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil {
		return 0, fmt.Errorf("DataRetentionInHours: %q is not a whole number of hours (%d–%s)", text, least,
			ui.Thousands(video.MaxRetentionHours))
	}
	return hours, nil
}

// askCreate asks for a new stream's name, retention, media type and device.
func (s *Screen) askCreate() {
	name := widget.NewEntry()
	name.SetPlaceHolder("front-door")
	retention := widget.NewEntry()
	retention.SetText("24")
	mediaType := widget.NewEntry()
	mediaType.SetText("video/h264")
	device := widget.NewEntry()
	device.SetPlaceHolder("optional")
	items := []*widget.FormItem{
		{Text: "Name", Widget: name, HintText: "letters, digits, '_', '.' and '-'"},
		{Text: "Retention (hours)", Widget: retention, HintText: fmt.Sprintf("0 keeps nothing (live only); up to %s", ui.Thousands(video.MaxRetentionHours))},
		{Text: "Media type", Widget: mediaType},
		{Text: "Device name", Widget: device},
	}
	d := dialog.NewForm("New video stream", "Create", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		hours, err := retentionHours(retention.Text, 0)
		if err != nil {
			ui.ShowError("Create", err, s.win)
			return
		}
		in := video.CreateInput{Name: name.Text, RetentionHours: hours, MediaType: mediaType.Text, DeviceName: device.Text}
		ui.Background(func() (video.Stream, error) { return s.env.Video.CreateStream(in) }, func(st video.Stream, err error) {
			if err != nil {
				ui.ShowError("Create "+in.Name, err, s.win)
				return
			}
			s.streams = append(s.streams, st)
			s.selectStream(st.Name)
		})
	}, s.win)
	d.Resize(fyne.NewSize(460, 300))
	d.Show()
}
