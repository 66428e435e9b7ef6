package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/shardlab/shardlab/engine"
)

// WatchTarget is where a watcher puts lines and keeps its offsets: the engine, whose checkpointed puts commit a
// file's lines and the offset past them together, so the watcher is exactly once across crashes.
type WatchTarget interface {
	PutRecordsCheckpointed(ctx context.Context, in engine.PutRecordsInput, cp engine.Checkpoint) (*engine.PutRecordsOutput, error)
	PutCheckpoint(ctx context.Context, cp engine.Checkpoint) error
	GetCheckpoint(ctx context.Context, namespace, key string) ([]byte, error)
}

// WatchOptions say which files to tail into which stream.
type WatchOptions struct {
	Dir    string
	Glob   string // matched against file names in Dir, e.g. "*.log"
	Stream string
	Reader ReaderOptions
	// Key computes every partition key when set; otherwise the key field's value, else the line's byte offset.
	Key func(Item) (string, error)
	// Rescan is how often the directory is listed again, in case a file-system event was missed (default 1 s).
	Rescan time.Duration
}

// FileStatus is one watched file's state, for the GUI and the CLI.
type FileStatus struct {
	Path      string
	Offset    int64 // bytes put (and checkpointed) so far
	Size      int64
	Lines     int64 // lines put since the watcher started
	PerSecond float64
	Malformed int64
	// LastMalformed says where the last malformed line was and why; LastError is the last failure to put, cleared
	// once puts succeed again.
	LastMalformed string
	LastError     string
}

// fileMark is a file's checkpoint, kept under the file's device and inode rather than its name: a rotated file
// keeps its inode under its new name, so it is finished, not read again; a new file under the old name is new.
// Head fingerprints the file's first bytes, so a new file that happens to reuse a deleted file's inode is not
// mistaken for it.
type fileMark struct {
	Offset  int64  `json:"offset"`
	Head    uint64 `json:"head"`
	HeadLen int    `json:"headLen"`
}

// headBytes is how much of a file's start its fingerprint covers.
const headBytes = 256

// Watcher tails the files of a directory that match a glob, like the Kinesis Agent: appended lines, new files,
// rotation (rename and create) and truncation (copytruncate).
type Watcher struct {
	target WatchTarget
	opts   WatchOptions
	ns     string

	mu    sync.Mutex
	files map[string]*tailed // by key (device and inode): one entry per file, whatever its name
}

type tailed struct {
	path      string
	f         *os.File
	dev, ino  uint64
	pathKey   string // the key's path where there are no inodes
	mark      fileMark
	parser    *lineParser
	lines     int64
	malformed int64
	lastBad   string
	lastErr   string
	size      int64
	rate      rateWindow
}

// NewWatcher checks the options. Checkpoints live under the namespace "watch:" + stream.
func NewWatcher(t WatchTarget, opts WatchOptions) (*Watcher, error) {
	if opts.Stream == "" {
		return nil, errors.New("stream: a stream is needed")
	}
	if opts.Glob == "" {
		opts.Glob = "*"
	}
	if _, err := filepath.Match(opts.Glob, "x"); err != nil {
		return nil, fmt.Errorf("glob %q: %w", opts.Glob, err)
	}
	if err := validFormat(opts.Reader.Format); err != nil {
		return nil, err
	}
	if st, err := os.Stat(opts.Dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("directory %s: not a directory one can watch (%v)", opts.Dir, err)
	}
	if opts.Rescan <= 0 {
		opts.Rescan = time.Second
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.Dir = dir
	return &Watcher{target: t, opts: opts, ns: "watch:" + opts.Stream, files: map[string]*tailed{}}, nil
}

// Files reports every watched file, by path.
func (w *Watcher) Files() []FileStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]FileStatus, 0, len(w.files))
	for _, t := range w.files {
		out = append(out, FileStatus{Path: t.path, Offset: t.mark.Offset, Size: t.size, Lines: t.lines,
			PerSecond: t.rate.perSecond(time.Now()), Malformed: t.malformed, LastMalformed: t.lastBad, LastError: t.lastErr})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Run watches until ctx ends. Files already there are read from their checkpoint (or their start).
func (w *Watcher) Run(ctx context.Context) error {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", w.opts.Dir, err)
	}
	defer fsw.Close()
	if err := fsw.Add(w.opts.Dir); err != nil {
		return fmt.Errorf("watch %s: %w", w.opts.Dir, err)
	}
	defer w.closeAll()
	rescan := time.NewTicker(w.opts.Rescan)
	defer rescan.Stop()
	if err := w.scan(ctx); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fsw.Events:
			if !ok {
				return nil
			}
			if ok, _ := filepath.Match(w.opts.Glob, filepath.Base(ev.Name)); !ok {
				continue
			}
			if err := w.pumpPath(ctx, ev.Name); err != nil {
				return err
			}
		case err, ok := <-fsw.Errors:
			if ok && err != nil {
				w.noteAll(err.Error()) // an overflow, say: the rescan catches what was missed
			}
		case <-rescan.C:
			if err := w.scan(ctx); err != nil {
				return err
			}
		}
	}
}

// scan pumps every matching file, so a missed event costs at most one rescan period.
func (w *Watcher) scan(ctx context.Context) error {
	matches, err := filepath.Glob(filepath.Join(w.opts.Dir, w.opts.Glob))
	if err != nil {
		return err
	}
	for _, path := range matches {
		if err := w.pumpPath(ctx, path); err != nil {
			return err
		}
	}
	return nil
}

// pumpPath brings one path's file up to date: opens it when new, follows a rotation, then puts what was appended.
func (w *Watcher) pumpPath(ctx context.Context, path string) error {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		// Removed or renamed away: finish the file last seen under this name, then let it go. If it lives on under
		// a name the glob matches, it is opened again there, from its checkpoint.
		if t := w.byPath(path); t != nil {
			return w.retire(ctx, t)
		}
		return nil
	}
	dev, ino := fileID(st)
	key := fileKey(path, dev, ino)
	if old := w.byPath(path); old != nil && old.key() != key {
		// Rotated: the name now holds another file; the old one may hold lines written before the rename.
		if err := w.retire(ctx, old); err != nil {
			return err
		}
	}
	w.mu.Lock()
	t := w.files[key]
	if t != nil {
		t.path = path // a rename keeps the file, and its offset, under its new name
	}
	w.mu.Unlock()
	if t == nil {
		if t, err = w.open(ctx, path, dev, ino); err != nil {
			w.note(path, err.Error())
			return nil
		}
	}
	return w.pump(ctx, t)
}

// byPath is the file being tailed under path, if any.
func (w *Watcher) byPath(path string) *tailed {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.files {
		if t.path == path {
			return t
		}
	}
	return nil
}

// retire finishes a file that is gone from its name: what was written before is put, and it is closed.
func (w *Watcher) retire(ctx context.Context, t *tailed) error {
	if err := w.pump(ctx, t); err != nil {
		return err
	}
	t.f.Close()
	w.mu.Lock()
	delete(w.files, t.key())
	w.mu.Unlock()
	return nil
}

// open starts tailing path from its file's checkpoint (by device and inode), or from its start.
func (w *Watcher) open(ctx context.Context, path string, dev, ino uint64) (*tailed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t := &tailed{path: path, f: f, dev: dev, ino: ino}
	if ino == 0 {
		t.pathKey = path // no inode on this platform: the name is the file
	}
	b, err := w.target.GetCheckpoint(ctx, w.ns, t.key())
	if err != nil {
		f.Close()
		return nil, err
	}
	if b != nil {
		if err := json.Unmarshal(b, &t.mark); err != nil {
			f.Close()
			return nil, fmt.Errorf("checkpoint of %s: %w", path, err)
		}
		if head, n := fingerprint(f, t.mark.HeadLen); n == t.mark.HeadLen && head != t.mark.Head {
			t.mark = fileMark{} // another file reusing the inode
		}
	}
	w.mu.Lock()
	w.files[t.key()] = t
	w.mu.Unlock()
	return t, nil
}

// key names a file's checkpoint and its entry among the tailed files: its device and inode.
func (t *tailed) key() string { return fileKey(t.pathKey, t.dev, t.ino) }

func fileKey(path string, dev, ino uint64) string {
	if ino == 0 {
		return "path:" + path
	}
	return strconv.FormatUint(dev, 10) + ":" + strconv.FormatUint(ino, 10)
}

// fingerprint hashes up to n of the file's first bytes (n ≤ headBytes), returning how many it read.
func fingerprint(f *os.File, n int) (uint64, int) {
	buf := make([]byte, min(n, headBytes))
	got, _ := f.ReadAt(buf, 0)
	h := fnv.New64a()
	h.Write(buf[:got])
	return h.Sum64(), got
}

// watchBatch bounds one put: PutRecords' 500 records, well under its size limit.
const (
	watchBatchLines = 500
	watchBatchBytes = 4 << 20
	watchReadChunk  = 256 << 10
)

// pump puts t's complete lines past its offset, a batch at a time, each batch with the offset after it.
func (w *Watcher) pump(ctx context.Context, t *tailed) error {
	st, err := t.f.Stat()
	if err != nil {
		return nil
	}
	w.mu.Lock() // Files() reads size and mark from another goroutine
	t.size = st.Size()
	w.mu.Unlock()
	// Truncated in place (copytruncate): the file is shorter than what was read, or it has grown past that again
	// with other first bytes. Either way, start over.
	if head, n := fingerprint(t.f, t.mark.HeadLen); t.size < t.mark.Offset || (t.mark.HeadLen > 0 && (n < t.mark.HeadLen || head != t.mark.Head)) {
		w.mu.Lock()
		t.mark = fileMark{}
		w.mu.Unlock()
		t.parser = nil
	}
	if t.parser == nil && t.size > 0 {
		first, end, err := readFirstLine(t.f)
		if err != nil {
			return nil // no complete non-empty first line yet
		}
		if t.parser, err = newLineParser(w.opts.Reader, first); err != nil {
			w.note(t.path, err.Error())
			return nil
		}
		if t.parser.format == FormatCSV && t.mark.Offset < end {
			w.mu.Lock()
			t.mark.Offset = end // the header line is not a record
			w.mu.Unlock()
		}
	}
	buf := make([]byte, watchReadChunk)
	for t.mark.Offset < t.size {
		n, err := t.f.ReadAt(buf, t.mark.Offset)
		if n == 0 {
			if err != nil && err != io.EOF {
				w.note(t.path, err.Error())
			}
			return nil
		}
		chunk := buf[:n]
		end := bytes.LastIndexByte(chunk, '\n')
		if end < 0 {
			switch {
			case n < len(buf):
				return nil // a partial line: wait for its end
			case len(buf) <= MaxLine:
				buf = make([]byte, min(2*len(buf), MaxLine+1)) // a long line: read more of it at once
				continue
			}
			// A line longer than any record can be: count it, and move past it once its end is written.
			next, ok := nextNewline(t.f, t.mark.Offset+int64(n))
			if !ok {
				return nil
			}
			if err := w.skipLine(ctx, t, fmt.Sprintf("byte %d: a line of over %d bytes, longer than a record can be",
				t.mark.Offset, MaxLine), next+1); err != nil {
				return err
			}
			continue
		}
		if err := w.putLines(ctx, t, chunk[:end+1]); err != nil {
			return err
		}
	}
	return nil
}

// nextNewline finds the first newline at or after from, reading ahead in chunks.
func nextNewline(f *os.File, from int64) (int64, bool) {
	buf := make([]byte, watchReadChunk)
	for {
		n, _ := f.ReadAt(buf, from)
		if n == 0 {
			return 0, false
		}
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return from + int64(i), true
		}
		from += int64(n)
	}
}

// skipLine records a malformed line and moves the file's checkpoint past it.
func (w *Watcher) skipLine(ctx context.Context, t *tailed, why string, next int64) error {
	w.mu.Lock()
	t.malformed++
	t.lastBad = why
	w.mu.Unlock()
	mark := t.mark
	mark.Offset = next
	value, _ := json.Marshal(mark)
	if err := w.putBatch(ctx, t, nil, engine.Checkpoint{Namespace: w.ns, Key: t.key(), Value: value}); err != nil {
		return err
	}
	w.mu.Lock()
	t.mark = mark
	w.mu.Unlock()
	return nil
}

// putLines puts complete lines starting at t's offset, in batches, advancing the offset with each.
func (w *Watcher) putLines(ctx context.Context, t *tailed, lines []byte) error {
	var entries []engine.PutRecordsEntry
	var bytesIn int
	offset := t.mark.Offset
	flush := func(next int64) error {
		mark := t.mark
		mark.Offset = next
		if mark.HeadLen < headBytes {
			mark.Head, mark.HeadLen = fingerprint(t.f, headBytes)
		}
		value, _ := json.Marshal(mark)
		cp := engine.Checkpoint{Namespace: w.ns, Key: t.key(), Value: value}
		if err := w.putBatch(ctx, t, entries, cp); err != nil {
			return err
		}
		w.mu.Lock()
		t.mark = mark
		t.lines += int64(len(entries))
		t.rate.add(time.Now(), len(entries))
		w.mu.Unlock()
		entries, bytesIn = entries[:0], 0
		return nil
	}
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n')
		line := bytes.TrimRight(lines[:i], "\r")
		lineStart := offset
		offset += int64(i + 1)
		lines = lines[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		it, err := t.parser.parse(line)
		if err != nil {
			w.mu.Lock()
			t.malformed++
			t.lastBad = fmt.Sprintf("byte %d: %v", lineStart, err)
			w.mu.Unlock()
			continue
		}
		it.Line = int(lineStart)
		key := it.Key
		switch {
		case w.opts.Key != nil:
			if key, err = w.opts.Key(it); err != nil {
				w.mu.Lock() // a line that gets no key is not put: count it, as a malformed one
				t.malformed++
				t.lastBad = fmt.Sprintf("byte %d: partition key: %v", lineStart, err)
				w.mu.Unlock()
				continue
			}
		case key == "":
			key = strconv.FormatInt(lineStart, 10)
		}
		entries = append(entries, engine.PutRecordsEntry{Data: it.Data, PartitionKey: key})
		bytesIn += len(it.Data) + len(key)
		if len(entries) == watchBatchLines || bytesIn >= watchBatchBytes {
			if err := flush(offset); err != nil {
				return err
			}
		}
	}
	return flush(offset)
}

// putBatch stores a batch and its checkpoint, all or nothing, retrying refusals with back-off until done or ctx
// ends. A batch of only malformed lines still moves the checkpoint.
func (w *Watcher) putBatch(ctx context.Context, t *tailed, entries []engine.PutRecordsEntry, cp engine.Checkpoint) error {
	backoff := 50 * time.Millisecond
	for {
		var err error
		if len(entries) == 0 {
			err = w.target.PutCheckpoint(ctx, cp)
		} else {
			var out *engine.PutRecordsOutput
			out, err = w.target.PutRecordsCheckpointed(ctx, engine.PutRecordsInput{StreamRef: engine.StreamRef{StreamName: w.opts.Stream}, Records: entries}, cp)
			if err == nil && out.FailedRecordCount > 0 {
				err = fmt.Errorf("%d of %d records refused (%s)", out.FailedRecordCount, len(entries), out.Records[0].ErrorCode)
			}
		}
		if err == nil {
			w.note(t.path, "")
			return nil
		}
		if errors.Is(err, engine.ErrClosed) {
			return err
		}
		w.note(t.path, err.Error()) // e.g. the stream does not exist yet: keep trying, nothing is lost
		if err := sleep(ctx, backoff); err != nil {
			return err
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (w *Watcher) note(path, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.files {
		if t.path == path {
			t.lastErr = msg
		}
	}
}

func (w *Watcher) noteAll(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.files {
		t.lastErr = msg
	}
}

func (w *Watcher) closeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.files {
		t.f.Close()
	}
}

// readFirstLine returns a file's first non-empty line (which tells its format, and is a CSV file's header) and the
// offset just past it.
func readFirstLine(f *os.File) ([]byte, int64, error) {
	buf := make([]byte, 64<<10)
	n, _ := f.ReadAt(buf, 0)
	start := 0
	for {
		i := bytes.IndexByte(buf[start:n], '\n')
		if i < 0 {
			return nil, 0, errors.New("no complete non-empty line")
		}
		line := bytes.TrimRight(buf[start:start+i], "\r")
		if len(bytes.TrimSpace(line)) > 0 {
			return line, int64(start + i + 1), nil
		}
		start += i + 1
	}
}

// rateWindow counts lines per second over the last few seconds.
type rateWindow struct {
	sec   [4]int64
	count [4]int64
}

func (r *rateWindow) add(now time.Time, n int) {
	s := now.Unix()
	i := s % 4
	if r.sec[i] != s {
		r.sec[i], r.count[i] = s, 0
	}
	r.count[i] += int64(n)
}

func (r *rateWindow) perSecond(now time.Time) float64 {
	s := now.Unix()
	var total int64
	for i := range r.sec {
		if r.sec[i] >= s-3 && r.sec[i] < s {
			total += r.count[i]
		}
	}
	return float64(total) / 3
}
