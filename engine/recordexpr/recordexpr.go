// Package recordexpr compiles expr-lang expressions over one record — filters for the records browser and
// computed partition keys for replay. A record is exposed as data (its JSON, parsed, when it parses; else its
// text), key, seq, shard, ts (arrival time) and size. Expressions are compiled once and run per record; a bad one
// is refused at compile time with its line and column.
package recordexpr

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	gojson "github.com/goccy/go-json"
)

// Record is what an expression sees.
type Record struct {
	Data  any       `expr:"data"`
	Key   string    `expr:"key"`
	Seq   string    `expr:"seq"`
	Shard string    `expr:"shard"`
	TS    time.Time `expr:"ts"`
	Size  int       `expr:"size"`
}

// NewRecord exposes raw data as an expression's record: parsed JSON when it is JSON, else its text. The parsing
// is goccy/go-json's, which decodes into maps about twice as fast as encoding/json: every record a filter, a key
// expression or a delivery transform sees goes through here.
func NewRecord(data []byte, key, seq, shard string, ts time.Time) Record {
	r := Record{Key: key, Seq: seq, Shard: shard, TS: ts, Size: len(data)}
	var v any
	if len(data) > 0 && (data[0] == '{' || data[0] == '[') && gojson.Unmarshal(data, &v) == nil {
		r.Data = wholeNumbers(v)
	} else {
		r.Data = string(data)
	}
	return r
}

// wholeNumbers turns JSON numbers without a fraction into ints, so `data.n % 10` works as a reader expects (JSON
// decodes every number as float64, and expr's % takes only integers); comparisons and arithmetic mix both freely.
func wholeNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = wholeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = wholeNumbers(e)
		}
	}
	return v
}

// Error is a compile error with where it is.
type Error struct {
	Line, Column int // 1-based line, 0-based column, as expr reports them
	Message      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column+1, e.Message)
}

func compileError(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return &Error{Line: fe.Line, Column: fe.Column, Message: fe.Message}
	}
	// Errors about the whole expression (its result type, say) have no position of their own: the start.
	return &Error{Line: 1, Message: err.Error()}
}

// Filter is a compiled boolean expression.
type Filter struct {
	prog *vm.Program
	src  string
}

// CompileFilter compiles a filter such as `data.status >= 500 && key startsWith "user-"`.
func CompileFilter(src string) (*Filter, error) {
	prog, err := expr.Compile(src, expr.Env(Record{}), expr.AsBool())
	if err != nil {
		return nil, compileError(err)
	}
	return &Filter{prog: prog, src: src}, nil
}

// Match runs the filter on a record. A run-time error (a member of a missing object, say) is returned, and the
// record counts as not matching; it never stops the caller's loop.
func (f *Filter) Match(r Record) (bool, error) {
	out, err := expr.Run(f.prog, r)
	if err != nil {
		return false, err
	}
	return out.(bool), nil
}

// String is the filter's source.
func (f *Filter) String() string { return f.src }

// KeyFunc is a compiled partition-key expression.
type KeyFunc struct {
	prog *vm.Program
}

// CompileKey compiles an expression whose value, as a string, is a partition key, e.g. `data.user` or
// `shard + "-" + string(size % 8)`.
func CompileKey(src string) (*KeyFunc, error) {
	prog, err := expr.Compile(src, expr.Env(Record{}))
	if err != nil {
		return nil, compileError(err)
	}
	return &KeyFunc{prog: prog}, nil
}

// Key runs the expression; a nil or empty result is an error, as Kinesis needs a key of 1–256 characters.
func (k *KeyFunc) Key(r Record) (string, error) {
	out, err := expr.Run(k.prog, r)
	if err != nil {
		return "", err
	}
	var s string
	switch v := out.(type) {
	case nil:
		return "", errors.New("the key expression gave nil")
	case string:
		s = v
	case float64:
		s = fmt.Sprint(v)
	default:
		s = fmt.Sprint(v)
	}
	if s == "" {
		return "", errors.New("the key expression gave an empty string")
	}
	return s, nil
}

// Value is a compiled expression whose result is anything: a delivery transform's new record, or a partition
// key's part.
type Value struct {
	prog *vm.Program
}

// CompileValue compiles an expression of any result type, e.g. `{"user": data.user, "path": data.path}` or
// `data.level == "debug" ? nil : data`.
func CompileValue(src string) (*Value, error) {
	prog, err := expr.Compile(src, expr.Env(Record{}))
	if err != nil {
		return nil, compileError(err)
	}
	return &Value{prog: prog}, nil
}

// Eval runs the expression on a record.
func (v *Value) Eval(r Record) (any, error) { return expr.Run(v.prog, r) }

// Runner evaluates compiled expressions over one record after another, reusing one VM and boxing each record once:
// for hot loops (analytics runs four or more expressions per record). Not safe for concurrent use.
type Runner struct {
	vm  vm.VM
	env any
}

// Bind makes r the record the next evaluations see.
func (run *Runner) Bind(r *Record) { run.env = *r }

// Value evaluates v over the bound record.
func (run *Runner) Value(v *Value) (any, error) { return run.vm.Run(v.prog, run.env) }

// Match runs f over the bound record.
func (run *Runner) Match(f *Filter) (bool, error) {
	out, err := run.vm.Run(f.prog, run.env)
	if err != nil {
		return false, err
	}
	return out.(bool), nil
}
