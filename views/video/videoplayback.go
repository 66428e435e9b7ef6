package video

import (
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// Playback modes of the screen.
const (
	modeLive     = "Live"
	modeOnDemand = "On demand"
)

// videoSession is what the player has loaded: an HLS session over one continuous run of fragments (no gap, no
// producer restart), because the player's clock is the media's own, which starts again at every discontinuity.
// Within a run the player's position counts from the first fragment's start, so it maps back to a fragment and
// a producer time.
type videoSession struct {
	stream string
	live   bool
	url    string
	frags  []video.FragmentInfo // the run, from the session's first fragment; grows while live
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

func (vs *videoSession) last() video.FragmentInfo { return vs.frags[len(vs.frags)-1] }

// continuous reports whether next follows prev in the same run, by the rule the HLS playlists mark
// discontinuities with: the next number, and no more than half a second between them.
func continuous(prev, next video.FragmentInfo) bool {
	gap := next.ProducerTimestamp.Sub(prev.ProducerTimestamp.Add(prev.Duration))
	return next.Number == prev.Number+1 && gap <= 500*time.Millisecond && gap >= -500*time.Millisecond
}

// timelineSpans are the timeline's zoom levels: a long recording's fragments are a pixel or less wide at "all".
var timelineSpans = []struct {
	label string
	span  time.Duration
}{{"all", 0}, {"1 h", time.Hour}, {"10 min", 10 * time.Minute}, {"1 min", time.Minute}}

func timelineSpanLabels() []string {
	out := make([]string, len(timelineSpans))
	for i, z := range timelineSpans {
		out[i] = z.label
	}
	return out
}

// maxSessionFragments keeps a session's playlist under the server's cap of 1,000 fragments (about half an hour
// of 2 s fragments); a longer run plays as several sessions, one after the other.
const maxSessionFragments = 900

// videoPlayback is the player with its controls, the fragment details and the timeline.
type videoPlayback struct {
	s *Screen

	player   *videoPlayer
	stack    *fyne.Container // the picture, or a message over it
	message  *widget.Label
	mode     *widget.RadioGroup
	pause    *widget.Button
	back     *widget.Button
	forward  *widget.Button
	info     *widget.Label
	timeline *widgets.FragmentTimeline
	zoom     *widget.Select
	content  fyne.CanvasObject

	stream    string
	byNumber  []video.FragmentInfo // as the poll gave them
	frags     []video.FragmentInfo // by producer time
	session   *videoSession
	gen       int       // counts loads, so only the newest one's answer is used
	loading   bool      // a load is under way
	keepPause bool      // the next load is the screen's own, not the user's
	endedAt   time.Time // when afterEnd last moved on
	status    playerStatus
}

func newVideoPlayback(s *Screen) *videoPlayback {
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
	p.zoom = widget.NewSelect(timelineSpanLabels(), func(label string) {
		for _, z := range timelineSpans {
			if z.label == label {
				p.timeline.SetSpan(z.span)
			}
		}
	})
	p.zoom.SetSelected(timelineSpans[0].label)
	save := widget.NewButtonWithIcon("Save clip…", theme.DocumentSaveIcon(), p.askSaveClip)
	controls := container.NewHBox(p.mode, widget.NewSeparator(), p.pause, p.back, p.forward)
	p.info.Wrapping = fyne.TextWrapWord // the whole line, even on a narrow window: the player above gives way
	timelineRow := container.NewBorder(nil, nil, nil, container.NewHBox(widget.NewLabel("Zoom"), p.zoom, save), p.timeline)
	bottom := container.NewVBox(controls, p.info, timelineRow)
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
	p.stream, p.frags, p.byNumber, p.session = name, nil, nil, nil
	p.status = playerStatus{}
	p.gen++ // a load still under way is for the stream left
	p.loading = false
	if p.player != nil {
		p.player.Unload()
	}
	p.timeline.SetFragments(nil)
	p.timeline.SetPlayhead(time.Time{})
	ui.SetText(p.info, "")
	p.showMessage("")
}

func (p *videoPlayback) showMessage(text string) {
	ui.SetText(p.message, text)
	if text == "" {
		p.message.Hide()
	} else {
		p.message.Show()
	}
}

// update takes the stream's fragments from the poll (by number) and orders them along producer time.
func (p *videoPlayback) update(byNumber []video.FragmentInfo) {
	// the poll hands the same list until the stream changes: sorting a day's 43,200 fragments every half
	// second on the UI goroutine would be wasted
	changed := len(byNumber) != len(p.byNumber) || (len(byNumber) > 0 && byNumber[len(byNumber)-1].Number != p.byNumber[len(p.byNumber)-1].Number) ||
		(len(byNumber) > 0 && byNumber[0].Number != p.byNumber[0].Number)
	frags := p.frags
	if changed {
		p.byNumber = byNumber
		frags = slices.Clone(byNumber)
		slices.SortStableFunc(frags, func(a, b video.FragmentInfo) int { return a.ProducerTimestamp.Compare(b.ProducerTimestamp) })
		p.frags = frags
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
	if p.loading {
		return
	}
	vs := p.session
	switch {
	case vs == nil && p.mode.Selected == modeLive:
		p.goLive()
	case vs == nil:
		p.scrub(frags[0].ProducerTimestamp)
	case vs.live:
		p.follow(vs)
	}
}

// follow grows the live session with the fragments that continue its run; a fragment that starts a new run (the
// producer restarted, or stopped a while) or a run too long for one playlist starts a new session at the newest.
func (p *videoPlayback) follow(vs *videoSession) {
	for _, f := range p.byNumber {
		last := vs.last()
		if f.Number <= last.Number {
			continue
		}
		if !continuous(last, f) || len(vs.frags) >= maxSessionFragments {
			p.keepPause = true
			p.goLive()
			return
		}
		vs.frags = append(vs.frags, f)
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
	newest := p.byNumber[len(p.byNumber)-1] // the last to arrive: an import's producer times may lie ahead of it
	p.load(&videoSession{stream: p.stream, live: true, frags: []video.FragmentInfo{newest}}, newest.Number, 0, 0)
}

// scrub plays on demand from a time: the fragment holding it (or the next one, in a gap) to the end of its run.
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
	p.playFrom(k, max(0, at.Sub(p.frags[k].ProducerTimestamp).Seconds()))
}

// playFrom plays on demand from offset seconds into the k-th fragment (in producer time) to the end of its run.
func (p *videoPlayback) playFrom(k int, offset float64) {
	hi := k
	for hi+1 < len(p.frags) && hi-k+1 < maxSessionFragments && continuous(p.frags[hi], p.frags[hi+1]) {
		hi++
	}
	first, last := p.frags[k], p.frags[hi]
	if p.mode.Selected != modeOnDemand {
		p.mode.Selected = modeOnDemand // without setMode: this is the scrub it would start
		p.mode.Refresh()
	}
	// a run's numbers follow one another (continuous says so), so the session asks for them by number: another
	// producer's fragments overlapping in time stay out of it
	p.load(&videoSession{stream: p.stream, frags: slices.Clone(p.frags[k : hi+1])}, first.Number, last.Number, offset)
}

// load asks for the session's URL off the UI goroutine, then hands it to the player. Only the newest load
// counts: a slower earlier one that finishes after it is dropped.
func (p *videoPlayback) load(vs *videoSession, first, last uint64, offset float64) {
	if p.s.env.Playback == nil || p.player == nil {
		p.showMessage("Playback is not available in this window.")
		return
	}
	p.gen++
	gen := p.gen
	p.loading = true
	paused := p.keepPause && p.status.Paused // a reload the user did not ask for keeps a pause they did
	p.keepPause = false
	ui.Background(func() (string, error) { return p.s.env.Playback(vs.stream, first, last) }, func(url string, err error) {
		if gen != p.gen {
			return
		}
		p.loading = false
		if err != nil {
			p.showMessage("Cannot play: " + err.Error())
			return
		}
		vs.url = url
		p.session = vs
		p.status = playerStatus{}
		p.showMessage("")
		p.player.Load(url, offset, paused)
		p.timeline.SetPlayhead(vs.frags[0].ProducerTimestamp.Add(time.Duration(offset * float64(time.Second))))
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
// far behind live. At the end of a session it goes on with the next run (on demand) or the newest (live).
func (p *videoPlayback) onStatus(st playerStatus) {
	if st.Err != "" {
		p.showMessage("The player could not start: " + st.Err)
		return
	}
	if st.Paused {
		ui.SetButton(p.pause, "Play", theme.MediaPlayIcon())
	} else {
		ui.SetButton(p.pause, "Pause", theme.MediaPauseIcon())
	}
	vs := p.session
	if vs == nil || st.Path != vs.url || p.loading || !st.PosKnown {
		return // the status of what played before the session being loaded, or of one not started yet
	}
	p.status = st
	frag, at, ok := vs.at(st.Pos)
	if !ok {
		return
	}
	p.timeline.SetPlayhead(at)
	parts := []string{fmt.Sprintf("Fragment %s", ui.Thousands(int64(frag.Number))),
		"produced " + at.Local().Format("15:04:05.000")}
	if st.Width > 0 {
		parts = append(parts, fmt.Sprintf("%d×%d", st.Width, st.Height))
	}
	if st.Bitrate > 0 {
		parts = append(parts, fmt.Sprintf("%.2f Mbit/s", st.Bitrate/1e6))
	} else if frag.Duration > 0 {
		parts = append(parts, fmt.Sprintf("%.2f Mbit/s", float64(frag.Size)*8/frag.Duration.Seconds()/1e6))
	}
	if quiet, since := p.quiet(); vs.live && quiet {
		// Live plays the newest fragment, but when nothing is sending, "10 min behind live" reads as the player
		// lagging: say the stream went quiet instead.
		parts = append(parts, fmt.Sprintf("the newest fragment; nothing new for %s: start a camera or send media to see live video", seconds(since)))
	} else if vs.live {
		parts = append(parts, fmt.Sprintf("%s behind live", seconds(time.Since(at))))
	} else if n := len(p.frags); n > 0 {
		newest := p.frags[n-1]
		parts = append(parts, fmt.Sprintf("%s before the newest fragment's end", seconds(newest.ProducerTimestamp.Add(newest.Duration).Sub(at))))
	}
	switch {
	case st.Ended && !vs.live:
		parts = append(parts, "end of the recording")
	case st.Buffering && vs.live:
		parts = append(parts, "waiting for the next fragment")
	case st.Buffering:
		parts = append(parts, "buffering")
	}
	ui.SetText(p.info, joinDot(parts))
	if st.Ended {
		p.afterEnd(vs)
	}
}

// streamQuietAfter is how long past its newest fragment's duration a stream has had no new fragment before Live
// calls it quiet (a var so a test can wait less).
var streamQuietAfter = 5 * time.Second

// quiet reports whether no fragment arrived at the server for the newest one's duration plus streamQuietAfter, and
// how long ago the newest arrived.
func (p *videoPlayback) quiet() (bool, time.Duration) {
	if len(p.byNumber) == 0 {
		return false, 0
	}
	newest := p.byNumber[len(p.byNumber)-1]
	since := time.Since(newest.ServerTimestamp)
	return since > newest.Duration+streamQuietAfter, since
}

// afterEnd goes on when a session played out: on demand with the run after it, live with the newest fragment
// (a live session ends when the player stops waiting for a stream that went quiet).
func (p *videoPlayback) afterEnd(vs *videoSession) {
	if time.Since(p.endedAt) < 5*time.Second {
		return // one reload per end: a failing one is not retried at every status
	}
	p.endedAt = time.Now()
	p.keepPause = true
	if vs.live {
		p.goLive() // the player gave up waiting: start again at the newest
		return
	}
	last := vs.last()
	for i, f := range p.frags { // the fragment after the session's last in the timeline's order, overlaps or not
		if f.Number == last.Number && i+1 < len(p.frags) {
			p.playFrom(i+1, 0)
			return
		}
	}
}

func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
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
