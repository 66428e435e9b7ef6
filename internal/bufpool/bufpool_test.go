package bufpool

import "testing"

func TestGetGivesEnoughRoomAndPutRecycles(t *testing.T) {
	for _, n := range []int{0, 1, 4096, 4097, 1 << 20, 3<<20 + 5, 64 << 20} {
		b := Get(n)
		if len(b) != 0 || cap(b) < n {
			t.Fatalf("Get(%d): len %d cap %d", n, len(b), cap(b))
		}
		Put(append(b, 1))
	}
	Put(make([]byte, 0, 5000)) // a foreign size is ignored, not filed under the wrong class
	if b := Get(4097); cap(b) < 4097 {
		t.Fatalf("after a foreign Put, Get(4097) has cap %d", cap(b))
	}
}
