package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kurz/internal/analytics"
	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// watch is a client watch event of a viewer's session on a creator's 10-second video.
func watch(kind, session, viewer, video, creator string, at time.Time, positionMS int64) *db.EventRow {
	return &db.EventRow{At: at, ClientAt: at, Kind: kind, AccountID: viewer, SessionID: session, VideoID: video, CreatorID: creator,
		Feed: "for_you", WatchMS: positionMS, PositionMS: positionMS, DurationMS: 10000}
}

func appendEvents(t *testing.T, d *db.DB, rows ...*db.EventRow) {
	t.Helper()
	if _, err := d.Events().Append(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}

func foldAll(t *testing.T, d *db.DB, batch int) int {
	t.Helper()
	total := 0
	for {
		n, err := d.Analytics().Fold(context.Background(), batch, 6*time.Hour, analytics.Fold(6*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// creatorWithVideos makes an account with n videos: view counts need real videos.
func creatorWithVideos(t *testing.T, d *db.DB, ids *id.Generator, name string, n int) (string, []string) {
	t.Helper()
	a := newAccount(ids, name)
	if err := d.Accounts().Create(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	var vids []string
	for i := range n {
		vids = append(vids, addVideo(t, d, ids, a.ID, fmt.Sprintf("clip %d", i)))
	}
	return a.ID, vids
}

// erasureCast makes the accounts of the erasure tests: gone (to be erased), fan, and other,
// with a video each for gone and other.
func erasureCast(t *testing.T, d *db.DB) (gone, fan, other *db.AccountRow, goneVid, otherVid string) {
	t.Helper()
	ids := id.NewGenerator()
	gone, fan, other = newAccount(ids, "gone"), newAccount(ids, "fan"), newAccount(ids, "other")
	for _, a := range []*db.AccountRow{gone, fan, other} {
		if err := d.Accounts().Create(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	return gone, fan, other, addVideo(t, d, ids, gone.ID, "mine"), addVideo(t, d, ids, other.ID, "theirs")
}

func TestAnalyticsStore(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			day := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
			dayNo := analytics.DayOf(day)

			t.Run("a failed fold writes nothing and the next folds each event once", func(t *testing.T) {
				d := e.Open(t)
				ctx := context.Background()
				c1, vids := creatorWithVideos(t, d, id.NewGenerator(), "c1", 1)
				v1 := vids[0]
				appendEvents(t, d,
					watch("play_start", "s1", "", v1, c1, day, 0),
					watch("progress", "s1", "", v1, c1, day, 5000),
					watch("play_start", "s2", "", v1, c1, day, 0),
					&db.EventRow{At: day, ClientAt: day, Kind: "share", VideoID: v1, CreatorID: c1})
				boom := errors.New("the process died half-way")
				var folded int
				_, err := d.Analytics().Fold(ctx, 100, 6*time.Hour, func(ctx context.Context, ev []*db.EventRow, load db.PlayLoader) (*db.AnalyticsDelta, error) {
					delta, err := analytics.Fold(6*time.Hour)(ctx, ev, load)
					folded = len(delta.VideoDays)
					return delta, errors.Join(err, boom)
				})
				if !errors.Is(err, boom) || folded == 0 {
					t.Fatalf("fold error %v after computing %d rows", err, folded)
				}
				if c, _ := d.Analytics().Cursor(ctx); c != 0 {
					t.Fatalf("cursor moved to %d by a failed fold", c)
				}
				if rows, _ := d.Analytics().CreatorDays(ctx, c1, dayNo, dayNo); len(rows) != 0 {
					t.Fatalf("a failed fold left aggregates: %+v", rows)
				}
				if pending, err := d.Analytics().Pending(ctx); err != nil || !pending {
					t.Fatalf("pending %v, %v", pending, err)
				}
				if n := foldAll(t, d, 3); n != 4 {
					t.Fatalf("folded %d events, want 4", n)
				}
				if n := foldAll(t, d, 3); n != 0 {
					t.Fatalf("folded %d events again", n)
				}
				if pending, err := d.Analytics().Pending(ctx); err != nil || pending {
					t.Fatalf("pending after catching up: %v, %v", pending, err)
				}
				rows, err := d.Analytics().CreatorDays(ctx, c1, dayNo-1, dayNo+1)
				if err != nil || len(rows) != 1 {
					t.Fatalf("days %+v, %v", rows, err)
				}
				if r := rows[0]; r.Day != dayNo || r.Views != 2 || r.Plays != 2 || r.Shares != 1 || r.WatchMS != 5000 {
					t.Fatalf("day totals %+v", r)
				}
			})

			t.Run("two tailers fold every event exactly once", func(t *testing.T) {
				d := e.Open(t)
				ctx := context.Background()
				c1, vids := creatorWithVideos(t, d, id.NewGenerator(), "c1", 4)
				var rows []*db.EventRow
				for i := range 120 {
					s := fmt.Sprintf("s%d", i%9)
					rows = append(rows, watch("play_start", s, "", vids[i%4], c1, day, 0),
						watch("progress", s, "", vids[i%4], c1, day, int64(1000+i*50)))
				}
				appendEvents(t, d, rows...)
				var wg sync.WaitGroup
				counts := make([]int, 2)
				for w := range counts {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							n, err := d.Analytics().Fold(ctx, 7, 6*time.Hour, analytics.Fold(6*time.Hour))
							if err != nil {
								t.Error(err)
								return
							}
							if n == 0 {
								return
							}
							counts[w] += n
						}
					}()
				}
				wg.Wait()
				if counts[0]+counts[1] != len(rows) {
					t.Fatalf("tailers folded %v events, want %d in all", counts, len(rows))
				}
				got, err := d.Analytics().CreatorDays(ctx, c1, dayNo, dayNo)
				if err != nil || len(got) != 1 || got[0].Views != 120 || got[0].Plays != 120 {
					t.Fatalf("days %+v, %v", got, err)
				}
				var watched int64
				for i := range 120 {
					watched += int64(1000 + i*50)
				}
				if got[0].WatchMS != watched {
					t.Fatalf("watch time %d, want %d", got[0].WatchMS, watched)
				}
			})

			t.Run("a play that spans batches counts once in the retention histogram", func(t *testing.T) {
				d := e.Open(t)
				ctx := context.Background()
				c1, vids := creatorWithVideos(t, d, id.NewGenerator(), "c1", 1)
				v1 := vids[0]
				appendEvents(t, d,
					watch("play_start", "s1", "", v1, c1, day, 0),
					watch("progress", "s1", "", v1, c1, day.Add(time.Second), 2600),
					watch("progress", "s1", "", v1, c1, day.Add(2*time.Second), 2500),
					watch("progress", "s1", "", v1, c1, day.Add(3*time.Second), 5100),
					watch("skip", "s1", "", v1, c1, day.Add(4*time.Second), 5200))
				// One event per transaction: the play in progress lives in the database between them.
				if n := foldAll(t, d, 1); n != 5 {
					t.Fatalf("folded %d", n)
				}
				hist, err := d.Analytics().Retention(ctx, c1, v1)
				if err != nil {
					t.Fatal(err)
				}
				// 5200 of 10000 ms: buckets 0 (the play) through 10 (50%).
				for b, n := range hist {
					want := int64(0)
					if b <= 10 {
						want = 1
					}
					if n != want {
						t.Fatalf("bucket %d holds %d plays, want %d (histogram %v)", b, n, want, hist)
					}
				}
				days, _ := d.Analytics().VideoDays(ctx, c1, v1, dayNo, dayNo)
				if len(days) != 1 || days[0].WatchMS != 5200 || days[0].Plays != 1 {
					t.Fatalf("video days %+v", days)
				}
			})

			t.Run("a play idle longer than the TTL, in log time, has ended", func(t *testing.T) {
				d := e.Open(t)
				ctx := context.Background()
				c1, vids := creatorWithVideos(t, d, id.NewGenerator(), "c1", 1)
				// An old log replayed today: the gap between the events decides, not the clock.
				old := day.AddDate(-1, 0, 0)
				appendEvents(t, d,
					watch("play_start", "s1", "", vids[0], c1, old, 0),
					watch("progress", "s1", "", vids[0], c1, old.Add(time.Minute), 3000),
					watch("progress", "s1", "", vids[0], c1, old.Add(5*time.Hour), 6000),
					watch("progress", "s1", "", vids[0], c1, old.Add(12*time.Hour), 1000))
				if n := foldAll(t, d, 1); n != 4 {
					t.Fatalf("folded %d", n)
				}
				rows, err := d.Analytics().VideoDays(ctx, c1, vids[0], analytics.DayOf(old), analytics.DayOf(old)+1)
				var plays, watched int64
				for _, r := range rows {
					plays += r.Plays
					watched += r.WatchMS
				}
				// The first play reached 6 s within five hours; seven idle hours later a new one began.
				if err != nil || plays != 2 || watched != 6000+1000 {
					t.Fatalf("plays %d, watch %d ms (%v)", plays, watched, err)
				}
			})

			t.Run("follower growth per day", func(t *testing.T) {
				d := e.Open(t)
				ctx := context.Background()
				follow := func(kind string, at time.Time) *db.EventRow {
					return &db.EventRow{At: at, ClientAt: at, Kind: kind, CreatorID: "c1"}
				}
				appendEvents(t, d, follow("follow", day), follow("follow", day), follow("unfollow", day),
					follow("follow", day.Add(24*time.Hour)))
				foldAll(t, d, 100)
				got, err := d.Analytics().FollowerDays(ctx, "c1", dayNo, dayNo+1)
				if err != nil || len(got) != 2 {
					t.Fatalf("follower days %+v, %v", got, err)
				}
				if got[0].Follows != 2 || got[0].Unfollows != 1 || got[1].Day != dayNo+1 || got[1].Follows != 1 {
					t.Fatalf("follower days %+v", got)
				}
			})

			t.Run("erasure drops the creator's aggregates and plays, and keeps others'", func(t *testing.T) {
				d := e.Open(t)
				ctx := context.Background()
				gone, fan, other, goneVid, otherVid := erasureCast(t, d)
				appendEvents(t, d,
					watch("play_start", "fan-session", fan.ID, goneVid, gone.ID, day, 0),
					watch("progress", "fan-session", fan.ID, goneVid, gone.ID, day, 4000),
					&db.EventRow{At: day, ClientAt: day, Kind: "follow", AccountID: fan.ID, CreatorID: gone.ID},
					watch("play_start", "gone-session", gone.ID, otherVid, other.ID, day, 0),
					watch("progress", "gone-session", gone.ID, otherVid, other.ID, day, 3000))
				foldAll(t, d, 100)
				if err := d.Analytics().EraseAccount(ctx, gone.ID); err != nil {
					t.Fatal(err)
				}
				if err := d.Analytics().EraseAccount(ctx, gone.ID); err != nil {
					t.Fatalf("erasing twice: %v", err)
				}
				if rows, _ := d.Analytics().CreatorDays(ctx, gone.ID, dayNo, dayNo); len(rows) != 0 {
					t.Fatalf("the erased creator's days remain: %+v", rows)
				}
				if h, _ := d.Analytics().Retention(ctx, gone.ID, goneVid); h[0] != 0 {
					t.Fatalf("the erased creator's retention remains: %v", h)
				}
				if f, _ := d.Analytics().FollowerDays(ctx, gone.ID, dayNo, dayNo); len(f) != 0 {
					t.Fatalf("the erased creator's follower days remain: %+v", f)
				}
				// What the erased account watched stays in the other creator's numbers,
				// which say nothing about who watched.
				rows, _ := d.Analytics().CreatorDays(ctx, other.ID, dayNo, dayNo)
				if len(rows) != 1 || rows[0].Plays != 1 || rows[0].WatchMS != 3000 {
					t.Fatalf("the other creator's days changed: %+v", rows)
				}
				var leftover []string
				err := d.TableRows(ctx, func(table, row string) error {
					if (strings.HasPrefix(table, "analytics_") || table == "events") && strings.Contains(row, gone.ID) {
						leftover = append(leftover, table+": "+row)
					}
					return nil
				})
				if err != nil || len(leftover) > 0 {
					t.Fatalf("rows naming the erased account remain (%v): %v", err, leftover)
				}
				// A fold after the erasure has nothing of the account's to bring back.
				if n := foldAll(t, d, 100); n != 0 {
					t.Fatalf("folded %d events after erasure", n)
				}
			})
		})
	}
}

// An erasure that lands between a fold reading its batch and writing it is not undone: the
// fold sees that events of its batch are gone and reads the batch again.
func TestAnalyticsFoldAfterAnErasureMidway(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			d := e.Open(t) // not parallel: the seam is package-wide
			ctx := context.Background()
			day := time.Now().UTC().Add(-time.Hour)
			dayNo := analytics.DayOf(day)
			gone, fan, other, goneVid, otherVid := erasureCast(t, d)
			appendEvents(t, d,
				watch("play_start", "fan-session", fan.ID, goneVid, gone.ID, day, 0),
				watch("progress", "fan-session", fan.ID, goneVid, gone.ID, day, 4000),
				watch("play_start", "fan-session", fan.ID, otherVid, other.ID, day, 0),
				watch("progress", "fan-session", fan.ID, otherVid, other.ID, day, 3000))
			erased := 0
			db.SetFoldRead(t, func() {
				if erased++; erased == 1 {
					if err := d.Analytics().EraseAccount(ctx, gone.ID); err != nil {
						t.Error(err)
					}
				}
			})
			foldAll(t, d, 100)
			if erased == 0 {
				t.Fatal("the fold never read a batch")
			}
			if rows, _ := d.Analytics().CreatorDays(ctx, gone.ID, dayNo, dayNo); len(rows) != 0 {
				t.Fatalf("the fold brought back the erased creator's days: %+v", rows)
			}
			if h, _ := d.Analytics().Retention(ctx, gone.ID, goneVid); h[0] != 0 {
				t.Fatalf("the fold brought back the erased creator's retention: %v", h)
			}
			rows, _ := d.Analytics().CreatorDays(ctx, other.ID, dayNo, dayNo)
			if len(rows) != 1 || rows[0].Plays != 1 || rows[0].WatchMS != 3000 {
				t.Fatalf("the other creator's days: %+v", rows)
			}
		})
	}
}
