package feed_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/feed"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// The Trending tab's ranking is computed once per refresh and shared, and computed again in
// the background while the old one still serves; pages carry what they served, so a
// ranking computed again between two pages brings its new videos without repeating any,
// and paging to the end shows every video once.
func TestTrendingPagesAcrossARefresh(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.TrendingRefresh = 30 * time.Second })
			ids := id.NewGenerator()
			now := a.Clock.Now()
			owner := &db.AccountRow{ID: ids.New(), Username: "owner", Role: "user", Region: "eu", State: "active",
				PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
			if err := a.DB.Accounts().Create(ctx, owner); err != nil {
				t.Fatal(err)
			}
			add := func(age time.Duration, lang string) string {
				t.Helper()
				return readyVideo(t, a, ids, owner.ID, a.Clock.Now().Add(-age), lang)
			}
			// Younger videos rank higher when nobody engaged yet.
			var en, de []string
			for i := range 5 {
				if i%2 == 0 {
					en = append(en, add(time.Duration(i+1)*time.Hour, "en"))
				} else {
					de = append(de, add(time.Duration(i+1)*time.Hour, "de"))
				}
			}
			everyone := func(_ context.Context, ids []string) (map[string]feed.Loaded, error) {
				out := map[string]feed.Loaded{}
				for _, id := range ids {
					out[id] = feed.Loaded{Owner: owner.ID}
				}
				return out, nil
			}
			viewer := feed.Viewer{Region: "eu", Language: "en"}
			page := func(cursor string) ([]string, []string, string) {
				t.Helper()
				p, err := a.Feed.Trending(ctx, viewer, cursor, 2, everyone)
				if err != nil {
					t.Fatal(err)
				}
				var got, reasons []string
				for _, it := range p.Items {
					got, reasons = append(got, it.VideoID), append(reasons, it.Reason)
				}
				return got, reasons, p.Next
			}

			first, reasons, next := page("")
			if !slices.Equal(first, en[:2]) || reasons[0] != "Popular in your language and region right now" {
				t.Fatalf("first page %v %q, want the two youngest English videos %v", first, reasons, en[:2])
			}
			fresh := add(0, "en") // would rank first, once the ranking is computed again
			second, _, next := page(next)
			if !slices.Equal(second, []string{en[2], de[0]}) {
				t.Fatalf("second page, same ranking: %v, want %v", second, []string{en[2], de[0]})
			}
			// Past the refresh, the ranking is served as it was while a new one is computed.
			a.Clock.Advance(31 * time.Second)
			if stale, _, _ := page(""); !slices.Equal(stale, en[:2]) {
				t.Fatalf("the first request past the refresh: %v, want the ranking as it was %v", stale, en[:2])
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if now, _, _ := page(""); len(now) > 0 && now[0] == fresh {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the ranking was not computed again in the background")
				}
			}
			third, _, next := page(next)
			if !slices.Equal(third, []string{fresh, de[1]}) {
				t.Fatalf("third page, after the refresh: %v, want the new video and then the rest %v", third, []string{fresh, de[1]})
			}
			if next != "" {
				if more, _, _ := page(next); len(more) != 0 {
					t.Fatalf("a fourth page repeats: %v", more)
				}
			}
			all := slices.Concat(first, second, third)
			slices.Sort(all)
			if want := slices.Sorted(slices.Values(slices.Concat(en, de, []string{fresh}))); !slices.Equal(all, want) {
				t.Fatalf("the pages showed %v, want every video once: %v", all, want)
			}

			// A ranking older than ten refreshes is not served: the request computes it.
			newest := add(0, "en")
			a.Clock.Advance(301 * time.Second)
			if got, _, _ := page(""); len(got) == 0 || got[0] != newest {
				t.Fatalf("long past the refresh: %v, want %s first", got, newest)
			}

			// A cursor of the offset pages older servers gave out starts again; a made-up one is refused.
			if again, _, _ := page("o4"); !slices.Equal(again, []string{newest, fresh}) {
				t.Fatalf("from an old offset cursor: %v", again)
			}
			if _, err := a.Feed.Trending(ctx, viewer, "not a cursor", 2, everyone); !errs.Is(err, errs.KindInvalid) {
				t.Fatalf("a made-up cursor: %v", err)
			}
		})
	}
}

// Videos a viewer may not see do not count against the videos the tab serves: with the top
// of the ranking hidden from the viewer, paging still reaches every video they may see.
func TestTrendingHiddenVideosDoNotEndTheTabEarly(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := testkit.NewAppNoWorkers(t, e, nil)
			ids := id.NewGenerator()
			now := a.Clock.Now()
			owner := func(name string) string {
				t.Helper()
				acc := &db.AccountRow{ID: ids.New(), Username: name, Role: "user", Region: "eu", State: "active",
					PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
				if err := a.DB.Accounts().Create(ctx, acc); err != nil {
					t.Fatal(err)
				}
				return acc.ID
			}
			hidden, shown := owner("hidden"), owner("shown")
			add := func(who string, age time.Duration) { readyVideo(t, a, ids, who, now.Add(-age), "") }
			// The 60 newest (so the top, as nobody engaged yet) are ones the viewer may not see.
			for i := range 60 {
				add(hidden, time.Duration(i+1)*time.Minute)
			}
			for i := range 280 {
				add(shown, time.Hour+time.Duration(i)*time.Minute)
			}
			visible := func(_ context.Context, ids []string) (map[string]feed.Loaded, error) {
				out := map[string]feed.Loaded{}
				for _, id := range ids {
					if v, err := a.DB.Videos().ByID(ctx, id); err == nil && v.AccountID == shown {
						out[id] = feed.Loaded{Owner: shown}
					}
				}
				return out, nil
			}
			seen := map[string]bool{}
			cursor := ""
			for range 30 {
				p, err := a.Feed.Trending(ctx, feed.Viewer{Region: "eu"}, cursor, 20, visible)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					if seen[it.VideoID] {
						t.Fatalf("%s came twice", it.VideoID)
					}
					seen[it.VideoID] = true
				}
				if cursor = p.Next; cursor == "" {
					break
				}
			}
			if len(seen) != 280 {
				t.Fatalf("the tab served %d videos, want all 280 the viewer may see", len(seen))
			}
		})
	}
}

// readyVideo stores a public video of the owner, ready at `at` and made then, straight in
// the database, and returns its ID.
func readyVideo(t *testing.T, a *testkit.TestApp, ids *id.Generator, owner string, at time.Time, lang string) string {
	t.Helper()
	v := &db.VideoRow{ID: ids.At(at), AccountID: owner, Caption: fmt.Sprint(at), Visibility: "public", State: "ready",
		CreatedAt: at, UpdatedAt: at, ReadyAt: at, Language: lang}
	up := &db.UploadRow{ID: ids.New(), AccountID: owner, VideoID: v.ID, Length: 1, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	if err := a.DB.Videos().CreateWithUpload(context.Background(), v, up); err != nil {
		t.Fatal(err)
	}
	return v.ID
}
