package db_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// TestPruneHistory deletes old watch history from the event log and keeps what must stay:
// other kinds, events the analytics have not folded, events logged since the cutoff and the
// newest event of the log.
func TestPruneHistory(t *testing.T) {
	history := []string{"impression", "play_start", "progress", "like"}
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			c, vids := creatorWithVideos(t, d, id.NewGenerator(), "kept", 1)
			old := time.Date(2025, 1, 10, 12, 0, 0, 0, time.UTC)
			cutoff := old.Add(24 * time.Hour)
			follow := func(at time.Time) *db.EventRow {
				return &db.EventRow{At: at, ClientAt: at, Kind: "follow", SessionID: "s", CreatorID: c}
			}
			like := func(at time.Time) *db.EventRow {
				return &db.EventRow{At: at, ClientAt: at, Kind: "like", SessionID: "s", VideoID: vids[0], CreatorID: c}
			}
			appendEvents(t, d,
				watch("impression", "s", "", vids[0], c, old, 0), // seq 1
				watch("play_start", "s", "", vids[0], c, old, 0),
				follow(old), // seq 3: not history
				watch("progress", "s", "", vids[0], c, old.Add(time.Second), 4000),
				like(old.Add(2*time.Second)),                                    // seq 5
				watch("play_start", "s", "", vids[0], c, cutoff, 0),             // at the cutoff: stays
				watch("impression", "s", "", vids[0], c, old.Add(time.Hour), 0), // older, but after one that stays
			)
			seqs := func() []int64 {
				t.Helper()
				rows, err := d.Events().Since(ctx, 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				var out []int64
				for _, r := range rows {
					out = append(out, r.Seq)
				}
				return out
			}
			all := seqs()
			if len(all) != 7 {
				t.Fatalf("logged %v", all)
			}
			if n, err := d.Events().PruneHistory(ctx, history, cutoff, 1000); err != nil || n != 0 {
				t.Fatalf("before the analytics folded anything, pruned %d (%v), want 0", n, err)
			}
			foldAll(t, d, 1000)
			if n, err := d.Events().PruneHistory(ctx, history, cutoff, 2); err != nil || n != 2 {
				t.Fatalf("with a limit of 2, pruned %d (%v)", n, err)
			}
			if got, want := seqs(), []int64{all[2], all[3], all[4], all[5], all[6]}; !slices.Equal(got, want) {
				t.Fatalf("after the first two: %v, want %v", got, want)
			}
			if n, err := d.Events().PruneHistory(ctx, history, cutoff, 1000); err != nil || n != 2 {
				t.Fatalf("pruned %d (%v), want the progress and the like", n, err)
			}
			if got, want := seqs(), []int64{all[2], all[5], all[6]}; !slices.Equal(got, want) {
				t.Fatalf("left %v, want the follow and the events from the cutoff on %v", got, want)
			}
			if n, err := d.Events().PruneHistory(ctx, history, cutoff, 1000); err != nil || n != 0 {
				t.Fatalf("a second run pruned %d (%v)", n, err)
			}

			// Much later everything old may go, except the newest event, which a snapshot
			// may end with.
			later := cutoff.Add(30 * 24 * time.Hour)
			if n, err := d.Events().PruneHistory(ctx, history, later, 1000); err != nil || n != 1 {
				t.Fatalf("later, pruned %d (%v), want the play_start only", n, err)
			}
			if got, want := seqs(), []int64{all[2], all[6]}; !slices.Equal(got, want) {
				t.Fatalf("later, left %v, want the follow and the newest event %v", got, want)
			}
			// Events logged since are folded and then go too, up to the new newest.
			appendEvents(t, d, watch("impression", "s", "", vids[0], c, later, 0))
			foldAll(t, d, 1000)
			if n, err := d.Events().PruneHistory(ctx, history, later, 1000); err != nil || n != 1 {
				t.Fatalf("after one more event, pruned %d (%v)", n, err)
			}
			if got := seqs(); len(got) != 2 || got[0] != all[2] || got[1] <= all[6] {
				t.Fatalf("finally left %v, want the follow and the newest", got)
			}
		})
	}
}

// What an account took back before the cutoff goes with what it took back: a follow ended
// by an unfollow, a "not interested" mark undone. A follow and a mark still in force stay,
// and so does all of it that is younger than the cutoff.
func TestPruneHistoryDropsWhatWasTakenBack(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			ids := id.NewGenerator()
			c, vids := creatorWithVideos(t, d, ids, "creator", 2)
			other, _ := creatorWithVideos(t, d, ids, "other", 0)
			fan := newAccount(ids, "fan")
			if err := d.Accounts().Create(ctx, fan); err != nil {
				t.Fatal(err)
			}
			old := time.Date(2025, 1, 10, 12, 0, 0, 0, time.UTC)
			cutoff := old.Add(24 * time.Hour)
			ev := func(kind string, at time.Time, creator, target, video, hashtag string) *db.EventRow {
				r := &db.EventRow{At: at, ClientAt: at, Kind: kind, AccountID: fan.ID, CreatorID: creator, Target: target,
					VideoID: video, Hashtag: hashtag}
				return r
			}
			appendEvents(t, d,
				ev("follow", old, c, "", vids[0], ""),                // ended below: goes
				ev("not_interested", old, c, "video", vids[0], ""),   // undone below: goes
				ev("not_interested", old, "", "hashtag", "", "cats"), // undone below: goes
				ev("follow", old, other, "", "", ""),                 // in force: stays
				ev("not_interested", old, c, "creator", vids[1], ""), // in force: stays
				ev("unfollow", old.Add(time.Minute), c, "", "", ""),
				ev("not_interested_undo", old.Add(time.Minute), "", "video", vids[0], ""),
				ev("not_interested_undo", old.Add(time.Minute), "", "hashtag", "", "cats"),
				ev("follow", cutoff, c, "", "", ""),                  // after the cutoff: stays
				ev("unfollow", cutoff.Add(time.Hour), c, "", "", ""), // after the cutoff: stays, as the newest
			)
			foldAll(t, d, 1000)
			n, err := d.Events().PruneHistory(ctx, []string{"impression"}, cutoff, 1000)
			if err != nil || n != 6 {
				t.Fatalf("pruned %d (%v), want the ended follow, the two undone marks and what took them back", n, err)
			}
			rows, err := d.Events().Since(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, r := range rows {
				left = append(left, r.Kind+" "+r.Target+" "+r.At.Format("02"))
			}
			want := []string{"follow  10", "not_interested creator 10", "follow  11", "unfollow  11"}
			if !slices.Equal(left, want) {
				t.Fatalf("left %q, want %q", left, want)
			}
			creators, videos, tags, err := d.Feeds().Marks(ctx, fan.ID)
			if err != nil || !creators[c] || len(creators) != 1 || len(videos) != 0 || len(tags) != 0 {
				t.Fatalf("marks read from what is left: creators %v, videos %v, hashtags %v (%v)", creators, videos, tags, err)
			}
		})
	}
}
