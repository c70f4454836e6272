package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kurz/internal/db"

	"kurz/internal/id"
	"kurz/internal/testkit"
)

// openUncached is a migrated SQLite database without the video cache, so that a benchmark
// measures the queries.
func openUncached(b *testing.B) *db.DB {
	d, err := db.Open(context.Background(), db.Options{DataDir: b.TempDir(), Readers: 4, VideoCache: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkVideosByIDs reads a feed page's videos, 20 of 2,000 with a hashtag each, from
// the database (the video cache off):
//
//	go test -run '^$' -bench VideosByIDs -benchtime 3000x ./internal/db/
func BenchmarkVideosByIDs(b *testing.B) {
	d := openUncached(b)
	ctx := context.Background()
	ids := id.NewGenerator()
	owner := newAccount(ids, "owner")
	if err := d.Accounts().Create(ctx, owner); err != nil {
		b.Fatal(err)
	}
	var vids []string
	for i := range 2000 {
		vids = append(vids, addVideo(b, d, ids, owner.ID, fmt.Sprintf("video %d", i), fmt.Sprintf("tag%d", i%50), fmt.Sprintf("more%d", i%7)))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i = (i + 20) % (len(vids) - 20)
		got, err := d.Videos().ByIDs(ctx, vids[i:i+20])
		if err != nil || len(got) != 20 {
			b.Fatalf("%d videos, %v", len(got), err)
		}
		if tags := got[vids[i]].Hashtags; len(tags) != 2 || tags[0] > tags[1] {
			b.Fatalf("hashtags %q, want two, sorted", tags)
		}
	}
}

// BenchmarkVideosPage reads what a feed page shows of 20 of 2,000 videos (each with two
// hashtags and two renditions; 40 owners), as video.GetMany does: from the database, and
// from a warm video cache (one poll of the changes, then memory).
//
//	go test -run '^$' -bench VideosPage -benchtime 3000x ./internal/db/
func BenchmarkVideosPage(b *testing.B) {
	for _, cached := range []bool{false, true} {
		name := map[bool]string{false: "database", true: "cache"}[cached]
		b.Run(name, func(b *testing.B) {
			d := openUncached(b)
			if cached {
				d = testkit.OpenSQLite(b)
			}
			ctx := context.Background()
			ids := id.NewGenerator()
			var owners []string
			for i := range 40 {
				o := newAccount(ids, fmt.Sprintf("owner%d", i))
				if err := d.Accounts().Create(ctx, o); err != nil {
					b.Fatal(err)
				}
				owners = append(owners, o.ID)
			}
			now := time.Now().UTC()
			var vids []string
			for i := range 2000 {
				v := addVideo(b, d, ids, owners[i%len(owners)], fmt.Sprintf("video %d", i), fmt.Sprintf("tag%d", i%50), fmt.Sprintf("more%d", i%7))
				for _, r := range []struct {
					name string
					w, h int
				}{{"360p", 360, 640}, {"720p", 720, 1280}} {
					if err := d.Videos().AddRendition(ctx, &db.RenditionRow{VideoID: v, Name: r.name, BlobKey: v + "/" + r.name, Width: r.w, Height: r.h, CreatedAt: now}, now); err != nil {
						b.Fatal(err)
					}
				}
				vids = append(vids, v)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i = (i + 20) % (len(vids) - 20)
				p, err := d.Videos().Page(ctx, vids[i:i+20])
				if err != nil || len(p.Videos) != 20 || len(p.Renditions[vids[i]]) != 2 || p.Owners[p.Videos[vids[i]].AccountID] == nil {
					b.Fatalf("%d videos, %v", len(p.Videos), err)
				}
			}
		})
	}
}
