package engine

import "github.com/shardlab/shardlab/engine/storage"

// Video streams live in the engine's file beside the data streams; engine/video keeps them through these calls,
// and writes go through the engine's one committer like every other change.

// VideoStreams returns every video stream's description, by name.
func (e *Engine) VideoStreams() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := e.db.View(func(tx *storage.ReadTx) error {
		return tx.ForEachVideoStream(func(name string, meta []byte) error {
			out[name] = append([]byte(nil), meta...)
			return nil
		})
	})
	return out, err
}

// PutVideoStream stores a video stream's description; it returns once it is on disk.
func (e *Engine) PutVideoStream(name string, meta []byte) error {
	return e.update(func(tx *storage.Tx) (func(), error) { return nil, tx.PutVideoStream(name, meta) })
}

// DeleteVideoStream removes a video stream with its fragments.
func (e *Engine) DeleteVideoStream(name string) error {
	return e.update(func(tx *storage.Tx) (func(), error) { return nil, tx.DeleteVideoStream(name) })
}

// PutVideoFragment stores a fragment (when fragMeta is not nil) and the stream's new description in one commit.
func (e *Engine) PutVideoFragment(stream string, number uint64, fragMeta, media, streamMeta []byte) error {
	return e.update(func(tx *storage.Tx) (func(), error) {
		if fragMeta != nil {
			if err := tx.PutFragment(stream, number, fragMeta, media); err != nil {
				return nil, err
			}
		}
		return nil, tx.PutVideoStream(stream, streamMeta)
	})
}

// VideoFragments calls fn with each fragment description of a stream in order until fn returns false; meta is
// valid only inside fn.
func (e *Engine) VideoFragments(stream string, from uint64, fn func(number uint64, meta []byte) bool) error {
	return e.db.View(func(tx *storage.ReadTx) error {
		tx.ScanFragments(stream, from, fn)
		return nil
	})
}

// VideoFragmentMedia returns a fragment's media, or nil when it is not stored.
func (e *Engine) VideoFragmentMedia(stream string, number uint64) ([]byte, error) {
	var media []byte
	err := e.db.View(func(tx *storage.ReadTx) error {
		media = tx.FragmentMedia(stream, number)
		return nil
	})
	return media, err
}

// TrimVideoFragments deletes up to max of a stream's oldest fragments that drop accepts, stopping at the first it
// keeps, and reports how many went.
func (e *Engine) TrimVideoFragments(stream string, max int, drop func(meta []byte) bool) (int, error) {
	n := 0
	err := e.update(func(tx *storage.Tx) (func(), error) {
		var err error
		n, err = tx.TrimFragments(stream, max, drop)
		return nil, err
	})
	return n, err
}
