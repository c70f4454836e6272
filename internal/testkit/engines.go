// Package testkit builds real databases for tests: a fresh SQLite file per test and, on the
// same suite, a fresh PostgreSQL schema per test. Under CI a missing PostgreSQL fails the
// test instead of skipping it, so the scale engine is never silently untested.
package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"kurz/internal/db"
)

// DefaultPostgresURL is this project's test PostgreSQL: local, trust auth, database "test".
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Engine is a database engine a suite runs on.
type Engine struct {
	Name string
	Open func(t testing.TB) *db.DB // migrated, cleaned up with the test
	URL  string                    // PostgreSQL's server, for PostgresSchema; "" for SQLite
}

// Engines returns SQLite and, when reachable, PostgreSQL. Set KURZ_TEST_POSTGRES to a URL
// to use another server. When CI is set (or KURZ_TEST_REQUIRE_POSTGRES=1), an unreachable
// PostgreSQL fails the test.
func Engines(t testing.TB) []Engine {
	engines := []Engine{{Name: "sqlite", Open: OpenSQLite}}
	if pg := postgresURL(t); pg != "" {
		engines = append(engines, Engine{Name: "postgres", Open: func(t testing.TB) *db.DB { return OpenPostgres(t, pg) }, URL: pg})
	}
	return engines
}

// RequirePostgres reports whether PostgreSQL must be available for this run.
func RequirePostgres() bool {
	return os.Getenv("CI") != "" || os.Getenv("KURZ_TEST_REQUIRE_POSTGRES") == "1"
}

func postgresURL(t testing.TB) string {
	u := os.Getenv("KURZ_TEST_POSTGRES")
	if u == "" {
		u = DefaultPostgresURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := sql.Open("pgx", u)
	if err == nil {
		err = c.PingContext(ctx)
		c.Close()
	}
	if err != nil {
		if RequirePostgres() {
			t.Fatalf("PostgreSQL at %s is required under CI but unreachable: %v", redact(u), err)
		}
		t.Logf("PostgreSQL unreachable (%v): running on SQLite only; .ci/run starts it", err)
		return ""
	}
	return u
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable url)"
	}
	return p.Redacted()
}

// OpenSQLite returns a migrated SQLite database in a fresh temporary directory.
func OpenSQLite(t testing.TB) *db.DB {
	t.Helper()
	dir := t.TempDir()
	d, err := db.Open(context.Background(), db.Options{DataDir: dir, Readers: 4})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	migrate(t, d)
	return d
}

// OpenPostgres returns a migrated PostgreSQL database in a fresh schema, dropped after the
// test, so tests run in parallel without seeing each other's rows.
func OpenPostgres(t testing.TB, base string) *db.DB {
	t.Helper()
	u := PostgresSchema(t, base)
	d, err := db.Open(context.Background(), db.Options{URL: u, MaxConns: 8})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	migrate(t, d)
	urls.Store(d, u)
	t.Cleanup(func() { urls.Delete(d) })
	return d
}

// PostgresSchema makes an empty schema of its own for the test on the server at base, to
// be dropped with the test, and returns base with that schema as its search_path.
func PostgresSchema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + strings.ToLower(strings.NewReplacer("/", "_", " ", "_", "-", "_").Replace(shortName(t))) + "_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`)
		admin.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// urls remembers the URL each OpenPostgres database was opened with, for Reopen.
var urls sync.Map

// Reopen opens d's database a second time, as another kurz process sharing it would: its
// own pools and caches. It is closed with the test.
func Reopen(t testing.TB, d *db.DB) *db.DB {
	t.Helper()
	return ReopenWith(t, d, nil)
}

// ReopenWith is Reopen with options changed by change (nil changes nothing), for example a
// second handle without the video cache to compare against.
func ReopenWith(t testing.TB, d *db.DB, change func(*db.Options)) *db.DB {
	t.Helper()
	o := db.Options{DataDir: filepath.Dir(d.Path()), SQLiteFile: filepath.Base(d.Path()), Readers: 4}
	if d.Dialect == db.Postgres {
		u, ok := urls.Load(d)
		if !ok {
			t.Fatal("Reopen: not a database of OpenPostgres")
		}
		o = db.Options{URL: u.(string), MaxConns: 8}
	}
	if change != nil {
		change(&o)
	}
	other, err := db.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("reopen %s: %v", d.Dialect, err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

func shortName(t testing.TB) string {
	n := t.Name()
	if len(n) > 20 {
		n = n[:20]
	}
	return n
}

func migrate(t testing.TB, d *db.DB) {
	t.Helper()
	if _, err := d.Migrate(context.Background()); err != nil {
		d.Close()
		t.Fatalf("migrate %s: %v", d.Dialect, err)
	}
	t.Cleanup(func() { d.Close() })
}
