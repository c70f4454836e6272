package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kurz/internal/db"
	"kurz/internal/testkit"
)

// oldSchema is a database as an older kurz left it, migrated up to some version.
type oldSchema struct {
	raw  *sql.DB
	dial db.Dialect
	open db.Options // how kurz opens it
}

// schemaAt makes an empty database of engine e (a new SQLite file, or a new PostgreSQL
// schema) migrated up to version upTo.
func schemaAt(t *testing.T, e testkit.Engine, upTo int) *oldSchema {
	t.Helper()
	ctx := context.Background()
	o := &oldSchema{dial: db.SQLite, open: db.Options{DataDir: t.TempDir(), Readers: 1}}
	driver, dsn := "sqlite", "file:"+filepath.Join(o.open.DataDir, "kurz.db")
	if e.URL != "" {
		o.dial, o.open = db.Postgres, db.Options{URL: testkit.PostgresSchema(t, e.URL), MaxConns: 2}
		driver, dsn = "pgx", o.open.URL
	}
	steps, err := db.Migrations(o.dial)
	if err != nil {
		t.Fatal(err)
	}
	if o.raw, err = sql.Open(driver, dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.raw.Close() })
	o.exec(t, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	for _, m := range steps {
		if m.Version > upTo {
			break
		}
		if _, err := o.raw.ExecContext(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		o.exec(t, `INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.Version, m.Name)
	}
	return o
}

// exec runs q on the raw handle, ? placeholders numbered for PostgreSQL.
func (o *oldSchema) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if o.dial == db.Postgres {
		var b strings.Builder
		n := 0
		for _, r := range q {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		q = b.String()
	}
	if _, err := o.raw.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

// upgrade closes the raw handle, opens the database as kurz does and migrates it to the end.
func (o *oldSchema) upgrade(t *testing.T) *db.DB {
	t.Helper()
	if err := o.raw.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(context.Background(), o.open)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRetentionCurvesMigration upgrades a database that holds retention as one row per
// video and bucket (migration 0008) and checks that every count moves over to the curve
// rows of 0011, and on through 0017.
func TestRetentionCurvesMigration(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) { testRetentionCurvesMigration(t, e) })
	}
}

func testRetentionCurvesMigration(t *testing.T, e testkit.Engine) {
	ctx := context.Background()
	o := schemaAt(t, e, 10)
	old := []struct {
		video, creator string
		bucket         int
		plays          int64
	}{{"v1", "c1", 0, 7}, {"v1", "c1", 1, 5}, {"v1", "c1", 20, 2}, {"v2", "c2", 0, 3}, {"v2", "c2", 10, 1}}
	for _, r := range old {
		o.exec(t, `INSERT INTO analytics_retention (video_id, creator_id, bucket, plays) VALUES (?, ?, ?, ?)`,
			r.video, r.creator, r.bucket, r.plays)
	}
	d := o.upgrade(t)
	want := map[[2]string][db.RetentionBuckets]int64{}
	for _, r := range old {
		k := [2]string{r.creator, r.video}
		c := want[k]
		c[r.bucket] += r.plays
		want[k] = c
	}
	for k, curve := range want {
		got, err := d.Analytics().Retention(ctx, k[0], k[1])
		if err != nil || got != curve {
			t.Fatalf("retention of %s after the migration: %v (err %v), want %v", k[1], got, err, curve)
		}
	}
}

// TestAnalyticsByCreatorMigration upgrades video days, feed traffic and retention curves as
// 0016 kept them, and checks that every count reads the same from 0017's tables: traffic of
// an unknown feed counts as other, and traffic of a day without a video-day row survives.
func TestAnalyticsByCreatorMigration(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) { testAnalyticsByCreatorMigration(t, e) })
	}
}

func testAnalyticsByCreatorMigration(t *testing.T, e testkit.Engine) {
	ctx := context.Background()
	o := schemaAt(t, e, 16)
	exec := func(q string, args ...any) {
		t.Helper()
		o.exec(t, q, args...)
	}
	for _, r := range []struct {
		video, creator    string
		day               int64
		views, plays, ms  int64
		likes, shares, cm int64
	}{{"v1", "c1", 100, 10, 8, 40000, 3, 1, 2}, {"v1", "c1", 101, 4, 4, 9000, -1, 0, 0}, {"v2", "c1", 100, 1, 1, 500, 0, 0, 0},
		{"v3", "c2", 100, 6, 5, 7000, 1, 1, 1}} {
		exec(`INSERT INTO analytics_video_days (video_id, creator_id, day, views, plays, watch_ms, completes, likes, shares, comments)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.video, r.creator, r.day, r.views, r.plays, r.ms, r.plays/2, r.likes, r.shares, r.cm)
	}
	for _, r := range []struct {
		video, creator, feed string
		day, plays           int64
	}{{"v1", "c1", "for_you", 100, 5}, {"v1", "c1", "following", 100, 2}, {"v1", "c1", "someday", 100, 1},
		{"v1", "c1", "for_you", 101, 4}, {"v2", "c1", "search", 100, 1}, {"v3", "c2", "trending", 100, 5},
		{"v2", "c1", "profile", 102, 3}} { // day 102 of v2 has no video-day row
		exec(`INSERT INTO analytics_feed_days (video_id, creator_id, day, feed, plays) VALUES (?, ?, ?, ?, ?)`,
			r.video, r.creator, r.day, r.feed, r.plays)
	}
	exec(`INSERT INTO analytics_retention_curves (video_id, creator_id, b0, b10, b20) VALUES ('v1', 'c1', 12, 6, 2)`)
	d := o.upgrade(t)
	a := d.Analytics()

	days, err := a.CreatorDays(ctx, "c1", 100, 102)
	if err != nil || len(days) != 3 {
		t.Fatalf("creator days %+v, %v", days, err)
	}
	if d0 := days[0]; d0.Day != 100 || d0.Views != 11 || d0.Plays != 9 || d0.WatchMS != 40500 || d0.Completes != 4 || d0.Likes != 3 ||
		d0.Shares != 1 || d0.Comments != 2 {
		t.Fatalf("c1's day 100: %+v", d0)
	}
	if days[1].Likes != -1 || days[2].Day != 102 || days[2].Views != 0 {
		t.Fatalf("c1's days 101 and 102: %+v %+v", days[1], days[2])
	}
	feeds, err := a.CreatorFeeds(ctx, "c1", 100, 102)
	want := []db.FeedPlays{{Feed: "for_you", Plays: 9}, {Feed: "profile", Plays: 3}, {Feed: "following", Plays: 2},
		{Feed: "other", Plays: 1}, {Feed: "search", Plays: 1}}
	if err != nil || !slices.Equal(feeds, want) {
		t.Fatalf("c1's traffic %+v (%v), want %+v", feeds, err, want)
	}
	feeds, err = a.VideoFeeds(ctx, "c2", "v3", 100, 100)
	if err != nil || !slices.Equal(feeds, []db.FeedPlays{{Feed: "trending", Plays: 5}}) {
		t.Fatalf("v3's traffic %+v (%v)", feeds, err)
	}
	vd, err := a.VideoDays(ctx, "c1", "v1", 100, 101)
	if err != nil || len(vd) != 2 || vd[0].WatchMS != 40000 || vd[1].WatchMS != 9000 {
		t.Fatalf("v1's days %+v, %v", vd, err)
	}
	hist, err := a.Retention(ctx, "c1", "v1")
	if err != nil || hist[0] != 12 || hist[10] != 6 || hist[20] != 2 || hist[1] != 0 {
		t.Fatalf("v1's retention %v, %v", hist, err)
	}
}
