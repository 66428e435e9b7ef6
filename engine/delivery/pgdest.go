package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shardlab/shardlab/engine/recordexpr"
)

// pgDest inserts each object's records as rows of a PostgreSQL table with COPY (pgx's CopyFrom): the local stand-in
// for Redshift's COPY, all of a batch or none of it. Each column's value is an expression of the record (by default
// data.<column>); nested values are written as their JSON, a missing one as NULL. A batch the database refuses
// (a type it cannot convert, a missing table) is retried, then goes to the error folder with the database's error.
type pgDest struct {
	d     Destination
	exprs []*recordexpr.Value

	mu   sync.Mutex
	conn *pgx.Conn
}

func newPGDest(d Destination) (*pgDest, error) {
	p := &pgDest{d: d}
	for _, c := range d.Columns {
		src := c.Expr
		if src == "" {
			src = "data." + c.Column
		}
		v, err := recordexpr.CompileValue(src)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Column, err)
		}
		p.exprs = append(p.exprs, v)
	}
	return p, nil
}

func (p *pgDest) spec() Destination { return p.d }

func (p *pgDest) put(ctx context.Context, _ string, _ []byte, items []item) error {
	rows := make([][]any, len(items))
	for i, it := range items {
		rec := recordexpr.NewRecord(it.data, it.partitionKey, it.seq, it.shard, it.ts)
		row := make([]any, len(p.exprs))
		for j, e := range p.exprs {
			v, err := e.Eval(rec)
			if err != nil { // (a missing member is nil, not an error: NULL, as COPY of a missing field)
				return permanentError{fmt.Errorf("column %s of record %s: %w", p.d.Columns[j].Column, it.seq, err)}
			}
			switch v.(type) {
			case map[string]any, []any:
				b, _ := json.Marshal(v)
				v = string(b)
			}
			row[j] = v
		}
		rows[i] = row
	}
	cols := make([]string, len(p.d.Columns))
	for i, c := range p.d.Columns {
		cols[i] = c.Column
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil || p.conn.IsClosed() {
		conn, err := pgx.Connect(ctx, p.d.DSN)
		if err != nil {
			return err
		}
		p.conn = conn
	}
	_, err := p.conn.CopyFrom(ctx, pgx.Identifier{p.d.Table}, cols, pgx.CopyFromRows(rows))
	var pgErr *pgconn.PgError
	if err != nil && !errors.As(err, &pgErr) {
		p.conn.Close(context.Background()) // a broken connection: a new one next attempt
		p.conn = nil
	}
	return err
}

// close ends the connection when the delivery stops.
func (p *pgDest) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		p.conn.Close(context.Background())
		p.conn = nil
	}
}
