package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/shardlab/shardlab/engine/lessons"
)

// runLessons lists, checks and verifies lessons:
//
//	shardlab lessons list [--data DIR]              the built-in lessons and the ones imported into DIR
//	shardlab lessons check FILE…                    parse lesson files, errors at line and column
//	shardlab lessons verify [--data DIR] [NAME…]    run each lesson's Show-me path on a scratch engine
func runLessons(args []string) error {
	if len(args) == 0 {
		return errors.New("give list, check or verify (shardlab lessons list)")
	}
	fs := flag.NewFlagSet("lessons "+args[0], flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir(), "data directory whose imported lessons are included")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "list":
		all, err := allLessons(*dataDir)
		if err != nil {
			return err
		}
		for _, l := range all {
			fmt.Printf("%-20s %2d min  %-7s  %s\n", l.ID, l.Minutes, steps(len(l.Steps)), l.Title)
		}
		return nil
	case "check":
		if fs.NArg() == 0 {
			return errors.New("give the lesson files to check")
		}
		bad := 0
		for _, f := range fs.Args() {
			if l, err := lessons.ReadFile(f); err != nil {
				fmt.Fprintln(os.Stderr, err)
				bad++
			} else {
				fmt.Printf("%s: %s, %s\n", f, l.Title, steps(len(l.Steps)))
			}
		}
		if bad > 0 {
			return fmt.Errorf("%d of %d files have problems", bad, fs.NArg())
		}
		return nil
	case "verify":
		all, err := allLessons(*dataDir)
		if err != nil {
			return err
		}
		if fs.NArg() > 0 {
			all = slices.DeleteFunc(all, func(l *lessons.Lesson) bool { return !slices.Contains(fs.Args(), l.ID) })
			if len(all) != fs.NArg() {
				return fmt.Errorf("no lesson is called that; shardlab lessons list names them")
			}
		}
		return verifyLessons(all)
	}
	return fmt.Errorf("unknown lessons command %q: list, check or verify", args[0])
}

func allLessons(dataDir string) ([]*lessons.Lesson, error) {
	all, err := lessons.BuiltIn()
	if err != nil {
		return nil, err
	}
	imported, errs := lessons.Imported(lessons.ImportDir(dataDir))
	for _, err := range errs {
		fmt.Fprintln(os.Stderr, "skipped:", err)
	}
	return append(all, imported...), nil
}

// verifyLessons runs every lesson at once, each on a scratch engine of its own in a temporary directory.
func verifyLessons(all []*lessons.Lesson) error {
	tmp, err := os.MkdirTemp("", "shardlab-lessons-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	type outcome struct {
		took time.Duration
		err  error
	}
	results := make([]outcome, len(all))
	var wg sync.WaitGroup
	for i, l := range all {
		wg.Go(func() {
			start := time.Now()
			dir, err := os.MkdirTemp(tmp, l.ID+"-")
			if err == nil {
				var ws *lessons.Workspace
				var closeAll func()
				if ws, closeAll, err = lessons.Scratch(dir); err == nil {
					err = lessons.Verify(context.Background(), ws, l)
					closeAll()
				}
			}
			results[i] = outcome{time.Since(start), err}
		})
	}
	wg.Wait()
	failed := 0
	for i, l := range all {
		if r := results[i]; r.err != nil {
			failed++
			fmt.Printf("✗ %-20s %5.1f s  %v\n", l.ID, r.took.Seconds(), r.err)
		} else {
			fmt.Printf("✓ %-20s %5.1f s  %s met\n", l.ID, r.took.Seconds(), steps(len(l.Steps)))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d lessons did not verify", failed, len(all))
	}
	return nil
}

func steps(n int) string {
	if n == 1 {
		return "1 step"
	}
	return fmt.Sprintf("%d steps", n)
}
