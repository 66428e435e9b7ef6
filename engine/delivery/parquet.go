package delivery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// Record format conversion to Parquet, as Firehose's does it: each record, a JSON object, becomes a row of a
// schema given as columns and types, or inferred from the first record; each object written is one Parquet file
// (Snappy-compressed pages) holding the rows of its buffer. A record that does not fit the schema (text in an int
// column, not an object at all) fails processing and goes to the error output.

// Column types of a Parquet schema.
const (
	ColumnString = "string"
	ColumnInt    = "int"
	ColumnFloat  = "float"
	ColumnBool   = "bool"
)

// Column is one field of a Parquet schema.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// parquetSchema is a conversion's schema, fixed at the first record when inferred. Columns are kept in name order,
// which is the order parquet-go gives a group's leaves.
type parquetSchema struct {
	once   sync.Once
	cols   []Column
	schema *parquet.Schema
}

func newParquetSchema(cols []Column) *parquetSchema {
	p := &parquetSchema{}
	if len(cols) > 0 {
		p.set(cols)
	}
	return p
}

func (p *parquetSchema) set(cols []Column) {
	p.cols = slices.SortedFunc(slices.Values(cols), func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
	group := parquet.Group{}
	for _, c := range p.cols {
		group[c.Name] = parquet.Optional(parquetNode(c.Type))
	}
	p.schema = parquet.NewSchema("record", group)
}

func parquetNode(typ string) parquet.Node {
	switch typ {
	case ColumnInt:
		return parquet.Int(64)
	case ColumnFloat:
		return parquet.Leaf(parquet.DoubleType)
	case ColumnBool:
		return parquet.Leaf(parquet.BooleanType)
	}
	return parquet.String()
}

// inferColumns types a record's fields: numbers float (one record cannot tell a count from a measure that happened
// to be whole: give a schema for int columns), booleans bool, anything else string (nested values as their JSON).
func inferColumns(obj map[string]any) []Column {
	var cols []Column
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		typ := ColumnString
		switch obj[k].(type) {
		case int, int64, float64:
			typ = ColumnFloat
		case bool:
			typ = ColumnBool
		}
		cols = append(cols, Column{Name: k, Type: typ})
	}
	return cols
}

// row converts one record into a row of the schema.
func (p *parquetSchema) row(data any) (parquet.Row, error) {
	obj, ok := data.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the Parquet conversion needs a JSON object, got %T", data)
	}
	p.once.Do(func() {
		if p.schema == nil {
			p.set(inferColumns(obj))
		}
	})
	row := make(parquet.Row, len(p.cols))
	for i, c := range p.cols {
		v, present := obj[c.Name]
		if !present || v == nil {
			row[i] = parquet.NullValue().Level(0, 0, i)
			continue
		}
		typed, err := convertValue(v, c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %w", c.Name, c.Type, err)
		}
		row[i] = parquet.ValueOf(typed).Level(0, 1, i)
	}
	return row, nil
}

func convertValue(v any, typ string) (any, error) {
	switch typ {
	case ColumnInt:
		switch x := v.(type) {
		case int:
			return int64(x), nil
		case float64:
			if x != math.Trunc(x) {
				return nil, fmt.Errorf("%v is not a whole number", x)
			}
			return int64(x), nil
		case string:
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a whole number", x)
			}
			return n, nil
		}
	case ColumnFloat:
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", x)
			}
			return f, nil
		}
	case ColumnBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	default:
		switch x := v.(type) {
		case string:
			return x, nil
		case map[string]any, []any:
			b, _ := json.Marshal(x)
			return string(b), nil
		default:
			return fmt.Sprint(x), nil
		}
	}
	return nil, fmt.Errorf("%v (%T) does not convert", v, v)
}

// file writes rows as one Parquet file.
func (p *parquetSchema) file(rows []parquet.Row) ([]byte, error) {
	var b bytes.Buffer
	w := parquet.NewWriter(&b, p.schema, parquet.Compression(&parquet.Snappy))
	if _, err := w.WriteRows(rows); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
