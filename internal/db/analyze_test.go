package db

import (
	"context"
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
