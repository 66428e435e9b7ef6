package delivery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/shardlab/shardlab/engine"
)

// destination takes one object: object destinations write body under key (a prefix and a file name); record
// destinations (a stream, an HTTP endpoint) send the items' data one record each, uncompressed.
type destination interface {
	put(ctx context.Context, key string, body []byte, items []item) error
	spec() Destination
}

// permanentError is a failure no retry can fix (an object key that escapes the folder): the batch goes to the
// error output at once.
type permanentError struct{ error }

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// folderDest writes objects as files under a root folder, keys as relative paths: what an S3 bucket synced to disk
// looks like.
type folderDest struct{ d Destination }

func (f folderDest) spec() Destination { return f.d }

// put writes the object to a temporary file, syncs it and renames it into place, so a reader (or a crash) never
// sees half an object.
func (f folderDest) put(_ context.Context, key string, body []byte, _ []item) error {
	root, err := filepath.Abs(f.d.Path)
	if err != nil {
		return err
	}
	path := filepath.Join(root, filepath.FromSlash(key))
	if rel, err := filepath.Rel(root, path); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return permanentError{fmt.Errorf("object key %q leads outside the folder %s", key, root)}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return classify(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".incoming-*")
	if err != nil {
		return classify(err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; removes what a failed write left
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return classify(os.Rename(tmp.Name(), path))
}

// classify marks the failures a retry cannot fix — a name the file system refuses (a NUL byte, too long), as a
// partition key's value can make one — so the batch goes to the error output at once instead of after the whole
// retry duration. A full disk or a permission problem can be fixed meanwhile: those are retried.
func classify(err error) error {
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENAMETOOLONG) {
		return permanentError{err}
	}
	return err
}

func newDestination(eng *engine.Engine, d Destination) destination {
	switch d.Kind {
	case PG:
		p, _ := newPGDest(d) // Validate compiled the column expressions
		return p
	case Folder:
		return folderDest{d}
	case S3:
		return newS3Dest(d)
	case Stream:
		return streamDest{eng: eng, d: d}
	case HTTP:
		return newHTTPDest(d)
	}
	return nil // Validate refuses any other kind
}

// errorSink is where a destination's error output goes: a folder's or bucket's own error prefix, or the error folder
// of a destination that holds no objects.
func errorSink(dest destination) destination {
	d := dest.spec()
	if d.Kind == Folder || d.Kind == S3 {
		return dest
	}
	return folderDest{Destination{Kind: Folder, Path: d.ErrorFolder, ErrorPrefix: d.ErrorPrefix}}
}
