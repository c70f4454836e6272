package db_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"kurz/internal/db"
)

// TestRetentionCurvesMigration upgrades a database that holds retention as one row per
// video and bucket (migration 0008) and checks that every count moves over to the curve
// rows of 0011.
func TestRetentionCurvesMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	steps, err := db.Migrations(db.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "kurz.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range steps {
		if m.Version > 10 {
			break
		}
		if _, err := raw.ExecContext(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	old := []struct {
		video, creator string
		bucket         int
		plays          int64
	}{{"v1", "c1", 0, 7}, {"v1", "c1", 1, 5}, {"v1", "c1", 20, 2}, {"v2", "c2", 0, 3}, {"v2", "c2", 10, 1}}
	for _, r := range old {
		if _, err := raw.ExecContext(ctx, `INSERT INTO analytics_retention (video_id, creator_id, bucket, plays) VALUES (?, ?, ?, ?)`,
			r.video, r.creator, r.bucket, r.plays); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	d, err := db.Open(ctx, db.Options{DataDir: dir, Readers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	applied, err := d.Migrate(ctx)
	if err != nil || len(applied) != len(steps)-10 {
		t.Fatalf("migrate applied %v, err %v", applied, err)
	}
	want := map[string][db.RetentionBuckets]int64{}
	for _, r := range old {
		c := want[r.video]
		c[r.bucket] += r.plays
		want[r.video] = c
	}
	for video, curve := range want {
		got, err := d.Analytics().Retention(ctx, video)
		if err != nil || got != curve {
			t.Fatalf("retention of %s after the migration: %v (err %v), want %v", video, got, err, curve)
		}
	}
}
