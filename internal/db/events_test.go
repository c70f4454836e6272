package db_test

import (
	"context"
	"fmt"
	"sync"
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

// TestEventsAppendConcurrent sends many batches at once, as clients do; on SQLite they
// share commits. Each batch must still be all or nothing and report its own new events:
// keys sent by two batches are logged and counted once, and a batch that cannot be logged
// (it names an account that does not exist) fails alone without taking the others along.
func TestEventsAppendConcurrent(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			ids := id.NewGenerator()
			c, vids := creatorWithVideos(t, d, ids, "creator", 4)
			at := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
			const batches, perBatch = 40, 30
			type result struct {
				added int
				err   error
			}
			results := make([]result, batches)
			var wg sync.WaitGroup
			for b := range batches {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var rows []*db.EventRow
					for i := range perBatch {
						// Batch b repeats the second half of batch b-1's keys.
						key := fmt.Sprintf("key-%03d-%02d", b, i)
						if i >= perBatch/2 && b > 0 {
							key = fmt.Sprintf("key-%03d-%02d", b-1, i-perBatch/2)
						}
						row := &db.EventRow{At: at, ClientAt: at, Kind: "play_start", SessionID: "s", IdemKey: key,
							VideoID: vids[i%len(vids)], CreatorID: c, Feed: "for_you"}
						if b == batches/2 {
							row.IdemKey, row.AccountID = fmt.Sprintf("bad-%02d", i), ids.New() // no such account
						}
						rows = append(rows, row)
					}
					n, err := d.Events().Append(ctx, rows)
					results[b] = result{n, err}
				}()
			}
			wg.Wait()
			total := 0
			for b, r := range results {
				if b == batches/2 {
					if r.err == nil || r.added != 0 {
						t.Fatalf("the batch naming a missing account: added %d, err %v; want an error", r.added, r.err)
					}
					continue
				}
				if r.err != nil {
					t.Fatalf("batch %d: %v", b, r.err)
				}
				total += r.added
			}
			logged, err := d.Events().Since(ctx, 0, batches*perBatch)
			if err != nil {
				t.Fatal(err)
			}
			distinct := map[string]bool{}
			for _, e := range logged {
				if distinct[e.IdemKey] {
					t.Fatalf("key %s logged twice", e.IdemKey)
				}
				if e.AccountID != "" {
					t.Fatalf("an event of the failed batch was logged: %+v", e)
				}
				distinct[e.IdemKey] = true
			}
			if total != len(logged) {
				t.Fatalf("the batches reported %d new events, the log holds %d", total, len(logged))
			}
			// The first half of every good batch's keys is its own: all of them are logged.
			for b := range batches {
				if b == batches/2 {
					continue
				}
				for i := range perBatch / 2 {
					if k := fmt.Sprintf("key-%03d-%02d", b, i); !distinct[k] {
						t.Fatalf("key %s is missing from the log", k)
					}
				}
			}
			var views int64
			for _, v := range vids {
				st, err := d.Social().VideoStats(ctx, v)
				if err != nil {
					t.Fatal(err)
				}
				views += st.Views
			}
			if views != int64(len(logged)) {
				t.Fatalf("views %d, want one per logged play_start (%d)", views, len(logged))
			}
		})
	}
}
