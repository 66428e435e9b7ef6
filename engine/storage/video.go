package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// bucketVideo holds the video streams, one nested bucket each: the stream's description under keyVideoMeta, and
// two nested buckets keyed by the 8-byte big-endian fragment number: the fragments' descriptions (small, so a
// listing reads no media) and their media.
var (
	bucketVideo      = []byte("video")
	keyVideoMeta     = []byte("meta")
	bucketVideoFrags = []byte("fragments")
	bucketVideoData  = []byte("media")
)

// PutVideoStream stores a video stream's description, creating its buckets on first use.
func (t *Tx) PutVideoStream(name string, meta []byte) error {
	b, err := t.btx.Bucket(bucketVideo).CreateBucketIfNotExists([]byte(name))
	if err != nil {
		return err
	}
	for _, sub := range [][]byte{bucketVideoFrags, bucketVideoData} {
		if _, err := b.CreateBucketIfNotExists(sub); err != nil {
			return err
		}
	}
	return b.Put(keyVideoMeta, meta)
}

// DeleteVideoStream removes a video stream with all its fragments.
func (t *Tx) DeleteVideoStream(name string) error {
	if t.btx.Bucket(bucketVideo).Bucket([]byte(name)) == nil {
		return nil
	}
	return t.btx.Bucket(bucketVideo).DeleteBucket([]byte(name))
}

// PutFragment stores a fragment's description and media under its number.
func (t *Tx) PutFragment(stream string, number uint64, meta, media []byte) error {
	b := t.btx.Bucket(bucketVideo).Bucket([]byte(stream))
	if b == nil {
		return ErrNoSuchVideoStream
	}
	if err := b.Bucket(bucketVideoFrags).Put(u64(number), meta); err != nil {
		return err
	}
	return b.Bucket(bucketVideoData).Put(u64(number), media)
}

// TrimFragments deletes up to max of a stream's oldest fragments for which drop is true, stopping at the first
// it keeps (fragments are in time order), and reports how many went.
func (t *Tx) TrimFragments(stream string, max int, drop func(meta []byte) bool) (int, error) {
	b := t.btx.Bucket(bucketVideo).Bucket([]byte(stream))
	if b == nil {
		return 0, nil
	}
	frags, media := b.Bucket(bucketVideoFrags), b.Bucket(bucketVideoData)
	var keys [][]byte
	c := frags.Cursor()
	for k, v := c.First(); k != nil && len(keys) < max && drop(v); k, v = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := frags.Delete(k); err != nil {
			return 0, err
		}
		if err := media.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// ErrNoSuchVideoStream is returned for a fragment of a stream that is not stored.
var ErrNoSuchVideoStream = errors.New("no such video stream")

// ForEachVideoStream calls fn with each video stream's name and description.
func (r *ReadTx) ForEachVideoStream(fn func(name string, meta []byte) error) error {
	return r.btx.Bucket(bucketVideo).ForEachBucket(func(k []byte) error {
		return fn(string(k), r.btx.Bucket(bucketVideo).Bucket(k).Get(keyVideoMeta))
	})
}

// ScanFragments calls fn with each fragment of a stream from number on, in order, until fn returns false. meta
// is valid only inside fn.
func (r *ReadTx) ScanFragments(stream string, from uint64, fn func(number uint64, meta []byte) bool) {
	b := r.btx.Bucket(bucketVideo).Bucket([]byte(stream))
	if b == nil {
		return
	}
	c := b.Bucket(bucketVideoFrags).Cursor()
	for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
		if !fn(binary.BigEndian.Uint64(k), v) {
			return
		}
	}
}

// FragmentMedia returns a copy of a fragment's media, or nil.
func (r *ReadTx) FragmentMedia(stream string, number uint64) []byte {
	b := r.btx.Bucket(bucketVideo).Bucket([]byte(stream))
	if b == nil {
		return nil
	}
	return bytes.Clone(b.Bucket(bucketVideoData).Get(u64(number)))
}
