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

// TestEventsAppend checks the log's idempotency and the view counter derived from it: keys
// repeated in a batch, across batches and across the statements of a long batch are logged
// once, and only the play_starts logged count as views.
func TestEventsAppend(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			c, vids := creatorWithVideos(t, d, id.NewGenerator(), "creator", 3)
			at := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
			ev := func(kind, key, video string) *db.EventRow {
				return &db.EventRow{At: at, ClientAt: at, Kind: kind, SessionID: "s1", IdemKey: key, VideoID: video, CreatorID: c,
					Feed: "for_you", DurationMS: 10000}
			}
			views := func(video string) int64 {
				t.Helper()
				st, err := d.Social().VideoStats(ctx, video)
				if err != nil {
					t.Fatal(err)
				}
				return st.Views
			}
			added, err := d.Events().Append(ctx, []*db.EventRow{
				ev("play_start", "key-a-0001", vids[0]),
				ev("play_start", "key-a-0001", vids[0]), // the same key again in the batch
				ev("progress", "key-a-0002", vids[0]),
				ev("play_start", "key-b-0001", vids[1]),
				ev("impression", "key-c-0001", vids[2]),
			})
			if err != nil {
				t.Fatal(err)
			}
			if added != 4 {
				t.Fatalf("first batch added %d events, want 4", added)
			}
			if got := [3]int64{views(vids[0]), views(vids[1]), views(vids[2])}; got != [3]int64{1, 1, 0} {
				t.Fatalf("views after the first batch %v, want [1 1 0]", got)
			}

			// A resent batch with one new play_start: only that one is logged and counted.
			added, err = d.Events().Append(ctx, []*db.EventRow{
				ev("play_start", "key-a-0001", vids[0]),
				ev("play_start", "key-b-0001", vids[1]),
				ev("play_start", "key-b-0002", vids[1]),
			})
			if err != nil {
				t.Fatal(err)
			}
			if added != 1 {
				t.Fatalf("resent batch added %d events, want 1", added)
			}
			if got := [3]int64{views(vids[0]), views(vids[1]), views(vids[2])}; got != [3]int64{1, 2, 0} {
				t.Fatalf("views after the resent batch %v, want [1 2 0]", got)
			}

			// A batch longer than one statement, with server events (no key) and a repeat
			// of a key from an earlier statement of the same batch.
			var long []*db.EventRow
			for i := range 450 {
				long = append(long, ev("play_start", fmt.Sprintf("key-long-%04d", i), vids[2]))
			}
			long = append(long, ev("play_start", "key-long-0003", vids[2]), ev("play_start", "key-a-0001", vids[0]))
			long = append(long, &db.EventRow{At: at, ClientAt: at, Kind: "like", VideoID: vids[2], CreatorID: c},
				&db.EventRow{At: at, ClientAt: at, Kind: "like", VideoID: vids[2], CreatorID: c})
			added, err = d.Events().Append(ctx, long)
			if err != nil {
				t.Fatal(err)
			}
			if added != 452 {
				t.Fatalf("long batch added %d events, want 452", added)
			}
			if got := [3]int64{views(vids[0]), views(vids[1]), views(vids[2])}; got != [3]int64{1, 2, 450} {
				t.Fatalf("views after the long batch %v, want [1 2 450]", got)
			}
			logged, err := d.Events().Since(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(logged) != 4+1+452 {
				t.Fatalf("the log holds %d events, want %d", len(logged), 4+1+452)
			}
			for i := 1; i < len(logged); i++ {
				if logged[i].Seq <= logged[i-1].Seq {
					t.Fatalf("seq does not grow at %d: %d after %d", i, logged[i].Seq, logged[i-1].Seq)
				}
			}
			if logged[0].IdemKey != "key-a-0001" || logged[4].IdemKey != "key-b-0002" || logged[5].IdemKey != "key-long-0000" ||
				logged[454].IdemKey != "key-long-0449" {
				t.Fatalf("the log is not in batch order: %q %q %q %q", logged[0].IdemKey, logged[4].IdemKey, logged[5].IdemKey, logged[454].IdemKey)
			}
		})
	}
}
