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

// Trending ranks every public ready video of the region's last two weeks by decayed
// engagement rate, with its language, and leaves out the rest: other regions, private or
// older videos. Videos nobody reacted to come after every engaged one, newest first. No cap on how many it reads: the oldest video of the window still counts,
// also one whose upload began days before it became ready.
func TestTrendingRanksTheRegionsWindow(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := e.Open(t)
			ids := id.NewGenerator()
			here, there := newAccount(ids, "here"), newAccount(ids, "there")
			there.Region = "us"
			for _, a := range []*db.AccountRow{here, there} {
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			now := time.Now().UTC().Truncate(time.Millisecond)
			var addMade func(owner *db.AccountRow, made, age time.Duration, visibility, lang string) string
			add := func(owner *db.AccountRow, age time.Duration, visibility, lang string) string {
				t.Helper()
				return addMade(owner, age, age, visibility, lang)
			}
			addMade = func(owner *db.AccountRow, made, age time.Duration, visibility, lang string) string {
				t.Helper()
				at := now.Add(-age)
				v := &db.VideoRow{ID: ids.At(now.Add(-made)), AccountID: owner.ID, Caption: fmt.Sprint(age), Visibility: visibility, State: "ready",
					CreatedAt: at, UpdatedAt: at, ReadyAt: at, Language: lang}
				up := &db.UploadRow{ID: ids.New(), AccountID: owner.ID, VideoID: v.ID, Length: 1, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
				if err := d.Videos().CreateWithUpload(ctx, v, up); err != nil {
					t.Fatal(err)
				}
				return v.ID
			}
			day := 24 * time.Hour
			young := add(here, time.Hour, "public", "de")
			middle := add(here, 3*day, "public", "en")
			oldest := add(here, 13*day, "public", "")
			// Its upload began three days before it became ready, within the slack.
			late := addMade(here, 16*day, 13*day+time.Hour, "public", "")
			unseen := add(here, 30*time.Minute, "public", "en")
			unseenOlder := add(here, 2*day, "public", "en")
			add(here, 15*day, "public", "en") // outside the window
			add(here, 2*time.Hour, "private", "de")
			add(there, time.Hour, "public", "de") // another region
			pool := d.Pools()["writer"]
			if pool == nil {
				pool = d.Pools()["main"]
			}
			stats := func(video string, likes, comments, shares, views int) {
				t.Helper()
				if _, err := pool.ExecContext(ctx, d.Q(`INSERT INTO video_stats (video_id, likes, comments, shares, views) VALUES (?, ?, ?, ?, ?)`),
					video, likes, comments, shares, views); err != nil {
					t.Fatal(err)
				}
			}
			// Rates before the decay: young 10/20, middle 40/30, oldest and late 200/100;
			// halved per day of age that puts young, middle, oldest, late in that order.
			stats(young, 5, 0, 0, 10)
			stats(middle, 20, 0, 0, 20)
			stats(oldest, 100, 0, 0, 90)
			stats(late, 100, 0, 0, 90)
			stats(unseenOlder, 0, 0, 0, 50) // watched, nobody reacted
			got, err := d.Feeds().Trending(ctx, "eu", now, 3*day+time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			want := []db.TrendingVideo{{ID: young, Language: "de"}, {ID: middle, Language: "en"}, {ID: oldest}, {ID: late},
				{ID: unseen, Language: "en"}, {ID: unseenOlder, Language: "en"}}
			if len(got) != len(want) {
				t.Fatalf("ranking %+v, want %+v", got, want)
			}
			for i := range want {
				engaged := i < 4
				if got[i].ID != want[i].ID || got[i].Language != want[i].Language || (got[i].Score > 0) != engaged ||
					(engaged && i > 0 && got[i].Score >= got[i-1].Score) {
					t.Fatalf("place %d: %+v, want %+v (ranking %+v)", i, got[i], want[i], got)
				}
			}
		})
	}
}
