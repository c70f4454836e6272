package db

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// PreparedStatements counts the statements cached for d's pools, for the engine tests in
// package db_test.
func PreparedStatements(d *DB) int {
	if d.readStmts == nil {
		return 0
	}
	return d.readStmts.len() + d.writeStmts.len()
}

func openPlainSQLite(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, Options{DataDir: t.TempDir(), Readers: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.writer().exec(ctx, "CREATE TABLE t (a INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := d.writer().exec(ctx, "INSERT INTO t (a) VALUES (?)", i); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func sumWhere(t *testing.T, c conn, query string, args ...any) int {
	t.Helper()
	var n int
	if err := c.row(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestStmtCacheReusesStatementsPerQuery(t *testing.T) {
	d := openPlainSQLite(t)
	if got := d.writeStmts.len(); got != 2 {
		t.Fatalf("writer cached %d statements, want 2 (create, insert)", got)
	}
	for i, want := range []int{15, 14, 12, 9} {
		if got := sumWhere(t, d.reader(), "SELECT COALESCE(SUM(a), 0) FROM t WHERE a > ?", i); got != want {
			t.Fatalf("sum over a > %d = %d, want %d", i, got, want)
		}
	}
	if got := d.readStmts.len(); got != 1 {
		t.Fatalf("reader cached %d statements for one query text, want 1", got)
	}
	if _, err := d.reader().query(context.Background(), "SELEC nonsense"); err == nil {
		t.Fatal("a syntax error ran without an error")
	}
	if got := d.readStmts.len(); got != 1 {
		t.Fatalf("a failed prepare was cached: %d statements", got)
	}
}

func TestStmtCacheSeesSchemaChanges(t *testing.T) {
	d := openPlainSQLite(t)
	ctx := context.Background()
	columns := func() []string {
		t.Helper()
		rows, err := d.reader().query(ctx, "SELECT * FROM t WHERE a = ?", 1)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return cols
	}
	if got := columns(); len(got) != 1 {
		t.Fatalf("columns before the change: %v", got)
	}
	if _, err := d.writer().exec(ctx, "ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x'"); err != nil {
		t.Fatal(err)
	}
	// Every reader connection sees the new column through the cached statement.
	for range 8 {
		if got := columns(); len(got) != 2 || got[1] != "b" {
			t.Fatalf("columns after the change: %v", got)
		}
	}
}

func TestStmtCacheEvictionKeepsOpenRowsWorking(t *testing.T) {
	d := openPlainSQLite(t)
	ctx := context.Background()
	c := conn{d: d, q: d.read, stmts: newStmtCache(d.read, 1)}
	rows, err := c.query(ctx, "SELECT a FROM t WHERE a >= ? ORDER BY a", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	// A second query text evicts and closes the first statement while its rows are open.
	if got := sumWhere(t, c, "SELECT COUNT(*) FROM t WHERE a < ?", 3); got != 2 {
		t.Fatalf("count = %d, want 2", got)
	}
	if got := c.stmts.len(); got != 1 {
		t.Fatalf("cache of one holds %d statements", got)
	}
	var got []int
	for rows.Next() {
		var a int
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[2 3 4 5]" {
		t.Fatalf("rows of the evicted statement: %v", got)
	}
	// The evicted query is prepared again.
	if got := sumWhere(t, c, "SELECT COUNT(*) FROM t WHERE a >= ?", 2); got != 4 {
		t.Fatalf("count = %d, want 4", got)
	}
}

func TestStmtCacheConcurrentEviction(t *testing.T) {
	d := openPlainSQLite(t)
	c := conn{d: d, q: d.read, stmts: newStmtCache(d.read, 2)}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 150 {
				k := (g + i) % 5
				// Five texts for two slots: statements are evicted while others use them.
				q := fmt.Sprintf("SELECT COUNT(*) + %d FROM t WHERE a <= ?", k*10)
				var n int
				if err := c.row(context.Background(), q, k).Scan(&n); err != nil {
					errs <- err
					return
				}
				if n != k*10+k {
					errs <- fmt.Errorf("%s with %d = %d", q, k, n)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := c.stmts.len(); got > 2 {
		t.Fatalf("cache of two holds %d statements", got)
	}
}

func TestStmtCacheNotUsedInTransactions(t *testing.T) {
	d := openPlainSQLite(t)
	ctx := context.Background()
	before := d.writeStmts.len()
	err := d.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "UPDATE t SET a = a + ? WHERE a = ?", 10, 5); err != nil {
			return err
		}
		var n int
		if err := tx.row(ctx, "SELECT COUNT(*) FROM t WHERE a > ?", 10).Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("transaction sees %d rows over 10, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.writeStmts.len(); got != before {
		t.Fatalf("a transaction cached statements: %d, was %d", got, before)
	}
	if got := sumWhere(t, d.reader(), "SELECT MAX(a) FROM t WHERE a > ?", 0); got != 15 {
		t.Fatalf("max after the transaction = %d, want 15", got)
	}
}

func TestStmtCacheClosedWithDB(t *testing.T) {
	d := openPlainSQLite(t)
	_ = sumWhere(t, d.reader(), "SELECT COUNT(*) FROM t WHERE a > ?", 0)
	if PreparedStatements(d) == 0 {
		t.Fatal("nothing cached before close")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if got := PreparedStatements(d); got != 0 {
		t.Fatalf("%d statements left after close", got)
	}
	var n int
	if err := d.reader().row(context.Background(), "SELECT COUNT(*) FROM t WHERE a > ?", 0).Scan(&n); err == nil {
		t.Fatal("a query on a closed database succeeded")
	}
}
