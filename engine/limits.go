package engine

import (
	"sync"
	"time"

	"github.com/shardlab/shardlab/internal/tokenbucket"
)

// ThroughputLimits are per-shard rates. Each bucket holds one second's worth, as Kinesis meters.
type ThroughputLimits struct {
	WriteBytesPerSec   float64
	WriteRecordsPerSec float64
	ReadBytesPerSec    float64
	ReadCallsPerSec    float64
}

// DefaultLimits are Kinesis's per-shard limits.
var DefaultLimits = ThroughputLimits{
	WriteBytesPerSec:   1 << 20,
	WriteRecordsPerSec: 1000,
	ReadBytesPerSec:    2 << 20,
	ReadCallsPerSec:    5,
}

// shardLimiter meters one shard. Reads are charged after the fact, as Kinesis does: a call is refused while the
// bytes bucket is in debt from earlier large reads.
type shardLimiter struct {
	mu                    sync.Mutex
	writeBytes, writeRecs tokenbucket.Bucket
	readBytes, readCalls  tokenbucket.Bucket
}

func (l *shardLimiter) reset(lim ThroughputLimits, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeBytes.Reset(lim.WriteBytesPerSec, lim.WriteBytesPerSec, now)
	l.writeRecs.Reset(lim.WriteRecordsPerSec, lim.WriteRecordsPerSec, now)
	l.readBytes.Reset(lim.ReadBytesPerSec, lim.ReadBytesPerSec, now)
	l.readCalls.Reset(lim.ReadCallsPerSec, lim.ReadCallsPerSec, now)
}

// admitWrite takes one record of size bytes, all or nothing.
func (l *shardLimiter) admitWrite(size int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.writeRecs.Tokens(now) < 1 || l.writeBytes.Tokens(now) < float64(size) {
		return false
	}
	l.writeRecs.Take(1, now)
	l.writeBytes.Take(float64(size), now)
	return true
}

func (l *shardLimiter) admitRead(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.readBytes.Positive(now) || l.readCalls.Tokens(now) < 1 {
		return false
	}
	l.readCalls.Take(1, now)
	return true
}

func (l *shardLimiter) chargeRead(bytes int, now time.Time) {
	l.mu.Lock()
	l.readBytes.Charge(float64(bytes), now)
	l.mu.Unlock()
}

// ThroughputLimits returns the per-shard limits in force.
func (e *Engine) ThroughputLimits() ThroughputLimits {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.opts.Limits
}

// SetThroughputLimits changes the per-shard limits of every stream; buckets start full at the new rates.
func (e *Engine) SetThroughputLimits(l ThroughputLimits) {
	now := e.now()
	e.mu.Lock()
	e.opts.Limits = l
	streams := make([]*stream, 0, len(e.byID))
	for _, s := range e.byID {
		streams = append(streams, s)
	}
	e.mu.Unlock()
	for _, s := range streams {
		s.mu.RLock()
		for _, sh := range s.shards {
			sh.limiter.reset(l, now)
		}
		s.mu.RUnlock()
	}
}
