package db_test

import (
	"context"
	"testing"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// Store calls reuse prepared statements on SQLite; PostgreSQL leaves it to pgx's own
// per-connection statement cache and keeps none here.
func TestPreparedStatementsPerEngine(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			ids := id.NewGenerator()
			for _, name := range []string{"ann", "bob", "cyd"} {
				a := newAccount(ids, name)
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				got, err := d.Accounts().ByID(ctx, a.ID)
				if err != nil || got.Username != name {
					t.Fatalf("read back %s: %v %v", name, got, err)
				}
			}
			n := db.PreparedStatements(d)
			switch d.Dialect {
			case db.SQLite:
				if n == 0 {
					t.Fatal("no statements cached on SQLite")
				}
			default:
				if n != 0 {
					t.Fatalf("%d statements cached on %s", n, d.Dialect)
				}
			}
			for _, name := range []string{"ann", "bob", "cyd"} {
				if _, err := d.Accounts().ByUsername(ctx, name); err != nil {
					t.Fatal(err)
				}
			}
			if d.Dialect == db.SQLite && db.PreparedStatements(d) > n+1 {
				t.Fatalf("repeating a query cached more statements: %d, was %d", db.PreparedStatements(d), n)
			}
		})
	}
}
