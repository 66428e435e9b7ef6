package enginebench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// memStatus is the process's memory as /proc/self/status reports it, in bytes.
type memStatus struct {
	hwm, rss, anon, file int64
}

// max is the figure-by-figure maximum of m and o.
func (m memStatus) max(o memStatus) memStatus {
	return memStatus{hwm: max(m.hwm, o.hwm), rss: max(m.rss, o.rss), anon: max(m.anon, o.anon), file: max(m.file, o.file)}
}

// readMemStatus reads /proc/self/status; ok is false where there is no such file (not Linux).
func readMemStatus() (m memStatus, ok bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m, false
	}
	fields := map[string]*int64{"VmHWM:": &m.hwm, "VmRSS:": &m.rss, "RssAnon:": &m.anon, "RssFile:": &m.file}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 {
			continue
		}
		if dst := fields[string(f[0])]; dst != nil {
			kib, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err == nil {
				*dst = kib << 10
			}
		}
	}
	return m, m.rss > 0
}

// rssPeaks are the largest figures seen while sampling. The kernel's VmHWM covers the whole process life, while
// the sampled maxima say which phase needed the memory and whether it was heap (anon) or mapped file pages.
type rssPeaks struct {
	ok           bool
	hwm          int64
	rss, anon    int64
	file         int64
	rssPhase     string
	byPhase      map[string]memStatus // each figure's max per phase
	phaseOrdered []string
}

// rssSampler polls /proc/self/status in the background, because VmHWM alone cannot tell anon from file pages.
type rssSampler struct {
	mu    sync.Mutex
	phase string
	peaks rssPeaks
	stop  chan struct{}
	done  chan struct{}
}

func startRSSSampler(interval time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{}),
		peaks: rssPeaks{byPhase: map[string]memStatus{}}}
	s.sample()
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.sample()
			case <-s.stop:
				return
			}
		}
	}()
	return s
}

// setPhase attributes later samples to name; it samples first so the end of the previous phase is not lost.
func (s *rssSampler) setPhase(name string) {
	s.sample()
	s.mu.Lock()
	s.phase = name
	if _, seen := s.peaks.byPhase[name]; !seen {
		s.peaks.byPhase[name] = memStatus{}
		s.peaks.phaseOrdered = append(s.peaks.phaseOrdered, name)
	}
	s.mu.Unlock()
}

func (s *rssSampler) sample() {
	m, ok := readMemStatus()
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.peaks
	p.ok = true
	p.hwm = max(p.hwm, m.hwm)
	if m.rss > p.rss {
		p.rss, p.rssPhase = m.rss, s.phase
	}
	p.anon = max(p.anon, m.anon)
	p.file = max(p.file, m.file)
	if s.phase != "" {
		p.byPhase[s.phase] = m.max(p.byPhase[s.phase])
	}
}

// finish stops sampling and returns the peaks, including one last sample.
func (s *rssSampler) finish() rssPeaks {
	close(s.stop)
	<-s.done
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peaks
}
