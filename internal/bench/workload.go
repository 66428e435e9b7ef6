package bench

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

const (
	// KeyCount distinct partition keys spread the load over every shard's hash range; they are pre-formatted so
	// the producers spend their CPU on PutRecords, not on fmt.
	KeyCount = 100_000
	// ReadPageLimit is GetRecords' maximum, so a read-back costs as few calls as the API allows.
	ReadPageLimit = 10_000
)

// PartitionKeys are fixed-width, so every record has the same stored size and the raw bbolt loop can append
// exactly as many bytes per record.
func PartitionKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%06d", i)
	}
	return keys
}

// Payload is random-looking data, so nothing on the path can win by compressing it.
func Payload(size int) []byte {
	b := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// RunProducers runs n producers at once until duration has passed and returns what each reported, with the time
// they took together; both benchmarks' put phases use it.
func RunProducers[T any](n int, duration time.Duration, produce func(i int, deadline time.Time) T) ([]T, time.Duration) {
	out := make([]T, n)
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() { out[i] = produce(i, deadline) })
	}
	wg.Wait()
	return out, time.Since(start)
}
