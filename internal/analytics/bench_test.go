package analytics_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"kurz/internal/analytics"
	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// BenchmarkFold measures how fast the tailer folds a backlog: 2,000 plays of 50 videos,
// five watch events each, plus likes and follows (11,000 events), folded in batches of
// 1,000 on each engine. Run it with -benchtime=3x; it reports events folded per second.
func BenchmarkFold(b *testing.B) {
	for _, e := range testkit.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			var events int
			var folding time.Duration
			for range b.N {
				b.StopTimer()
				d := e.Open(b)
				ids := id.NewGenerator()
				now := time.Now().UTC()
				creator := &db.AccountRow{ID: ids.New(), Username: "bench", Role: "user", Region: "eu", State: "active",
					PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
				if err := d.Accounts().Create(ctx, creator); err != nil {
					b.Fatal(err)
				}
				var vids []string
				for i := range 50 {
					v := &db.VideoRow{ID: ids.New(), AccountID: creator.ID, Caption: fmt.Sprint(i), Visibility: "public", State: "ready",
						DurationMS: 15000, CreatedAt: now, UpdatedAt: now}
					up := &db.UploadRow{ID: ids.New(), AccountID: creator.ID, VideoID: v.ID, Length: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
					if err := d.Videos().CreateWithUpload(ctx, v, up); err != nil {
						b.Fatal(err)
					}
					vids = append(vids, v.ID)
				}
				var rows []*db.EventRow
				at := now.Add(-48 * time.Hour)
				for p := range 2000 {
					vid, session := vids[p%len(vids)], fmt.Sprintf("s%d", p%300)
					for k, kind := range []string{"play_start", "progress", "progress", "progress", "skip"} {
						at = at.Add(time.Second)
						pos := int64(k) * 3000
						rows = append(rows, &db.EventRow{At: at, ClientAt: at, Kind: kind, SessionID: session, VideoID: vid,
							CreatorID: creator.ID, Feed: "for_you", WatchMS: pos, PositionMS: pos, DurationMS: 15000})
					}
					if p%2 == 0 {
						rows = append(rows, &db.EventRow{At: at, ClientAt: at, Kind: "like", VideoID: vid, CreatorID: creator.ID})
					} else {
						rows = append(rows, &db.EventRow{At: at, ClientAt: at, Kind: "follow", CreatorID: creator.ID})
					}
				}
				for start := 0; start < len(rows); start += 1000 {
					if _, err := d.Events().Append(ctx, rows[start:min(start+1000, len(rows))]); err != nil {
						b.Fatal(err)
					}
				}
				svc := analytics.New(analytics.Deps{Store: d.Analytics(), Videos: d.Videos(), Now: time.Now,
					Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Batch: 1000})
				b.StartTimer()
				t0 := time.Now()
				if err := svc.CatchUp(ctx); err != nil {
					b.Fatal(err)
				}
				folding += time.Since(t0)
				b.StopTimer()
				events += len(rows)
				hist, err := d.Analytics().Retention(ctx, creator.ID, vids[0])
				if err != nil || hist[0] != 2000/50 {
					b.Fatalf("retention of the first video counts %d plays (%v), want %d", hist[0], err, 2000/50)
				}
			}
			b.ReportMetric(float64(events)/folding.Seconds(), "events/s")
		})
	}
}
