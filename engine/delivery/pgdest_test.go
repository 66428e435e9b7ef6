package delivery

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/shardlab/shardlab/engine"
)

// startPostgres runs a throwaway PostgreSQL server (Debian's postgresql package, which `make test` installs) on a
// loopback port, trusting local connections, and returns its connection string. As root it runs the server as
// the postgres user, since PostgreSQL refuses to run as root.
func startPostgres(t *testing.T) string {
	t.Helper()
	initdbs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(initdbs) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("PostgreSQL is not installed; `make test` installs Debian's postgresql")
		}
		t.Skip("PostgreSQL is not installed; `make test` installs it")
	}
	bin := filepath.Dir(initdbs[len(initdbs)-1])
	dir, err := os.MkdirTemp("", "shardlab-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	asPostgres := os.Geteuid() == 0
	if asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root and no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		if asPostgres {
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	data := filepath.Join(dir, "data")
	run(filepath.Join(bin, "initdb"), "-D", data, "-U", "shardlab", "--auth=trust", "-E", "UTF8", "--no-sync")
	run(filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir), "start")
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop")
		if asPostgres {
			cmd = exec.Command("runuser", "-u", "postgres", "--", filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop")
		}
		cmd.Run()
	})
	return fmt.Sprintf("postgres://shardlab@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// TestPostgresDestination: records become rows through COPY, with mapped columns; rows the table refuses send
// the batch, after its retries, to the error folder with PostgreSQL's error.
func TestPostgresDestination(t *testing.T) {
	dsn := startPostgres(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE events (n bigint, username text, path text, doubled bigint, raw jsonb)`); err != nil {
		t.Fatal(err)
	}
	eng := openEngine(t, "")
	newStream(t, eng, "events", 2)
	putEvents(t, eng, 0, 500)
	errDir := t.TempDir()
	one := 1
	dest := Destination{Kind: PG, DSN: dsn, Table: "events", ErrorFolder: errDir, Columns: []ColumnMapping{
		{Column: "n"}, {Column: "username", Expr: "data.user"}, {Column: "path"}, {Column: "doubled", Expr: "data.n * 2"},
		{Column: "raw", Expr: "data"}}}
	d, err := Start(eng, Spec{Name: "to-pg", Source: Source{Stream: "events", Start: engine.IteratorTrimHorizon},
		Buffer: Buffer{IntervalSeconds: zero()}, RetrySeconds: &one, Destinations: []Destination{dest}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "500 rows", func() bool { return d.Metrics().Delivered == 500 })
	var count, sum int64
	var user string
	if err := conn.QueryRow(ctx, `SELECT count(*), sum(doubled), min(username) FROM events WHERE raw->>'user' = username`).
		Scan(&count, &sum, &user); err != nil {
		t.Fatal(err)
	}
	if count != 500 || sum != 2*499*500/2 || user != "u0" {
		t.Fatalf("table holds %d rows, sum %d, user %q", count, sum, user)
	}

	// A column the table does not have: COPY refuses the whole batch.
	if _, err := conn.Exec(ctx, `ALTER TABLE events DROP COLUMN path`); err != nil {
		t.Fatal(err)
	}
	putEvents(t, eng, 500, 520)
	waitFor(t, "the refused batch in the error folder", func() bool { return d.Metrics().DeliveryFailed == 20 })
	d.Stop(bg)
	found := false
	for _, lines := range readObjects(t, errDir) {
		found = found || strings.Contains(lines[0], `"path\" of relation`) || strings.Contains(lines[0], "path")
	}
	if !found {
		t.Fatal("the error output does not carry PostgreSQL's error")
	}
}
