package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"kurz/internal/testkit"
)

type ev map[string]any

func event(kind, key, video string, extra ...any) ev {
	e := ev{"kind": kind, "key": key, "at": time.Now().UTC().Format(time.RFC3339Nano), "video_id": video, "feed": "for_you"}
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i].(string)] = extra[i+1]
	}
	return e
}

func feedIDs(t *testing.T, c *testkit.Client, path string) ([]string, map[string]any) {
	t.Helper()
	r := c.Do("GET", path, nil)
	if r.Status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	page := r.JSON()
	var ids []string
	for _, it := range page["items"].([]any) {
		m := it.(map[string]any)
		ids = append(ids, m["id"].(string))
		if reason, _ := m["reason"].(map[string]any); reason == nil || reason["text"] == "" || reason["source"] == "" {
			t.Errorf("item without a reason: %v", m["reason"])
		}
	}
	return ids, page
}

func TestEventsAndFeeds(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewAppNoWorkers(t, e, nil)
			ctx := context.Background()
			u := users(a, "cre", "fan", "other", "shy")
			var vids []string
			for i := 0; i < 3; i++ {
				vids = append(vids, publish(t, a, u["cre"], map[string]string{"caption": fmt.Sprintf("clip %d #cats", i)}))
			}
			otherVid := publish(t, a, u["other"], map[string]string{"caption": "dogs #dogs"})
			shyVid := publish(t, a, u["shy"], map[string]string{"caption": "secret", "visibility": "private"})
			followersVid := publish(t, a, u["cre"], map[string]string{"caption": "for my followers", "visibility": "followers"})

			t.Run("bad batches are refused whole", func(t *testing.T) {
				good := event("play_start", "goodkey-0001", vids[0])
				cases := []struct {
					name   string
					batch  []ev
					status int
					code   string
				}{
					{"unknown kind", []ev{good, event("teleport", "key-00000002", vids[0])}, 400, "unknown_kind"},
					{"server-side kind", []ev{good, event("like", "key-00000003", vids[0])}, 400, "server_recorded_kind"},
					{"far past", []ev{good, {"kind": "impression", "key": "key-00000004", "video_id": vids[0], "at": "2020-01-01T00:00:00Z"}}, 400, "invalid_time"},
					{"far future", []ev{good, {"kind": "impression", "key": "key-00000005", "video_id": vids[0], "at": time.Now().Add(48 * time.Hour).Format(time.RFC3339)}}, 400, "invalid_time"},
					{"watch beyond duration x loops", []ev{good, event("progress", "key-00000006", vids[0], "watch_ms", 60000, "loops", 2)}, 400, "invalid_watch_time"},
					{"hidden video", []ev{good, event("impression", "key-00000007", shyVid)}, 400, "unknown_video"},
					{"unknown video", []ev{good, event("impression", "key-00000008", "01aaaaaaaaaaaaaaaaaaaaaaaa")}, 400, "unknown_video"},
					{"bad key", []ev{good, event("impression", "x", vids[0])}, 400, "invalid_key"},
				}
				for _, tc := range cases {
					r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": tc.batch})
					if r.Status != tc.status || r.ErrorCode() != tc.code {
						t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
					}
				}
				big := make([]ev, 101)
				for i := range big {
					big[i] = event("impression", fmt.Sprintf("bigkey-%06d", i), vids[0])
				}
				if r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": big}); r.Status != 413 {
					t.Errorf("oversized batch: %d", r.Status)
				}
				// Nothing of the refused batches was logged: the good event is still new.
				r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": []ev{good}})
				if r.Status != 200 || r.JSON()["accepted"] != 1.0 {
					t.Fatalf("good event after refusals: %d %s", r.Status, r.Body)
				}
				again := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": []ev{good}})
				if again.JSON()["accepted"] != 0.0 || again.JSON()["duplicates"] != 1.0 {
					t.Fatalf("duplicate key: %s", again.Body)
				}
				if c := counts(t, u["fan"], "/api/v1/videos/"+vids[0]); c["views"] != 1.0 {
					t.Fatalf("views from the log: %v", c)
				}
				anon := a.Client().Do("POST", "/api/v1/events", map[string]any{"events": []ev{event("play_start", "anonkey-0001", vids[0])}})
				if anon.Status != 200 {
					t.Fatalf("anonymous view: %d %s", anon.Status, anon.Body)
				}
				if c := counts(t, u["fan"], "/api/v1/videos/"+vids[0]); c["views"] != 2.0 {
					t.Fatalf("anonymous view not counted: %v", c)
				}
			})

			t.Run("for you, following and trending", func(t *testing.T) {
				if err := a.Feed.CatchUp(ctx); err != nil {
					t.Fatal(err)
				}
				ids, page := feedIDs(t, u["fan"], "/api/v1/feed/for_you?limit=10")
				if len(ids) == 0 || page["personalised"] != true {
					t.Fatalf("for_you: %v", page)
				}
				for _, id := range ids {
					if id == shyVid || id == followersVid {
						t.Errorf("for_you shows a hidden video %s", id)
					}
				}
				// Pages never repeat.
				first, p1 := feedIDs(t, u["fan"], "/api/v1/feed/for_you?limit=2")
				cur, _ := p1["next_cursor"].(string)
				second, _ := feedIDs(t, u["fan"], "/api/v1/feed/for_you?limit=2&cursor="+cur)
				for _, x := range second {
					for _, y := range first {
						if x == y {
							t.Errorf("video %s on two pages", x)
						}
					}
				}
				if r := u["fan"].Do("GET", "/api/v1/feed/for_you?cursor=!!not-base64!!", nil); r.Status != 400 {
					t.Errorf("bad cursor: %d", r.Status)
				}
				if r := u["fan"].Do("GET", "/api/v1/feed/nonsense", nil); r.Status != 404 {
					t.Errorf("unknown feed: %d", r.Status)
				}
				// Following: newest first, followers-only included for an accepted follower.
				if r := a.Client().Do("GET", "/api/v1/feed/following", nil); r.Status != 401 {
					t.Errorf("anonymous following: %d", r.Status)
				}
				u["fan"].Do("POST", "/api/v1/accounts/cre/follow", nil)
				fol, _ := feedIDs(t, u["fan"], "/api/v1/feed/following")
				if len(fol) != 4 || fol[0] != followersVid || fol[3] != vids[0] {
					t.Fatalf("following feed %v", fol)
				}
				tr, _ := feedIDs(t, a.Client(), "/api/v1/feed/trending")
				if len(tr) != 4 {
					t.Fatalf("trending %v (want the 4 public videos)", tr)
				}
				// Not interested in a creator: never shown again in for_you.
				r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": []ev{event("not_interested", "ni-creator-01", otherVid, "target", "creator")}})
				if r.Status != 200 {
					t.Fatalf("not_interested: %d %s", r.Status, r.Body)
				}
				a.Feed.CatchUp(ctx)
				ids, _ = feedIDs(t, u["fan"], "/api/v1/feed/for_you?limit=20")
				for _, id := range ids {
					if id == otherVid {
						t.Errorf("not-interested creator still shown")
					}
				}
				// The personalisation switch: off, and the response says so.
				u["fan"].Do("PATCH", "/api/v1/me", map[string]any{"personalised": false})
				_, page = feedIDs(t, u["fan"], "/api/v1/feed/for_you")
				if page["personalised"] != false || !strings.Contains(fmt.Sprint(page["notice"]), "Personalisation is off") {
					t.Fatalf("switch off: %v", page)
				}
				// Blocks reach the feeds.
				u["fan"].Do("PATCH", "/api/v1/me", map[string]any{"personalised": true})
				u["cre"].Do("POST", "/api/v1/accounts/fan/block", nil)
				for _, f := range []string{"for_you", "trending", "following"} {
					ids, _ := feedIDs(t, u["fan"], "/api/v1/feed/"+f)
					for _, id := range ids {
						for _, v := range append(vids, followersVid) {
							if id == v {
								t.Errorf("%s shows a video of an account that blocked the viewer", f)
							}
						}
					}
				}
				if r := u["fan"].Do("POST", "/api/v1/feed/refresh", nil); r.Status != 204 {
					t.Errorf("refresh: %d", r.Status)
				}
				if r := a.Client().Do("GET", "/api/v1/ranking", nil); r.Status != 200 || !strings.Contains(string(r.Body), "summary") {
					t.Errorf("ranking page: %d", r.Status)
				}
			})
		})
	}
}

// TestEventsReachTheRecommender checks that with the background workers running, an
// acknowledged event is applied by the recommender without anyone asking.
func TestEventsReachTheRecommender(t *testing.T) {
	a := testkit.NewAppNoWorkers(t, testkit.Engine{Name: "sqlite", Open: testkit.OpenSQLite}, nil)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Feed.Run(ctx); close(done) }() // only the log follower, not the transcoder
	t.Cleanup(func() { stop(); <-done })
	u := users(a, "maker", "watcher")
	vid := publish(t, a, u["maker"], nil)
	var r *testkit.Response
	r = u["watcher"].Do("POST", "/api/v1/events", map[string]any{"events": []ev{event("complete", "fresh-key-001", vid, "watch_ms", 3000)}})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for a.Feed.Recommender().Seq() == 0 || !applied(a) {
		if time.Now().After(deadline) {
			t.Fatalf("the recommender never applied the event (seq %d)", a.Feed.Recommender().Seq())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func applied(a *testkit.TestApp) bool {
	rows, err := a.DB.Events().Since(context.Background(), int64(a.Feed.Recommender().Seq()), 1)
	return err == nil && len(rows) == 0
}
