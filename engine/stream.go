package engine

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardlab/shardlab/engine/storage"
	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/internal/seqnum"
)

// streamMeta is a stream's persisted state.
type streamMeta struct {
	Name               string
	Account            string
	Region             string
	Status             string
	Mode               string
	RetentionHours     int
	Created            time.Time
	CreatedCounter     uint64 // the counter at creation; sequence numbers below it are not this stream's
	NextShardIndex     int
	LimitsEnforced     bool
	MaxRecordSizeKiB   int
	EncryptionType     string
	KeyID              string
	EnhancedMonitoring []string
	Policy             string
	WarmThroughputMiB  int
	PendingReshard     *reshardOp     `json:",omitempty"` // while UPDATING: the reshard to finish
	Consumers          []consumerMeta `json:",omitempty"` // enhanced fan-out consumers, in registration order
}

// shardMeta is a shard's persisted state. Parent indexes are -1 when absent; EndCounter is 0 while open.
type shardMeta struct {
	Index          int
	Parent         int
	AdjacentParent int
	Start, End     hashkey.Key
	StartCounter   uint64
	EndCounter     uint64
	Created        time.Time
	Closed         time.Time
}

// stream is a stream's in-memory state. mu guards meta, shards, open and tags; only the committer goroutine
// changes them.
type stream struct {
	// Identity, fixed at creation and read without the lock.
	id             uint64
	name           string
	account        string
	region         string
	createdCounter uint64

	mu     sync.RWMutex
	meta   streamMeta
	shards []*shard // by index, ascending; trimmed shards are gone
	open   []*shard // open shards by hash range, ascending
	tags   map[string]string

	counter   uint64        // last counter issued; committer only
	published atomic.Uint64 // highest counter committed and visible: no genuine sequence number is above it
	deleted   atomic.Bool
	faults    faults
	feed      signal // fires on every commit that touches the stream
}

// shard is one shard's in-memory state. meta changes only when the shard closes, under the stream's lock.
type shard struct {
	index   int
	id      string
	meta    shardMeta
	last    atomic.Uint64 // highest counter stored, 0 when none
	feed    signal
	limiter shardLimiter
	metrics shardMetrics
}

func shardID(index int) string { return fmt.Sprintf("shardId-%012d", index) }

// parseShardID reads a shard id in any form Kinesis accepts: "shardId-000000000001", "shardId-1" or "1".
func parseShardID(id string) (int, bool) {
	digits := strings.TrimPrefix(id, "shardId-")
	if digits == "" || len(digits) > 12 {
		return 0, false
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 1<<31-1 {
		return 0, false
	}
	return n, true
}

// canonicalShardID writes a shard id the way Kinesis answers with it ("shardId-000000000001"), whatever form it
// came in; an id in no accepted form is returned as given, and names no shard.
func canonicalShardID(id string) string {
	if n, ok := parseShardID(id); ok {
		return shardID(n)
	}
	return id
}

func (s *stream) key() scopedName { return scopedName{s.account, s.region, s.name} }

func (s *stream) arn() string { return streamARN(s.region, s.account, s.name) }

// StreamARN is the ARN of the stream called name in a scope, whether or not it exists (now).
func StreamARN(sc Scope, name string) string { return streamARN(sc.Region, sc.Account, name) }

func streamARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", region, account, name)
}

func parseStreamARN(arn string) (scopedName, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "kinesis" ||
		parts[3] == "" || parts[4] == "" || !strings.HasPrefix(parts[5], "stream/") {
		return scopedName{}, newError(ErrInvalidArgument,
			"StreamARN %s is not a Kinesis stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>).", arn)
	}
	return scopedName{account: parts[4], region: parts[3], name: strings.TrimPrefix(parts[5], "stream/")}, nil
}

// shard returns the shard with the given id, or nil. Caller holds s.mu.
func (s *stream) shard(id string) *shard {
	idx, ok := parseShardID(id)
	if !ok {
		return nil
	}
	return s.shardByIndex(idx)
}

func (s *stream) shardByIndex(idx int) *shard {
	i := sort.Search(len(s.shards), func(i int) bool { return s.shards[i].index >= idx })
	if i < len(s.shards) && s.shards[i].index == idx {
		return s.shards[i]
	}
	return nil
}

// route returns the open shard whose range holds h. Caller holds s.mu.
func (s *stream) route(h hashkey.Key) *shard {
	i := sort.Search(len(s.open), func(i int) bool { return !s.open[i].meta.End.Less(h) })
	if i < len(s.open) {
		return s.open[i]
	}
	return nil
}

func (s *stream) rebuildOpen() {
	s.open = s.open[:0]
	for _, sh := range s.shards {
		if sh.meta.EndCounter == 0 {
			s.open = append(s.open, sh)
		}
	}
	sort.Slice(s.open, func(i, j int) bool { return s.open[i].meta.Start.Less(s.open[j].meta.Start) })
}

// wakeAll fires every change feed of the stream and its shards.
func (s *stream) wakeAll() {
	s.mu.RLock()
	for _, sh := range s.shards {
		sh.feed.fire()
	}
	s.mu.RUnlock()
	s.feed.fire()
}

func (sh *shard) isOpen() bool { return sh.meta.EndCounter == 0 }

// describe renders a shard for the API. Caller holds the stream's lock.
func (sh *shard) describe() Shard {
	out := Shard{
		ShardId:      sh.id,
		HashKeyRange: HashKeyRange{sh.meta.Start.String(), sh.meta.End.String()},
		SequenceNumberRange: SequenceNumberRange{
			StartingSequenceNumber: seqnum.Format(sh.meta.StartCounter, sh.index),
		},
	}
	if sh.meta.Parent >= 0 {
		out.ParentShardId = shardID(sh.meta.Parent)
	}
	if sh.meta.AdjacentParent >= 0 {
		out.AdjacentParentShardId = shardID(sh.meta.AdjacentParent)
	}
	if !sh.isOpen() {
		out.SequenceNumberRange.EndingSequenceNumber = seqnum.Format(sh.meta.EndCounter, sh.index)
	}
	return out
}

func newShard(m shardMeta, limits ThroughputLimits, now time.Time) *shard {
	sh := &shard{index: m.Index, id: shardID(m.Index), meta: m}
	sh.limiter.reset(limits, now)
	return sh
}

func (e *Engine) load() error {
	return e.db.Update(func(tx *storage.Tx) error {
		secret, err := tx.Secret(newSecret)
		if err != nil {
			return fmt.Errorf("read database secret: %w", err)
		}
		e.secret = secret
		now := e.now()
		return tx.ForEachStream(func(id uint64, blob []byte) error {
			s := &stream{id: id}
			if err := json.Unmarshal(blob, &s.meta); err != nil {
				return fmt.Errorf("database %s: stream %d metadata: %w", e.db.Path(), id, err)
			}
			s.name, s.account, s.region, s.createdCounter = s.meta.Name, s.meta.Account, s.meta.Region, s.meta.CreatedCounter
			err := tx.ForEachShard(id, func(index int, blob []byte) error {
				var m shardMeta
				if err := json.Unmarshal(blob, &m); err != nil {
					return fmt.Errorf("database %s: stream %s shard %d metadata: %w", e.db.Path(), s.name, index, err)
				}
				sh := newShard(m, e.opts.Limits, now)
				s.counter = max(s.counter, m.StartCounter, m.EndCounter)
				if last, ok := tx.LastCounter(id, index); ok {
					sh.last.Store(last)
					s.counter = max(s.counter, last)
				}
				s.shards = append(s.shards, sh)
				return nil
			})
			if err != nil {
				return err
			}
			s.rebuildOpen()
			s.published.Store(s.counter)
			s.tags = tx.Tags(id)
			e.streams[s.key()] = s
			e.byID[id] = s
			return nil
		})
	})
}

// persist writes the stream's metadata.
func (s *stream) persist(tx *storage.Tx, m streamMeta) error {
	blob, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.PutStream(s.id, blob)
}

func persistShard(tx *storage.Tx, streamID uint64, m shardMeta) error {
	blob, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.PutShard(streamID, m.Index, blob)
}
