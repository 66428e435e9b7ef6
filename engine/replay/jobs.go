package replay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine/lifecycle"
)

// The file jobs, one of each at a time: a replay of a file into a stream, a capture of a stream into a file, a
// folder watched into a stream.
const (
	JobReplay  = "replay"
	JobCapture = "capture"
	JobWatch   = "watch"
)

// Job states: a job that reached its end (the file replayed, the capture's count or duration met) is DONE; one
// cancelled is STOPPED; one that could not go on is FAILED with the reason.
const (
	JobRunning = "RUNNING"
	JobDone    = "DONE"
	JobStopped = "STOPPED"
	JobFailed  = "FAILED"
)

// JobEngine is what the jobs need of the engine: puts for replay and watch, reads for capture.
type JobEngine interface {
	Putter
	Source
	WatchTarget
}

// job is one running file job.
type job interface {
	Done() <-chan struct{}
	Err() error
	stop()
}

// jobStart is a job's spec: how to start it. Jobs do not outlive the process, so nothing is stored.
type jobStart func() (job, error)

// ErrJobRunning is returned when a job of the same kind is already running.
var ErrJobRunning = errors.New("already running; stop it first")

// Jobs runs the workspace's file jobs on the engine, the way loadgen.Manager runs producers: they outlive the
// screen that started them, report their progress to whoever asks, and stop when the app quits (StopAll). The
// lifecycle is lifecycle.Registry's, in memory.
type Jobs struct {
	eng JobEngine
	reg *lifecycle.Registry[jobStart, struct{}, job]
}

// NewJobs returns a job runner with nothing running.
func NewJobs(eng JobEngine) *Jobs {
	reg, _ := lifecycle.Open(lifecycle.Kind[jobStart, struct{}, job]{ // no DB: nothing to load, so no error
		Records:     lifecycle.Records[jobStart, struct{}]{Noun: "file job"},
		States:      lifecycle.States{Running: JobRunning, Stopped: JobStopped, Failed: JobFailed, Finished: JobDone},
		Start:       func(_ string, start jobStart, _ struct{}) (job, error) { return start() },
		Stop:        job.stop,
		ErrNotFound: errors.New("no such job"), ErrExists: ErrJobRunning, ErrClosed: errors.New("the file jobs are stopped"),
	})
	return &Jobs{eng: eng, reg: reg}
}

// start replaces the job of a kind (after the previous one ended) with a new one. running: a job of that kind
// still running is stopped first (a new watch replaces the old) rather than refused.
func (j *Jobs) start(kind string, replaceRunning bool, start jobStart) error {
	if it, err := j.reg.Get(kind); err == nil {
		if it.Run != nil && !replaceRunning {
			return fmt.Errorf("%s: %w", kind, ErrJobRunning)
		}
		if err := j.reg.Delete(kind); err != nil {
			return err
		}
	}
	if err := j.reg.Create(kind, start, false); err != nil {
		return err
	}
	return j.reg.Start(kind)
}

// Cancel stops a kind's job if it runs; what it did stays (records put, lines written).
func (j *Jobs) Cancel(kind string) {
	if it, err := j.reg.Get(kind); err == nil && it.Run != nil {
		_ = j.reg.Stop(kind)
	}
}

// StopAll stops every job and waits for them, as the app quits; the runner takes no new job after it.
func (j *Jobs) StopAll() { j.reg.Close() }

// JobStatus is what every job reports: its state, why it failed, and when it started.
type JobStatus struct {
	State   string
	Err     error // why it FAILED, as the job returned it (an *engine.Error keeps its code)
	Started time.Time
}

func (j *Jobs) status(kind string) (JobStatus, job, bool) {
	it, err := j.reg.Get(kind)
	if err != nil || it.Last == nil {
		return JobStatus{}, nil, false
	}
	st := JobStatus{State: it.State, Started: it.Created}
	if it.State == JobFailed {
		st.Err = it.Last.Err()
	}
	return st, it.Last, true
}

// runDone is the end every job shares: closed when its goroutine returns, with the error it returned.
type runDone struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before done closes
}

func newRunDone() (context.Context, *runDone) {
	ctx, cancel := context.WithCancel(context.Background())
	return ctx, &runDone{cancel: cancel, done: make(chan struct{})}
}

// finish records how the run ended; a cancellation is a stop, not an error.
func (r *runDone) finish(err error) {
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	r.err = err
	close(r.done)
}

func (r *runDone) Done() <-chan struct{} { return r.done }

func (r *runDone) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

func (r *runDone) stop() {
	r.cancel()
	<-r.done
}

// replayJob is a file replayed into a stream.
type replayJob struct {
	*runDone
	rp   *Replayer
	path string

	mu     sync.Mutex
	size   int64
	paused bool
	bad    []Malformed
}

// StartReplay replays a file into a stream (see Replayer); the file is opened and its format detected in the
// job's own goroutine, so a file that cannot be read is the job's FAILED state, not this call's error. Bad
// options are this call's error, and start nothing.
func (j *Jobs) StartReplay(path string, ro ReaderOptions, opts Options) error {
	rp, err := NewReplayer(j.eng, opts)
	if err != nil {
		return err
	}
	if path == "" {
		return errors.New("file: a file to replay is needed")
	}
	return j.start(JobReplay, false, func() (job, error) {
		ctx, rd := newRunDone()
		r := &replayJob{runDone: rd, rp: rp, path: path}
		go func() { rd.finish(r.run(ctx, ro)) }()
		return r, nil
	})
}

func (r *replayJob) run(ctx context.Context, ro ReaderOptions) error {
	f, err := os.Open(r.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		r.mu.Lock()
		r.size = st.Size()
		r.mu.Unlock()
	}
	in, err := NewReader(f, ro)
	if err != nil {
		return fmt.Errorf("%s: %w", r.path, err)
	}
	err = r.rp.Run(ctx, in)
	r.mu.Lock()
	r.bad = in.Malformed()
	r.mu.Unlock()
	return err
}

// PauseReplay pauses a running replay, or resumes a paused one; it reports whether the replay is now paused.
func (j *Jobs) PauseReplay() bool {
	it, err := j.reg.Get(JobReplay)
	if err != nil || it.Run == nil {
		return false
	}
	r := it.Run.(*replayJob)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paused = !r.paused
	if r.paused {
		r.rp.Pause()
	} else {
		r.rp.Resume()
	}
	return r.paused
}

// ReplayStatus is the latest replay's progress.
type ReplayStatus struct {
	JobStatus
	Path                          string
	Put, Retried, Malformed, Read int64 // Read: bytes of the file read so far
	Size                          int64 // the file's size; 0 until opened
	Paused                        bool
	Bad                           []Malformed // the malformed lines, once the replay ended
}

// Replay reports the latest replay, running or ended; false if none was started.
func (j *Jobs) Replay() (ReplayStatus, bool) {
	st, jb, ok := j.status(JobReplay)
	if !ok {
		return ReplayStatus{}, false
	}
	r := jb.(*replayJob)
	out := ReplayStatus{JobStatus: st, Path: r.path, Put: r.rp.P.Put.Load(), Retried: r.rp.P.Retried.Load(),
		Malformed: r.rp.P.Malformed.Load(), Read: r.rp.P.BytesRead.Load()}
	r.mu.Lock()
	out.Size, out.Paused, out.Bad = r.size, r.paused && st.State == JobRunning, r.bad
	r.mu.Unlock()
	return out, true
}

// captureJob is a stream captured into a file.
type captureJob struct {
	*runDone
	path string
	p    CaptureProgress
}

// StartCapture writes a stream's records into a new file at path (see Capture). A cancelled capture is STOPPED
// with every line it wrote complete.
func (j *Jobs) StartCapture(path string, opts CaptureOptions) error {
	if path == "" || opts.Stream == "" {
		return errors.New("a stream and a file to write are needed")
	}
	return j.start(JobCapture, false, func() (job, error) {
		ctx, rd := newRunDone()
		c := &captureJob{runDone: rd, path: path}
		go func() {
			rd.finish(func() error {
				f, err := os.Create(path)
				if err != nil {
					return err
				}
				err = Capture(ctx, j.eng, f, opts, &c.p)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				return err
			}())
		}()
		return c, nil
	})
}

// CaptureStatus is the latest capture's progress.
type CaptureStatus struct {
	JobStatus
	Path           string
	Records, Bytes int64
}

// Capture reports the latest capture, running or ended; false if none was started.
func (j *Jobs) Capture() (CaptureStatus, bool) {
	st, jb, ok := j.status(JobCapture)
	if !ok {
		return CaptureStatus{}, false
	}
	c := jb.(*captureJob)
	return CaptureStatus{JobStatus: st, Path: c.path, Records: c.p.Records.Load(), Bytes: c.p.Bytes.Load()}, true
}

// watchJob is a folder watched into a stream.
type watchJob struct {
	*runDone
	w *Watcher
}

// StartWatch watches a folder into a stream (see Watcher), replacing a watch already running. Bad options are
// this call's error and leave the running watch alone.
func (j *Jobs) StartWatch(opts WatchOptions) error {
	w, err := NewWatcher(j.eng, opts)
	if err != nil {
		return err
	}
	return j.start(JobWatch, true, func() (job, error) {
		ctx, rd := newRunDone()
		go func() { rd.finish(w.Run(ctx)) }()
		return &watchJob{runDone: rd, w: w}, nil
	})
}

// WatchStatus is the latest watch's files.
type WatchStatus struct {
	JobStatus
	Files []FileStatus
}

// Watch reports the latest watch, running or ended; false if none was started.
func (j *Jobs) Watch() (WatchStatus, bool) {
	st, jb, ok := j.status(JobWatch)
	if !ok {
		return WatchStatus{}, false
	}
	return WatchStatus{JobStatus: st, Files: jb.(*watchJob).w.Files()}, true
}
