package db_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"kurz/internal/db"
	"kurz/internal/testkit"
)

// TestInTxRunsADeadlockVictimAgain makes two transactions lock two rows in opposite order,
// each holding its first row until the other holds its own, so PostgreSQL must abort one.
// Both commit anyway, each exactly once: the victim's runs again in a fresh transaction.
func TestInTxRunsADeadlockVictimAgain(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		if e.Name != "postgres" {
			continue // SQLite has one writer: two write transactions never interleave
		}
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			settings := d.Settings()
			for _, k := range []string{"a", "b"} {
				if err := settings.Set(ctx, k, ""); err != nil {
					t.Fatal(err)
				}
			}
			var holding sync.WaitGroup // both hold their first row
			holding.Add(2)
			var runs [2]atomic.Int32
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, order := range [2][2]string{{"a", "b"}, {"b", "a"}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = d.InTx(ctx, func(tx *db.Tx) error {
						run := runs[i].Add(1)
						for j, k := range order {
							if err := tx.Exec(ctx, `UPDATE instance_settings SET value = value || ? WHERE key = ?`, order[0], k); err != nil {
								return err
							}
							if j == 0 && run == 1 {
								holding.Done()
								holding.Wait()
							}
						}
						return nil
					})
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("transaction %d: %v", i, err)
				}
			}
			if got := d.TxRetries(); got != 1 {
				t.Errorf("%d retries, want 1 (runs %d and %d)", got, runs[0].Load(), runs[1].Load())
			}
			if r := runs[0].Load() + runs[1].Load(); r != 3 {
				t.Errorf("%d runs in all, want 3: two, and the victim's again", r)
			}
			// Each transaction's writes are there once: "ab" or "ba" in each row.
			for _, k := range []string{"a", "b"} {
				v, err := settings.Get(ctx, k, "")
				if err != nil {
					t.Fatal(err)
				}
				if v != "ab" && v != "ba" {
					t.Errorf("setting %s = %q, want both transactions' writes once", k, v)
				}
			}
		})
	}
}

// TestInTxRetriesOnlyWhatPostgresAborted: a deadlock or a serialization failure runs again
// on PostgreSQL, a bounded number of times; any other error, and every error on SQLite,
// returns at once.
func TestInTxRetriesOnlyWhatPostgresAborted(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			pg := e.Name == "postgres"
			for _, c := range []struct {
				name   string
				err    error
				pgRuns int
			}{
				{"deadlock", &pgconn.PgError{Code: "40P01"}, 3},
				{"serialization failure", &pgconn.PgError{Code: "40001"}, 3},
				{"unique violation", &pgconn.PgError{Code: "23505"}, 1},
				{"not found", db.ErrNotFound, 1},
			} {
				before := d.TxRetries()
				runs := 0
				err := d.InTx(ctx, func(tx *db.Tx) error {
					runs++
					return c.err
				})
				if !errors.Is(err, c.err) {
					t.Errorf("%s: InTx returned %v", c.name, err)
				}
				want := 1
				if pg {
					want = c.pgRuns
				}
				if runs != want || d.TxRetries()-before != int64(want-1) {
					t.Errorf("%s: %d runs and %d retries counted, want %d runs", c.name, runs, d.TxRetries()-before, want)
				}
			}
			// A run that succeeds after a deadlock commits its writes once.
			runs := 0
			err := d.InTx(ctx, func(tx *db.Tx) error {
				runs++
				if err := tx.Exec(ctx, `INSERT INTO instance_settings (key, value) VALUES ('k', ?)
					ON CONFLICT (key) DO UPDATE SET value = instance_settings.value || excluded.value`, "x"); err != nil {
					return err
				}
				if runs == 1 && pg {
					return &pgconn.PgError{Code: "40P01"}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if v, err := d.Settings().Get(ctx, "k", ""); err != nil || v != "x" {
				t.Fatalf("after a retried run the setting is %q (%v), want the one write", v, err)
			}
		})
	}
}
