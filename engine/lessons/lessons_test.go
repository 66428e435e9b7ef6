package lessons

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine"
)

func TestBuiltInLessonsParse(t *testing.T) {
	ls, err := BuiltIn()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) < 12 {
		t.Errorf("%d built-in lessons, want at least 12", len(ls))
	}
	seen := map[int]string{}
	for _, l := range ls {
		if other, ok := seen[l.Order]; ok {
			t.Errorf("lessons %s and %s share order %d", l.ID, other, l.Order)
		}
		seen[l.Order] = l.ID
	}
}

// TestEveryLessonsShowMePathMeetsItsChecks is `shardlab lessons verify` inside make test: each built-in lesson
// runs on a scratch engine of its own, Show me step by step, and every check must hold within the step's time.
func TestEveryLessonsShowMePathMeetsItsChecks(t *testing.T) {
	ls, err := BuiltIn()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		t.Run(l.ID, func(t *testing.T) {
			t.Parallel()
			ws, closeAll, err := Scratch(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll()
			if err := Verify(context.Background(), ws, l); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestParseErrorsGiveLineAndColumn(t *testing.T) {
	head := "title: T\nminutes: 3\nteaches: x\nstreams:\n  - {name: lesson-a, shards: 1}\n"
	step := "steps:\n  - title: s\n    screen: lesson-a/Overview\n    do: d\n    notice: n\n"
	for _, c := range []struct {
		name, text string
		line, col  int
		says       string
	}{
		{"unknown field", head + "colour: red\n" + step + "    check: []\n    show_me: []\n", 6, 1, `unknown field "colour"`},
		{"wrong type", "title: T\nminutes: many\n", 2, 10, `"many" is not a whole number`},
		{"missing required", head + "steps:\n  - title: s\n    screen: lesson-a/Overview\n    do: d\n    check: []\n    show_me: []\n", 7, 5, `field "notice" is required`},
		{"unknown check", head + step + "    check:\n      - colour: {stream: lesson-a}\n    show_me: []\n", 12, 9, `unknown field "colour"`},
		{"two kinds in one check", head + step + "    check:\n      - {shards: {stream: lesson-a, open: 1}, video: {stream: lesson-a, fragments_at_least: 1}}\n    show_me: []\n", 12, 9, "exactly one of"},
		{"stream not the lesson's", head + step + "    check:\n      - shards: {stream: orders, open: 1}\n    show_me: []\n", 12, 9, `stream "orders" is not defined`},
		{"bad screen", head + "steps:\n  - title: s\n    screen: lesson-a/Heatmap\n    do: d\n    notice: n\n    check: []\n    show_me: []\n", 8, 13, "the tab is one of"},
		{"bad duration", head + step + "    check:\n      - utilisation: {stream: lesson-a, shard: hottest, over: 100, for: soon}\n    show_me: []\n", 12, 73, "not a duration"},
		{"syntax", "title: [unclosed\n", 1, 1, ""},
		{"stream name", "title: T\nminutes: 3\nteaches: x\nstreams:\n  - {name: orders, shards: 1}\n" + step + "    check: []\n    show_me: []\n", 5, 12, "named lesson-"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x", []byte(c.text))
			var pe *PosError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a PosError", err)
			}
			if pe.Line != c.line || (c.col != 0 && pe.Column != c.col) || !strings.Contains(pe.Msg, c.says) {
				t.Errorf("got %v, want line %d, column %d, saying %q", err, c.line, c.col, c.says)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("title: T\nminutes: 3\nteaches: x\nsteps: []\n"))
	f.Add([]byte("title: T\nminutes: 3\nteaches: x\nstreams:\n  - {name: lesson-a, shards: 1}\nsteps:\n  - title: s\n    screen: lesson-a/Overview\n    do: d\n    notice: n\n    check:\n      - shards: {stream: lesson-a, open: 1}\n    show_me:\n      - wait: 1s\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Parse("fuzz", b)
		if err == nil && (l == nil || len(l.Steps) == 0) {
			t.Fatalf("accepted a lesson without steps: %q", b)
		}
		var pe *PosError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("error without a position: %v", err)
		}
	})
}

func TestAStepThatCannotBeMetFailsNamingIt(t *testing.T) {
	l, err := Parse("stuck", []byte(`title: Stuck
minutes: 1
teaches: nothing
streams:
  - {name: lesson-stuck, shards: 1}
steps:
  - title: Three shards from nowhere
    screen: lesson-stuck/Shards
    do: nothing
    notice: nothing
    check:
      - shards: {stream: lesson-stuck, open: 3}
    show_me:
      - wait: 10ms
    within: 1s
`))
	if err != nil {
		t.Fatal(err)
	}
	ws, closeAll, err := Scratch(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	err = Verify(context.Background(), ws, l)
	var se *StepError
	if !errors.As(err, &se) || se.Step != 1 || !strings.Contains(err.Error(), "lesson-stuck has 3 open shards (1 open, 0 closed)") {
		t.Fatalf("got %v, want step 1 not met with the check as it stood", err)
	}
	// What the lesson made is gone again.
	if _, err := ws.Engine.DescribeStreamSummary(context.Background(), engine.StreamRef{StreamName: "lesson-stuck"}); err == nil {
		t.Error("the lesson's stream outlived it")
	}
}

func TestALessonNeverTouchesAStreamOfYours(t *testing.T) {
	ws, closeAll, err := Scratch(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	ctx := context.Background()
	n := 1
	if err := ws.Engine.CreateStream(ctx, engine.CreateStreamInput{StreamName: "lesson-keys", ShardCount: &n}); err != nil {
		t.Fatal(err)
	}
	ls, _ := BuiltIn()
	var keys *Lesson
	for _, l := range ls {
		if l.ID == "keys-to-shards" {
			keys = l
		}
	}
	if _, err := Open(ctx, ws, keys); err == nil || !strings.Contains(err.Error(), "is not this lesson's") {
		t.Fatalf("Open over the user's lesson-keys: %v", err)
	}
	if shards, err := ws.Engine.Shards(ctx, engine.StreamRef{StreamName: "lesson-keys"}); err != nil || len(shards) != 1 {
		t.Fatalf("the user's stream was touched: %v, %d shards", err, len(shards))
	}
}

func TestResetRestoresTheStart(t *testing.T) {
	ws, closeAll, err := Scratch(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	ctx := context.Background()
	ls, _ := BuiltIn()
	var l *Lesson
	for _, x := range ls {
		if x.ID == "scaling-lineage" {
			l = x
		}
	}
	s, err := Open(ctx, ws, l)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.ShowMe(ctx); err != nil { // put and merge
		t.Fatal(err)
	}
	for s.Step() == 0 {
		s.Poll(ctx)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	shards, err := ws.Engine.Shards(ctx, engine.StreamRef{StreamName: "lesson-lineage"})
	if err != nil || len(shards) != 2 || !shards[0].Open || !shards[1].Open || s.Step() != 0 {
		t.Fatalf("after Reset: %v, %d shards, step %d; want the two open shards of the start and step 1", err, len(shards), s.Step())
	}
	if st := s.Poll(ctx); st.Met[0] {
		t.Error("step 1 is met again right after Reset")
	}
}

func TestImportKeepsAGoodFileAndRefusesABadOne(t *testing.T) {
	dir := t.TempDir()
	good := []byte("title: Mine\nminutes: 2\nteaches: t\nstreams:\n  - {name: lesson-mine, shards: 1}\nsteps:\n" +
		"  - title: s\n    screen: lesson-mine/Shards\n    do: d\n    notice: n\n    check:\n      - shards: {stream: lesson-mine, open: 1}\n" +
		"    show_me:\n      - wait: 1ms\n")
	l, err := Import("mine.yaml", good, dir)
	if err != nil || l.ID != "mine" {
		t.Fatalf("Import: %v, %+v", err, l)
	}
	got, errs := Imported(dir)
	if len(errs) > 0 || len(got) != 1 || got[0].Title != "Mine" {
		t.Fatalf("Imported after Import: %v, %v", got, errs)
	}
	_, err = Import("broken.yaml", []byte("title: x\nminutes: 2\nteaches: t\nsteps:\n  - title: s\n    screen: Nowhere\n"), dir)
	if err == nil || !strings.HasPrefix(err.Error(), "broken.yaml:5:5: ") {
		t.Errorf("a broken file: %v; want its name, line and column first", err)
	}
	if _, err := Import("hot-shard.yaml", good, dir); err == nil || !strings.Contains(err.Error(), "built-in lesson") {
		t.Errorf("a file named as a built-in lesson was imported: %v", err)
	}
	if got, _ := Imported(dir); len(got) != 1 {
		t.Errorf("%d lessons kept after the refused imports, want 1", len(got))
	}
}

// TestAccessLessonIsDeniedThenAllowedAndEndsClean walks the access lesson: step 1 is met only by a denied call
// (a Simulator-style question is not a call), its Show me's allow comes from the user's new policy, and ending
// the lesson deletes the user with its policy.
func TestAccessLessonIsDeniedThenAllowedAndEndsClean(t *testing.T) {
	ws, closeAll, err := Scratch(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	ctx := context.Background()
	ls, _ := BuiltIn()
	var l *Lesson
	for _, x := range ls {
		if x.ID == "access-denied" {
			l = x
		}
	}
	s, err := Open(ctx, ws, l)
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Poll(ctx); st.Met[0] {
		t.Fatal("step 1 met before any call")
	}
	if err := s.ShowMe(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Poll(ctx); !st.Met[0] || s.Step() != 1 {
		t.Fatalf("after the denied try: %+v", st)
	}
	if err := s.ShowMe(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Poll(ctx); !st.Met[1] {
		t.Fatalf("after the fixing policy: %+v", st)
	}
	s.Close()
	if _, err := ws.Access.Store.GetUser("lesson-writer"); err == nil {
		t.Error("the lesson's user outlived the lesson")
	}
}
