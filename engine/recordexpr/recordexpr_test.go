package recordexpr

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFilters(t *testing.T) {
	rec := NewRecord([]byte(`{"status":503,"path":"/api","user":{"id":"u1"}}`), "user-7", "49", "shardId-000000000001", time.Unix(0, 0))
	text := NewRecord([]byte("GET / 200"), "k", "1", "s", time.Unix(0, 0))
	cases := []struct {
		src  string
		rec  Record
		want bool
	}{
		{`data.status >= 500 && key startsWith "user-"`, rec, true},
		{`data.user.id == "u1" && size > 10`, rec, true},
		{`shard endsWith "1"`, rec, true},
		{`data contains "200"`, text, true},
		{`data.status < 500`, rec, false},
	}
	for _, tc := range cases {
		f, err := CompileFilter(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got, err := f.Match(tc.rec); err != nil || got != tc.want {
			t.Errorf("%s: %v, %v", tc.src, got, err)
		}
	}
}

func TestBadFiltersNameTheirPosition(t *testing.T) {
	for _, src := range []string{`data.status >=`, `key == `, "size > 1 &&\n  nope(", `"text"`} {
		_, err := CompileFilter(src)
		var e *Error
		if !errors.As(err, &e) || e.Line < 1 {
			t.Errorf("%q: %v, want an *Error with a line", src, err)
		}
	}
	_, err := CompileFilter("size > 1 &&\n  )")
	if err == nil || !strings.HasPrefix(err.Error(), "line 2") {
		t.Errorf("error on line 2 reported as %v", err)
	}
}

func TestRunTimeErrorsDoNotPanic(t *testing.T) {
	f, _ := CompileFilter(`data.a.b.c == 1`)
	if ok, _ := f.Match(NewRecord([]byte("plain"), "k", "", "", time.Time{})); ok {
		t.Error("a member of text matched")
	}
}

func TestKeyExpressions(t *testing.T) {
	k, err := CompileKey(`data.user`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Key(NewRecord([]byte(`{"user":"u9"}`), "", "", "", time.Time{})); got != "u9" || err != nil {
		t.Errorf("key = %q, %v", got, err)
	}
	if _, err := k.Key(NewRecord([]byte(`{"other":1}`), "", "", "", time.Time{})); err == nil {
		t.Error("a missing member gave a key")
	}
	n, _ := CompileKey(`size % 3`)
	if got, _ := n.Key(NewRecord([]byte("abcd"), "", "", "", time.Time{})); got != "1" {
		t.Errorf("numeric key = %q", got)
	}
}

func FuzzCompile(f *testing.F) {
	f.Add(`data.status >= 500 && key startsWith "user-"`)
	f.Add(`size > (`)
	f.Fuzz(func(t *testing.T, src string) {
		if flt, err := CompileFilter(src); err == nil {
			flt.Match(NewRecord([]byte(`{"a":1}`), "k", "1", "s", time.Time{}))
		}
	})
}

func TestWholeJSONNumbersAreIntegers(t *testing.T) {
	f, err := CompileFilter(`data.n % 10 == 5 && data.x > 2.4 && data.list[0] % 2 == 1`)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := f.Match(NewRecord([]byte(`{"n":25,"x":2.5,"list":[3]}`), "k", "1", "s", time.Time{}))
	if err != nil || !ok {
		t.Fatalf("match = %v, %v", ok, err)
	}
}
