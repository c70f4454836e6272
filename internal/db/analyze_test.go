package db

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestAnalyzeKeepsStat1AndDropsStat4(t *testing.T) {
	ctx := context.Background()
	d := openPlainSQLite(t)
	w := d.writer()
	if _, err := w.exec(ctx, "CREATE INDEX t_a ON t (a)"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		if _, err := w.exec(ctx, "INSERT INTO t (a) VALUES (?)", i%7); err != nil {
			t.Fatal(err)
		}
	}
	// A reader that prepared its statement before the statistics existed.
	if got := sumWhere(t, d.reader(), "SELECT COUNT(*) FROM t WHERE a = ?", 3); got != 72 {
		t.Fatalf("count before = %d, want 72", got)
	}
	if err := d.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	if n := sumWhere(t, w, "SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = 't_a'"); n != 1 {
		t.Fatalf("sqlite_stat1 holds %d rows for the index, want 1", n)
	}
	if n := sumWhere(t, w, "SELECT COUNT(*) FROM sqlite_stat4"); n != 0 {
		t.Fatalf("sqlite_stat4 holds %d samples, want none", n)
	}
	if got := sumWhere(t, d.reader(), "SELECT COUNT(*) FROM t WHERE a = ?", 3); got != 72 {
		t.Fatalf("count after = %d, want 72", got)
	}
}

// The server's refresh samples the indexes, leaves no stat4 samples behind, and resets the
// writer connection's limit so that a full Analyze after it reads everything again.
func TestRefreshStatisticsSamplesAndResetsTheLimit(t *testing.T) {
	ctx := context.Background()
	d := openPlainSQLite(t)
	w := d.writer()
	if _, err := w.exec(ctx, "CREATE INDEX t_a ON t (a)"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i++ {
		if _, err := w.exec(ctx, "INSERT INTO t (a) VALUES (?)", i%7); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.RefreshStatistics(ctx); err != nil {
		t.Fatal(err)
	}
	stat := func() string {
		t.Helper()
		var s string
		if err := w.row(ctx, "SELECT stat FROM sqlite_stat1 WHERE idx = 't_a'").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// A sampled ANALYZE estimates the row count from the pages it read; a full one counts.
	sampled := stat()
	if n := sumWhere(t, w, "SELECT COUNT(*) FROM sqlite_stat4"); n != 0 {
		t.Fatalf("sqlite_stat4 holds %d samples, want none", n)
	}
	if n := sumWhere(t, w, "PRAGMA analysis_limit"); n != 0 {
		t.Fatalf("analysis_limit left at %d", n)
	}
	if err := d.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	rows := sumWhere(t, w, "SELECT COUNT(*) FROM t")
	if full := stat(); !strings.HasPrefix(full, fmt.Sprint(rows, " ")) || sampled == full {
		t.Fatalf("stat1 of the index: sampled %q, full %q; want the full one to start with the %d rows and differ", sampled, full, rows)
	}
}
