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

// TestFoldManyRows folds batches whose retention rows fill several statements (12 videos ×
// 21 buckets), so the prepared full-chunk statement and the shorter last one both run, twice
// over: the second fold must add to every row the first wrote.
func TestFoldManyRows(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			c, vids := creatorWithVideos(t, d, id.NewGenerator(), "many", 12)
			at := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
			for round := 1; round <= 2; round++ {
				var rows []*db.EventRow
				for i, v := range vids {
					session := fmt.Sprintf("r%d-s%d", round, i)
					rows = append(rows, watch("play_start", session, "", v, c, at, 0), watch("complete", session, "", v, c, at.Add(time.Second), 10000))
					at = at.Add(2 * time.Second)
				}
				appendEvents(t, d, rows...)
				if n := foldAll(t, d, 1000); n != len(rows) {
					t.Fatalf("round %d folded %d events, want %d", round, n, len(rows))
				}
				for _, v := range vids {
					hist, err := d.Analytics().Retention(ctx, c, v)
					if err != nil {
						t.Fatal(err)
					}
					for b, plays := range hist {
						if plays != int64(round) {
							t.Fatalf("round %d: video %s bucket %d counts %d plays, want %d", round, v, b, plays, round)
						}
					}
				}
			}
		})
	}
}
