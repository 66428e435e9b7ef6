package views

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/views/widgets"
)

// Playback modes of the screen.
const (
	modeLive     = "Live"
	modeOnDemand = "On demand"
)

// videoSession is what the player has loaded: an HLS session that begins at a fragment. The player's position
// counts from that fragment's start, so the fragments from it on map a position back to a fragment and a
// producer time.
type videoSession struct {
	stream string
	live   bool
	frags  []video.FragmentInfo // from the first fragment of the session on; grows while live
}

// at maps a player position (seconds from the session's start) to the fragment playing and its producer time.
func (vs *videoSession) at(pos float64) (video.FragmentInfo, time.Time, bool) {
	if len(vs.frags) == 0 {
		return video.FragmentInfo{}, time.Time{}, false
	}
	rest := time.Duration(pos * float64(time.Second))
	for _, f := range vs.frags {
		if rest < f.Duration {
			return f, f.ProducerTimestamp.Add(rest), true
		}
		rest -= f.Duration
	}
	last := vs.frags[len(vs.frags)-1]
	return last, last.ProducerTimestamp.Add(last.Duration), true
}

// videoPlayback is the player with its controls, the fragment details and the timeline.
type videoPlayback struct {
	s *videoScreen

	player   *videoPlayer
	stack    *fyne.Container // the picture, or a message over it
	message  *widget.Label
	mode     *widget.RadioGroup
	pause    *widget.Button
	back     *widget.Button
	forward  *widget.Button
	info     *widget.Label
	timeline *widgets.FragmentTimeline
	content  fyne.CanvasObject

	stream  string
	frags   []video.FragmentInfo
	session *videoSession
	loading bool
	status  playerStatus
}

func newVideoPlayback(s *videoScreen) *videoPlayback {
	p := &videoPlayback{s: s, message: widget.NewLabel(""), info: widget.NewLabel(""), timeline: widgets.NewFragmentTimeline()}
	p.message.Alignment = fyne.TextAlignCenter
	p.message.Wrapping = fyne.TextWrapWord
	p.stack = container.NewStack(p.message)
	p.mode = widget.NewRadioGroup([]string{modeLive, modeOnDemand}, p.setMode)
	p.mode.Horizontal = true
	p.mode.Required = true
	p.mode.SetSelected(modeLive)
	p.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() {
		if p.player != nil {
			p.player.TogglePause()
		}
	})
	p.back = widget.NewButtonWithIcon("10 s", theme.MediaFastRewindIcon(), func() { p.seek(-10) })
	p.forward = widget.NewButtonWithIcon("10 s", theme.MediaFastForwardIcon(), func() { p.seek(10) })
	p.timeline.OnScrub = p.scrub
	controls := container.NewHBox(p.mode, widget.NewSeparator(), p.pause, p.back, p.forward)
	p.info.Truncation = fyne.TextTruncateEllipsis
	bottom := container.NewVBox(controls, p.info, p.timeline)
	p.content = container.NewBorder(nil, bottom, nil, nil, p.stack)
	return p
}

// start makes the player (mpv starts on its own goroutine).
func (p *videoPlayback) start() {
	p.player = newVideoPlayer(p.onStatus)
	p.stack.Objects = []fyne.CanvasObject{p.player.image, container.NewCenter(p.message)}
	p.stack.Refresh()
}

// stop frees the player: the screen was left.
func (p *videoPlayback) stop() {
	if p.player != nil {
		p.player.Close()
	}
}

// setStream shows another stream: nothing plays until its fragments are known.
func (p *videoPlayback) setStream(name string) {
	p.stream, p.frags, p.session, p.loading = name, nil, nil, false
	if p.player != nil {
		p.player.Unload()
	}
	p.timeline.SetFragments(nil)
	p.timeline.SetPlayhead(time.Time{})
	setText(p.info, "")
	p.showMessage("")
}

func (p *videoPlayback) showMessage(text string) {
	setText(p.message, text)
	if text == "" {
		p.message.Hide()
	} else {
		p.message.Show()
	}
}

// update takes the stream's fragments from the poll.
func (p *videoPlayback) update(frags []video.FragmentInfo) {
	changed := len(frags) != len(p.frags) || (len(frags) > 0 && frags[len(frags)-1].Number != p.frags[len(p.frags)-1].Number)
	p.frags = frags
	if changed {
		spans := make([]widgets.TimelineSpan, len(frags))
		for i, f := range frags {
			spans[i] = widgets.TimelineSpan{Start: f.ProducerTimestamp, End: f.ProducerTimestamp.Add(f.Duration)}
		}
		p.timeline.SetFragments(spans)
	}
	if len(frags) == 0 {
		if st := p.s.current(); st != nil && st.RetentionHours == 0 {
			p.showMessage("This stream's retention is 0 hours: it stores no fragments, so there is nothing to play.")
		} else {
			p.showMessage("No fragments yet: import a file or start a camera above, or send media to PutMedia.")
		}
		return
	}
	if vs := p.session; vs != nil && vs.live && len(vs.frags) > 0 { // the live session's playlist grows
		last := vs.frags[len(vs.frags)-1].Number
		for _, f := range frags {
			if f.Number > last {
				vs.frags = append(vs.frags, f)
			}
		}
	}
	if p.session == nil && !p.loading && p.mode.Selected == modeLive {
		p.goLive()
	} else if p.session == nil && !p.loading {
		p.scrub(frags[0].ProducerTimestamp)
	}
}

func (p *videoPlayback) setMode(mode string) {
	if p.stream == "" || len(p.frags) == 0 {
		return
	}
	if mode == modeLive {
		if p.session == nil || !p.session.live {
			p.goLive()
		}
		return
	}
	if p.session != nil && p.session.live { // keep the picture where it is, now on demand
		if _, at, ok := p.session.at(p.status.Pos); ok {
			p.scrub(at)
			return
		}
	}
	p.scrub(p.frags[0].ProducerTimestamp)
}

// goLive plays from the newest fragment on and follows the stream (a LIVE_REPLAY session from there, so the
// position maps to fragments exactly).
func (p *videoPlayback) goLive() {
	newest := p.frags[len(p.frags)-1]
	p.load(&videoSession{stream: p.stream, live: true, frags: []video.FragmentInfo{newest}}, video.LiveReplay,
		newest.ProducerTimestamp, time.Time{}, 0)
}

// scrub plays on demand from a time: the fragment holding it (or the next one, in a gap) to the newest.
func (p *videoPlayback) scrub(at time.Time) {
	if p.stream == "" || len(p.frags) == 0 {
		return
	}
	k := len(p.frags) - 1
	for i, f := range p.frags {
		if f.ProducerTimestamp.Add(f.Duration).After(at) {
			k = i
			break
		}
	}
	first, last := p.frags[k], p.frags[len(p.frags)-1]
	offset := max(0, at.Sub(first.ProducerTimestamp).Seconds())
	if p.mode.Selected != modeOnDemand {
		p.mode.Selected = modeOnDemand // without setMode: this is the scrub it would start
		p.mode.Refresh()
	}
	frags := append([]video.FragmentInfo(nil), p.frags[k:]...)
	p.load(&videoSession{stream: p.stream, frags: frags}, video.OnDemand, first.ProducerTimestamp,
		last.ProducerTimestamp.Add(last.Duration), offset)
}

// load asks for the session's URL off the UI goroutine, then hands it to the player.
func (p *videoPlayback) load(vs *videoSession, mode string, from, to time.Time, offset float64) {
	if p.s.env.Playback == nil || p.player == nil {
		p.showMessage("Playback is not available in this window.")
		return
	}
	p.loading = true
	background(func() (string, error) { return p.s.env.Playback(vs.stream, mode, from, to) }, func(url string, err error) {
		p.loading = false
		if vs.stream != p.stream {
			return // another stream was chosen meanwhile
		}
		if err != nil {
			p.showMessage("Cannot play: " + err.Error())
			return
		}
		p.session = vs
		p.showMessage("")
		p.player.Load(url, offset)
		if len(vs.frags) > 0 {
			p.timeline.SetPlayhead(vs.frags[0].ProducerTimestamp.Add(time.Duration(offset * float64(time.Second))))
		}
	})
}

func (p *videoPlayback) seek(seconds float64) {
	if p.player == nil || p.session == nil {
		return
	}
	if p.session.live && seconds > 0 {
		return // nothing is ahead of live
	}
	p.player.Seek(seconds)
}

// onStatus shows where the player is: the fragment, its producer time, the picture's size, the bitrate and how
// far behind live.
func (p *videoPlayback) onStatus(st playerStatus) {
	p.status = st
	if st.Err != "" {
		p.showMessage("The player could not start: " + st.Err)
		return
	}
	if st.Paused {
		setButton(p.pause, "Play", theme.MediaPlayIcon())
	} else {
		setButton(p.pause, "Pause", theme.MediaPauseIcon())
	}
	vs := p.session
	if vs == nil || !st.Loaded {
		return
	}
	frag, at, ok := vs.at(st.Pos)
	if !ok {
		return
	}
	p.timeline.SetPlayhead(at)
	parts := []string{fmt.Sprintf("Fragment %s", thousands(int64(frag.Number))),
		"produced " + at.Local().Format("15:04:05.000")}
	if st.Width > 0 {
		parts = append(parts, fmt.Sprintf("%d×%d", st.Width, st.Height))
	}
	if st.Bitrate > 0 {
		parts = append(parts, fmt.Sprintf("%.2f Mbit/s", st.Bitrate/1e6))
	} else if frag.Duration > 0 {
		parts = append(parts, fmt.Sprintf("%.2f Mbit/s", float64(frag.Size)*8/frag.Duration.Seconds()/1e6))
	}
	if vs.live {
		parts = append(parts, fmt.Sprintf("%s behind live", seconds(time.Since(at))))
	} else if n := len(p.frags); n > 0 {
		newest := p.frags[n-1]
		parts = append(parts, fmt.Sprintf("%s before the newest fragment's end", seconds(newest.ProducerTimestamp.Add(newest.Duration).Sub(at))))
	}
	if st.Ended && !vs.live {
		parts = append(parts, "end of the recording")
	}
	setText(p.info, joinDot(parts))
}

func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d >= time.Hour {
		return d.Truncate(time.Second).String()
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func joinDot(parts []string) string {
	out := ""
	for i, s := range parts {
		if i > 0 {
			out += " · "
		}
		out += s
	}
	return out
}
