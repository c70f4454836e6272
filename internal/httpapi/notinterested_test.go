package httpapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"kurz/internal/testkit"
)

// TestNotInterestedUndo is a viewer taking back "not interested" marks one by one: each
// undo leaves the others in place, is logged, and brings the video back to For You once no
// mark hides it. Undoing a mark one does not have, or naming no kind of mark, is refused
// and changes nothing.
func TestNotInterestedUndo(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := testkit.NewAppNoWorkers(t, e, nil)
			u := users(a, "chef", "nosy", "fan")
			dish := publish(t, a, u["chef"], map[string]string{"caption": "dish #pasta"})
			prank := publish(t, a, u["nosy"], map[string]string{"caption": "gotcha #prank"})
			batch := []ev{
				event("not_interested", "undo-video-01", prank),
				event("not_interested", "undo-maker-01", prank, "target", "creator"),
				{"kind": "not_interested", "key": "undo-tag-0001", "target": "hashtag", "hashtag": "#Prank",
					"at": time.Now().UTC().Format(time.RFC3339Nano), "feed": "for_you"},
			}
			if r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": batch}); r.Status != 200 {
				t.Fatalf("events: %d %s", r.Status, r.Body)
			}
			marks := func() string {
				t.Helper()
				r := u["fan"].Do("GET", "/api/v1/me/interests", nil)
				if r.Status != 200 {
					t.Fatalf("interests: %d %s", r.Status, r.Body)
				}
				c := r.JSON()["choices"].(map[string]any)
				return fmt.Sprint(c["not_interested_videos"], c["not_interested_accounts"], c["not_interested_hashtags"])
			}
			forYou := func() []string {
				t.Helper()
				ids, _ := feedIDs(t, u["fan"], "/api/v1/feed/for_you?limit=50")
				return ids
			}
			all := "[" + prank + "] [nosy] [prank]"
			if got := marks(); got != all {
				t.Fatalf("marks: %s, want %s", got, all)
			}
			if ids := forYou(); slices.Contains(ids, prank) || !slices.Contains(ids, dish) {
				t.Fatalf("For You with the marks: %v (prank %s, dish %s)", ids, prank, dish)
			}

			// Refused, and nothing changes.
			for name, tc := range map[string]struct {
				c      *testkit.Client
				path   string
				status int
				code   string
			}{
				"anonymous":              {a.Client(), "/api/v1/me/not-interested/hashtag/prank", 401, "login_required"},
				"no such kind of mark":   {u["fan"], "/api/v1/me/not-interested/song/prank", 400, "invalid_target"},
				"a video never marked":   {u["fan"], "/api/v1/me/not-interested/video/" + dish, 404, "not_marked"},
				"a malformed video id":   {u["fan"], "/api/v1/me/not-interested/video/..%2f", 404, "not_marked"},
				"a creator never marked": {u["fan"], "/api/v1/me/not-interested/creator/chef", 404, "not_marked"},
				"no such account":        {u["fan"], "/api/v1/me/not-interested/creator/nobody_here", 404, "not_marked"},
				"a hashtag never marked": {u["fan"], "/api/v1/me/not-interested/hashtag/pasta", 404, "not_marked"},
				"an empty hashtag":       {u["fan"], "/api/v1/me/not-interested/hashtag/%23", 400, "invalid_hashtag"},
				"someone else's mark":    {u["chef"], "/api/v1/me/not-interested/hashtag/prank", 404, "not_marked"},
			} {
				if r := tc.c.Do("DELETE", tc.path, nil); r.Status != tc.status || r.ErrorCode() != tc.code {
					t.Errorf("%s: %d %s, want %d %s", name, r.Status, r.Body, tc.status, tc.code)
				}
			}
			if got := marks(); got != all {
				t.Fatalf("marks after refused undos: %s", got)
			}

			// One at a time; the video stays hidden while any mark still covers it.
			for _, step := range []struct{ path, left string }{
				{"/api/v1/me/not-interested/creator/nosy", "[" + prank + "] [] [prank]"},
				{"/api/v1/me/not-interested/hashtag/%23PRANK", "[" + prank + "] [] []"},
			} {
				if r := u["fan"].Do("DELETE", step.path, nil); r.Status != 204 {
					t.Fatalf("DELETE %s: %d %s", step.path, r.Status, r.Body)
				}
				if got := marks(); got != step.left {
					t.Fatalf("after DELETE %s the marks are %s, want %s", step.path, got, step.left)
				}
				if slices.Contains(forYou(), prank) {
					t.Fatalf("after DELETE %s For You shows the video still marked", step.path)
				}
			}
			if r := u["fan"].Do("DELETE", "/api/v1/me/not-interested/video/"+prank, nil); r.Status != 204 {
				t.Fatalf("undo the video: %d %s", r.Status, r.Body)
			}
			if got := marks(); got != "[] [] []" {
				t.Fatalf("marks after undoing all: %s", got)
			}
			if !slices.Contains(forYou(), prank) {
				t.Fatal("the video does not come back to For You once no mark hides it")
			}
			if r := u["fan"].Do("DELETE", "/api/v1/me/not-interested/video/"+prank, nil); r.Status != 404 || r.ErrorCode() != "not_marked" {
				t.Fatalf("undoing twice: %d %s", r.Status, r.Body)
			}

			// Every undo is in the fan's watch history, as the export shows it.
			fanID := u["fan"].Do("GET", "/api/v1/me", nil).JSON()["id"].(string)
			h, err := a.DB.Events().History(ctx, fanID)
			if err != nil {
				t.Fatal(err)
			}
			var undone []string
			for _, x := range h {
				if x.Kind == "not_interested_undo" {
					undone = append(undone, x.Target)
				}
			}
			if fmt.Sprint(undone) != "[creator hashtag video]" {
				t.Fatalf("undos in the event log: %v", undone)
			}

			// Marking again after an undo holds again.
			again := []ev{{"kind": "not_interested", "key": "undo-tag-0002", "target": "hashtag", "hashtag": "prank",
				"at": time.Now().UTC().Format(time.RFC3339Nano), "feed": "for_you"}}
			if r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": again}); r.Status != 200 {
				t.Fatalf("mark again: %d %s", r.Status, r.Body)
			}
			if got := marks(); got != "[] [] [prank]" {
				t.Fatalf("marks after marking again: %s", got)
			}
			if slices.Contains(forYou(), prank) {
				t.Fatal("For You shows a video whose hashtag was marked again")
			}
		})
	}
}

// TestTrendingKeepsOutDismissed checks that the Trending tab keeps out, as For You does,
// what a viewer with personalisation on marked "not interested" (a video, a creator, a
// hashtag) and what they opened recently, while other viewers still see it all; and that
// with personalisation off it uses none of that.
func TestTrendingKeepsOutDismissed(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewAppNoWorkers(t, e, nil)
			u := users(a, "chef", "baker", "nosy", "fan", "other")
			if r := u["fan"].Do("GET", "/api/v1/feed/trending", nil); r.Status != 200 || r.JSON()["caught_up"] != nil {
				t.Fatalf("Trending of a server without videos: %d %s, want an empty page that does not say caught up", r.Status, r.Body)
			}
			dish := publish(t, a, u["chef"], map[string]string{"caption": "dish #pasta"})
			bread := publish(t, a, u["baker"], map[string]string{"caption": "bread #baking"})
			cake := publish(t, a, u["baker"], map[string]string{"caption": "cake #sweet"})
			prank := publish(t, a, u["nosy"], map[string]string{"caption": "gotcha #prank"})
			tagged := publish(t, a, u["chef"], map[string]string{"caption": "soup #prank"})
			all := []string{dish, bread, cake, prank, tagged}
			trending := func(c *testkit.Client) []string {
				t.Helper()
				ids, _ := feedIDs(t, c, "/api/v1/feed/trending")
				slices.Sort(ids)
				return ids
			}
			want := func(ids ...string) []string { return slices.Sorted(slices.Values(ids)) }
			if got := trending(u["fan"]); !slices.Equal(got, want(all...)) {
				t.Fatalf("before any mark the fan's Trending is %v, want all five %v", got, all)
			}
			batch := []ev{
				event("not_interested", "trend-maker-01", prank, "target", "creator"),
				{"kind": "not_interested", "key": "trend-tag-0001", "target": "hashtag", "hashtag": "#Prank",
					"at": time.Now().UTC().Format(time.RFC3339Nano), "feed": "trending"},
				event("not_interested", "trend-video-01", cake, "feed", "trending"),
				event("play_start", "trend-watch-01", bread, "feed", "trending"),
				event("complete", "trend-watch-02", bread, "feed", "trending", "watch_ms", 1000),
			}
			if r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": batch}); r.Status != 200 {
				t.Fatalf("events: %d %s", r.Status, r.Body)
			}
			if err := a.Feed.CatchUp(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := trending(u["fan"]); !slices.Equal(got, want(dish)) {
				t.Fatalf("after marking @nosy, #prank and the cake and watching the bread, the fan's Trending is %v, want only the dish %s", got, dish)
			}
			if got := trending(u["other"]); !slices.Equal(got, want(all...)) {
				t.Fatalf("another viewer's Trending is %v, want all five", got)
			}
			// Once the dish is watched too, the tab is empty and says the viewer is caught up.
			if r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": []ev{event("play_start", "trend-watch-03", dish, "feed", "trending")}}); r.Status != 200 {
				t.Fatalf("events: %d %s", r.Status, r.Body)
			}
			if err := a.Feed.CatchUp(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := u["fan"].Do("GET", "/api/v1/feed/trending", nil)
			if items, _ := r.JSON()["items"].([]any); r.Status != 200 || len(items) != 0 || r.JSON()["caught_up"] != true ||
				!strings.Contains(fmt.Sprint(r.JSON()["notice"]), "seen these videos recently") {
				t.Fatalf("Trending after the fan saw or dismissed every video: %d %s, want an empty page marked caught_up with a notice", r.Status, r.Body)
			}
			u["fan"].Do("PATCH", "/api/v1/me", map[string]any{"personalised": false})
			if got := trending(u["fan"]); !slices.Equal(got, want(all...)) {
				t.Fatalf("with personalisation off the fan's Trending is %v, want all five (nothing about the viewer used)", got)
			}
		})
	}
}
