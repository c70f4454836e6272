package analytics_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"kurz/internal/analytics"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/policy"
	"kurz/internal/testkit"
)

func TestBucket(t *testing.T) {
	cases := []struct {
		pos, dur int64
		want     int
	}{
		{0, 10000, 0}, {499, 10000, 0}, {500, 10000, 1}, {5000, 10000, 10}, {9999, 10000, 19}, {10000, 10000, 20},
		{12000, 10000, 20}, {-5, 10000, 0}, {100, 0, -1}, {1, 3, 6}, {2, 3, 13},
	}
	for _, c := range cases {
		if got := analytics.Bucket(c.pos, c.dur); got != c.want {
			t.Errorf("Bucket(%d, %d) = %d, want %d", c.pos, c.dur, got, c.want)
		}
	}
}

func TestDays(t *testing.T) {
	at := time.Date(2025, 3, 10, 23, 59, 59, 0, time.UTC)
	d := analytics.DayOf(at)
	if !analytics.DayStart(d).Equal(time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("day %d starts %v", d, analytics.DayStart(d))
	}
	if analytics.DayOf(at.Add(time.Second)) != d+1 {
		t.Fatal("midnight UTC does not start the next day")
	}
	if before := analytics.DayOf(time.Unix(-1, 0)); before != -1 {
		t.Fatalf("the second before 1970 is day %d", before)
	}
}

type fixture struct {
	d       *db.DB
	svc     *analytics.Service
	now     time.Time
	creator policy.Viewer
	other   policy.Viewer
	staff   policy.Viewer
	vids    []string
	durs    []int64
}

func newFixture(t *testing.T, e testkit.Engine) *fixture {
	t.Helper()
	d := e.Open(t)
	ctx := context.Background()
	ids := id.NewGenerator()
	f := &fixture{d: d, now: time.Date(2025, 3, 10, 15, 0, 0, 0, time.UTC)}
	mk := func(name, role string) policy.Viewer {
		now := time.Now().UTC()
		a := &db.AccountRow{ID: ids.New(), Username: name, Role: role, Region: "eu", State: "active", Personalised: true,
			PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
		if err := d.Accounts().Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		return policy.Viewer{AccountID: a.ID, Role: policy.Role(role)}
	}
	f.creator, f.other, f.staff = mk("creator", "user"), mk("other", "user"), mk("boss", "admin")
	for i, dur := range []int64{10000, 20000} {
		now := time.Now().UTC()
		v := &db.VideoRow{ID: ids.New(), AccountID: f.creator.AccountID, Caption: fmt.Sprintf("clip %d", i), Visibility: "public",
			State: "ready", DurationMS: dur, CreatedAt: now, UpdatedAt: now}
		up := &db.UploadRow{ID: ids.New(), AccountID: v.AccountID, VideoID: v.ID, Length: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := d.Videos().CreateWithUpload(ctx, v, up); err != nil {
			t.Fatal(err)
		}
		f.vids, f.durs = append(f.vids, v.ID), append(f.durs, dur)
	}
	f.svc = analytics.New(analytics.Deps{Store: d.Analytics(), Videos: d.Videos(), Now: func() time.Time { return f.now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Batch: 4})
	return f
}

// play appends one viewing: play_start from a feed, then progress events at the given
// positions, then skip or complete.
func (f *fixture) play(t *testing.T, at time.Time, session string, video int, feed string, end string, positions ...int64) {
	t.Helper()
	vid, dur := f.vids[video], f.durs[video]
	ev := func(kind string, pos int64) *db.EventRow {
		at = at.Add(time.Second)
		return &db.EventRow{At: at, ClientAt: at, Kind: kind, SessionID: session, VideoID: vid, CreatorID: f.creator.AccountID,
			Feed: feed, WatchMS: pos, PositionMS: pos, DurationMS: dur}
	}
	rows := []*db.EventRow{ev("play_start", 0)}
	last := int64(0)
	for _, p := range positions {
		rows = append(rows, ev("progress", p))
		last = p
	}
	switch end {
	case "skip":
		rows = append(rows, ev("skip", last))
	case "complete":
		// A looping player reports completion as the position wraps to the start.
		rows = append(rows, ev("complete", 0))
	}
	if _, err := f.d.Events().Append(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestReports(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e)
			ctx := context.Background()
			today := f.now.Add(-3 * time.Hour)
			yesterday := today.Add(-24 * time.Hour)
			longAgo := today.Add(-40 * 24 * time.Hour)
			// Video 0 (10 s): four plays. Furthest positions 2.4 s, 5 s, the end, 7.6 s.
			f.play(t, today, "a", 0, "for_you", "skip", 1000, 2400)
			f.play(t, today, "b", 0, "for_you", "skip", 2500, 5000)
			f.play(t, yesterday, "c", 0, "following", "complete", 2500, 5000, 7500)
			f.play(t, longAgo, "d", 0, "", "skip", 7600)
			// Video 1 (20 s): one play to the end.
			f.play(t, today, "e", 1, "trending", "complete", 5000, 10000, 15000)
			if _, err := f.d.Events().Append(ctx, []*db.EventRow{
				{At: today, ClientAt: today, Kind: "like", VideoID: f.vids[0], CreatorID: f.creator.AccountID},
				{At: today, ClientAt: today, Kind: "like", VideoID: f.vids[0], CreatorID: f.creator.AccountID},
				{At: today, ClientAt: today, Kind: "unlike", VideoID: f.vids[0], CreatorID: f.creator.AccountID},
				{At: today, ClientAt: today, Kind: "comment", VideoID: f.vids[1], CreatorID: f.creator.AccountID},
				{At: today, ClientAt: today, Kind: "follow", AccountID: f.other.AccountID, CreatorID: f.creator.AccountID},
				{At: yesterday, ClientAt: yesterday, Kind: "follow", CreatorID: f.creator.AccountID},
				{At: yesterday, ClientAt: yesterday, Kind: "unfollow", CreatorID: f.creator.AccountID},
			}); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}

			t.Run("a video's report", func(t *testing.T) {
				r, err := f.svc.Video(ctx, f.creator, f.vids[0], 7)
				if err != nil {
					t.Fatal(err)
				}
				// The 7-day window holds three plays: 2.4 s, 5 s and 10 s watched.
				if r.Views != 3 || r.Plays != 3 || r.WatchMS != 2400+5000+10000 || r.Completes != 1 {
					t.Fatalf("totals %+v", r.Totals)
				}
				if r.AvgWatchMS != (2400+5000+10000)/3 || !near(r.CompletionRate, 1.0/3) || r.Likes != 1 {
					t.Fatalf("averages %+v", r.Totals)
				}
				if len(r.PerDay) != 7 || r.PerDay[6].Plays != 2 || r.PerDay[5].Plays != 1 || r.PerDay[0].Plays != 0 {
					t.Fatalf("per day %+v", r.PerDay)
				}
				if !r.PerDay[6].Date.Equal(analytics.DayStart(analytics.DayOf(f.now))) {
					t.Fatalf("the last day is %v, not today", r.PerDay[6].Date)
				}
				if len(r.Traffic) != 2 || r.Traffic[0].Feed != "for_you" || r.Traffic[0].Plays != 2 || !near(r.Traffic[0].Share, 2.0/3) ||
					r.Traffic[1].Feed != "following" {
					t.Fatalf("traffic %+v", r.Traffic)
				}
				// Retention covers the video's whole life: four plays reaching 24%, 50%,
				// 100% and 76%.
				if r.RetentionPlays != 4 {
					t.Fatalf("retention drawn from %d plays", r.RetentionPlays)
				}
				for b, got := range r.Retention {
					reached := 0
					for _, furthest := range []int64{2400, 5000, 10000, 7600} {
						if furthest*20 >= int64(b)*10000 {
							reached++
						}
					}
					if !near(got, float64(reached)/4) {
						t.Fatalf("retention at %d%%: %v, want %v (curve %v)", b*5, got, float64(reached)/4, r.Retention)
					}
				}
			})

			t.Run("the longer window reaches back further", func(t *testing.T) {
				r, err := f.svc.Video(ctx, f.creator, f.vids[0], 90)
				if err != nil {
					t.Fatal(err)
				}
				if r.Plays != 4 || len(r.PerDay) != 90 {
					t.Fatalf("90 days: %d plays over %d days", r.Plays, len(r.PerDay))
				}
				var other int64
				for _, tr := range r.Traffic {
					if tr.Feed == "other" {
						other = tr.Plays
					}
				}
				if other != 1 {
					t.Fatalf("a play without a feed counts as other: %+v", r.Traffic)
				}
			})

			t.Run("the account overview", func(t *testing.T) {
				o, err := f.svc.Account(ctx, f.creator, 28)
				if err != nil {
					t.Fatal(err)
				}
				if o.Plays != 4 || o.Views != 4 || o.WatchMS != 2400+5000+10000+20000 || o.Comments != 1 || o.Likes != 1 {
					t.Fatalf("totals %+v", o.Totals)
				}
				if o.Follows != 2 || o.Unfollows != 1 || o.PerDay[27].Follows != 1 || o.PerDay[26].Unfollows != 1 {
					t.Fatalf("followers +%d -%d, per day %+v", o.Follows, o.Unfollows, o.PerDay[26:])
				}
				if len(o.Top) != 2 || o.Top[0].VideoID != f.vids[0] || o.Top[0].Views != 3 || o.Top[1].Caption != "clip 1" {
					t.Fatalf("top videos %+v", o.Top)
				}
				if len(o.Traffic) != 3 {
					t.Fatalf("traffic %+v", o.Traffic)
				}
			})

			t.Run("only the owner reads them", func(t *testing.T) {
				for name, v := range map[string]policy.Viewer{"another account": f.other, "an administrator": f.staff} {
					if _, err := f.svc.Video(ctx, v, f.vids[0], 7); !errs.Is(err, errs.KindNotFound) {
						t.Errorf("%s: %v", name, err)
					}
				}
				if _, err := f.svc.Video(ctx, policy.Viewer{}, f.vids[0], 7); !errs.Is(err, errs.KindUnauthenticated) {
					t.Errorf("anonymous: %v", err)
				}
				if _, err := f.svc.Account(ctx, policy.Viewer{}, 7); !errs.Is(err, errs.KindUnauthenticated) {
					t.Errorf("anonymous overview: %v", err)
				}
				o, err := f.svc.Account(ctx, f.other, 7)
				if err != nil || o.Plays != 0 || len(o.Top) != 0 {
					t.Errorf("another account sees its own, empty overview: %+v, %v", o, err)
				}
			})

			t.Run("windows other than 7, 28 and 90 days are refused", func(t *testing.T) {
				for _, days := range []int{0, 1, 30, -7, 365} {
					if _, err := f.svc.Account(ctx, f.creator, days); !errs.Is(err, errs.KindInvalid) {
						t.Errorf("%d days: %v", days, err)
					}
					if _, err := f.svc.Video(ctx, f.creator, f.vids[0], days); !errs.Is(err, errs.KindInvalid) {
						t.Errorf("%d days on a video: %v", days, err)
					}
				}
			})
		})
	}
}
