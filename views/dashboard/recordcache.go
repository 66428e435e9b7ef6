package dashboard

import "sync"

// recordCacheBytes bounds the full records the browser keeps for its detail pane: the newest rows' data, so a
// click on any of them shows the record without a read that would count against the shard's 5 calls/s (and be
// refused while the tail is busy). Older rows are read back on demand.
const recordCacheBytes = 32 << 20

// recordCache holds the data of the newest records read, oldest dropped first once over its byte budget.
type recordCache struct {
	mu    sync.Mutex
	data  map[string][]byte // shard + "/" + sequence number → data
	order []string          // keys, oldest first
	bytes int
	limit int
}

func newRecordCache(limit int) *recordCache {
	return &recordCache{data: map[string][]byte{}, limit: limit}
}

func recordKey(shard, seq string) string { return shard + "/" + seq }

// put keeps a copy of data: the engine's records share buffers between reads.
func (c *recordCache) put(key string, data []byte) {
	if len(data) > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.data[key]; ok {
		return
	}
	c.data[key] = append([]byte(nil), data...)
	c.order = append(c.order, key)
	c.bytes += len(data)
	drop := 0
	for c.bytes > c.limit && drop < len(c.order) {
		old := c.order[drop]
		c.bytes -= len(c.data[old])
		delete(c.data, old)
		drop++
	}
	if drop > 0 {
		c.order = append(c.order[:0:0], c.order[drop:]...)
	}
}

func (c *recordCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.data[key]
	return d, ok
}

func (c *recordCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data, c.order, c.bytes = map[string][]byte{}, nil, 0
}
