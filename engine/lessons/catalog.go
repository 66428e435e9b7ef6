package lessons

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shardlab/shardlab/samples"
)

// BuiltIn reads the lessons that come with Shardlab, in teaching order. A bad built-in lesson is a bug: the
// package's tests parse every one.
func BuiltIn() ([]*Lesson, error) {
	entries, err := fs.Glob(samples.FS, "lessons/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*Lesson
	for _, name := range entries {
		b, err := fs.ReadFile(samples.FS, name)
		if err != nil {
			return nil, err
		}
		l, err := Parse(strings.TrimSuffix(filepath.Base(name), ".yaml"), b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		l.Source = "built in"
		out = append(out, l)
	}
	sortLessons(out)
	return out, nil
}

// ImportDir is where imported lessons are kept, under the data directory.
func ImportDir(dataDir string) string { return filepath.Join(dataDir, "lessons") }

// Imported reads the lessons a user imported (dir/*.yaml). A file that does not parse is reported in errs, with
// its line and column, and left out; the others still load.
func Imported(dir string) (out []*Lesson, errs []error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		l, err := ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, l)
	}
	sortLessons(out)
	return out, errs
}

// ReadFile parses one lesson file; its id is the file's name without .yaml.
func ReadFile(path string) (*Lesson, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	l, err := Parse(strings.TrimSuffix(filepath.Base(path), ".yaml"), b)
	if err != nil {
		var pe *PosError
		if errors.As(err, &pe) {
			pe.File = path
		}
		return nil, err
	}
	l.Source = path
	return l, nil
}

// Import checks a lesson file's contents and keeps them in dir under its name, so the lesson is offered from then
// on; a built-in lesson's name is refused, as it would shadow the built-in one.
func Import(name string, data []byte, dir string) (*Lesson, error) {
	id := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	l, err := Parse(id, data)
	if err != nil {
		var pe *PosError
		if errors.As(err, &pe) {
			pe.File = name
		}
		return nil, err
	}
	builtIn, err := BuiltIn()
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(builtIn, func(b *Lesson) bool { return b.ID == l.ID }) {
		return nil, fmt.Errorf("%s: a built-in lesson is called %s; rename the file", name, l.ID)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	dst := filepath.Join(dir, l.ID+".yaml")
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return nil, err
	}
	l.Source = dst
	return l, nil
}

func sortLessons(ls []*Lesson) {
	slices.SortStableFunc(ls, func(a, b *Lesson) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.Title, b.Title)
	})
}
