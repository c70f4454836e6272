package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"kurz/internal/analytics"
	"kurz/internal/policy"
	"kurz/internal/testkit"
)

func TestCreatorAnalytics(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewAppNoWorkers(t, e, nil)
			ctx := context.Background()
			u := users(a, "maker", "fan", "nosy")
			vid := publish(t, a, u["maker"], map[string]string{"caption": "my first clip"})
			dur := int64(u["maker"].Do("GET", "/api/v1/videos/"+vid, nil).JSON()["duration_ms"].(float64))
			if dur <= 0 {
				t.Fatalf("video without a duration: %d", dur)
			}
			// The fan watches to the middle, then to the end; a stranger skips at a tenth.
			r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": []ev{
				event("play_start", "anfan-0001", vid),
				event("progress", "anfan-0002", vid, "position_ms", dur/2, "watch_ms", dur/2),
				event("complete", "anfan-0003", vid, "position_ms", 0, "watch_ms", dur),
			}})
			if r.Status != 200 {
				t.Fatalf("events: %d %s", r.Status, r.Body)
			}
			r = u["nosy"].Do("POST", "/api/v1/events", map[string]any{"events": []ev{
				event("play_start", "annosy-001", vid, "feed", "search"),
				event("skip", "annosy-002", vid, "feed", "search", "position_ms", dur/10+50, "watch_ms", dur/10+50),
			}})
			if r.Status != 200 {
				t.Fatalf("events: %d %s", r.Status, r.Body)
			}
			u["fan"].Do("POST", "/api/v1/videos/"+vid+"/like", nil)
			u["fan"].Do("POST", "/api/v1/accounts/maker/follow", nil)
			if err := a.Analytics.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Components struct {
					Schemas map[string]any `json:"schemas"`
				} `json:"components"`
			}
			if err := json.Unmarshal(a.Client().Do("GET", "/api/v1/openapi.json", nil).Body, &doc); err != nil {
				t.Fatal(err)
			}
			root := map[string]any{"$defs": doc.Components.Schemas}
			conforms := func(schema string, body []byte) {
				t.Helper()
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatal(err)
				}
				if err := validate(root, doc.Components.Schemas[schema].(map[string]any), v, schema); err != nil {
					t.Errorf("the answer breaks its documented schema: %v", err)
				}
			}

			t.Run("the creator reads a video's numbers", func(t *testing.T) {
				r := u["maker"].Do("GET", "/api/v1/videos/"+vid+"/analytics?days=7", nil)
				if r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				conforms("VideoAnalytics", r.Body)
				var got struct {
					Days   int `json:"days"`
					Totals struct {
						Views, Plays, Likes, Completes int64
						WatchMS                        int64   `json:"watch_ms"`
						AvgWatchMS                     int64   `json:"avg_watch_ms"`
						CompletionRate                 float64 `json:"completion_rate"`
					} `json:"totals"`
					PerDay  []struct{ Date string } `json:"per_day"`
					Traffic []struct {
						Feed  string
						Plays int64
					} `json:"traffic"`
					Video     struct{ ID, Caption string } `json:"video"`
					Retention struct {
						Plays  int64
						Points []struct {
							Percent int
							Share   float64
						}
					} `json:"retention"`
				}
				if err := json.Unmarshal(r.Body, &got); err != nil {
					t.Fatal(err)
				}
				tt := got.Totals
				if got.Days != 7 || tt.Views != 2 || tt.Plays != 2 || tt.Likes != 1 || tt.Completes != 1 || tt.WatchMS != dur+dur/10+50 {
					t.Fatalf("totals %+v (duration %d)", tt, dur)
				}
				if tt.AvgWatchMS != (dur+dur/10+50)/2 || tt.CompletionRate != 0.5 {
					t.Fatalf("averages %+v", tt)
				}
				if len(got.PerDay) != 7 || got.Video.ID != vid || got.Video.Caption != "my first clip" {
					t.Fatalf("days %d, video %+v", len(got.PerDay), got.Video)
				}
				if len(got.Traffic) != 2 || got.Traffic[0].Plays != 1 || got.Traffic[1].Plays != 1 {
					t.Fatalf("traffic %+v", got.Traffic)
				}
				pts := got.Retention.Points
				if got.Retention.Plays != 2 || len(pts) != 21 || pts[0].Share != 1 || pts[20].Percent != 100 {
					t.Fatalf("retention %+v", got.Retention)
				}
				// Both plays pass 10%; only the fan's goes on, to the end.
				if pts[2].Share != 1 || pts[3].Share != 0.5 || pts[20].Share != 0.5 {
					t.Fatalf("retention curve %+v", pts)
				}
				for i := 1; i < len(pts); i++ {
					if pts[i].Share > pts[i-1].Share || math.IsNaN(pts[i].Share) {
						t.Fatalf("the retention curve rises at %d%%: %+v", pts[i].Percent, pts)
					}
				}
			})

			t.Run("the creator's overview", func(t *testing.T) {
				r := u["maker"].Do("GET", "/api/v1/me/analytics", nil)
				if r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				conforms("AccountAnalytics", r.Body)
				m := r.JSON()
				if m["days"] != float64(28) || len(m["per_day"].([]any)) != 28 {
					t.Fatalf("default window: %v days", m["days"])
				}
				if f := m["followers"].(map[string]any); f["gained"] != float64(1) || f["net"] != float64(1) {
					t.Fatalf("followers %v", f)
				}
				last := m["per_day"].([]any)[27].(map[string]any)
				if last["followers_gained"] != float64(1) || last["views"] != float64(2) || last["date"] != m["to"] {
					t.Fatalf("today %v (to %v)", last, m["to"])
				}
				top := m["top_videos"].([]any)
				if len(top) != 1 || top[0].(map[string]any)["id"] != vid {
					t.Fatalf("top videos %v", top)
				}
				// The fan has no videos: an empty overview, not someone else's.
				r = u["fan"].Do("GET", "/api/v1/me/analytics?days=90", nil)
				if r.Status != 200 || r.JSON()["totals"].(map[string]any)["views"] != float64(0) || len(r.JSON()["per_day"].([]any)) != 90 {
					t.Fatalf("fan's overview: %d %s", r.Status, r.Body)
				}
			})

			t.Run("nobody else learns anything", func(t *testing.T) {
				missing := u["fan"].Do("GET", "/api/v1/videos/01aaaaaaaaaaaaaaaaaaaaaaaa/analytics", nil)
				hidden := u["fan"].Do("GET", "/api/v1/videos/"+vid+"/analytics", nil)
				if hidden.Status != 404 || string(hidden.Body) != string(missing.Body) {
					t.Fatalf("another account: %d %s (missing: %s)", hidden.Status, hidden.Body, missing.Body)
				}
				if r := a.Client().Do("GET", "/api/v1/videos/"+vid+"/analytics", nil); r.Status != 401 || r.ErrorCode() != "login_required" {
					t.Fatalf("anonymous: %d %s", r.Status, r.Body)
				}
				if r := a.Client().Do("GET", "/api/v1/me/analytics", nil); r.Status != 401 {
					t.Fatalf("anonymous overview: %d %s", r.Status, r.Body)
				}
			})

			t.Run("administrators see no more than anyone else", func(t *testing.T) {
				boss, _ := staff(t, a, "boss", policy.RoleAdmin)
				missing := boss.Do("GET", "/api/v1/videos/01aaaaaaaaaaaaaaaaaaaaaaaa/analytics", nil)
				if r := boss.Do("GET", "/api/v1/videos/"+vid+"/analytics", nil); r.Status != 404 || string(r.Body) != string(missing.Body) {
					t.Fatalf("administrator: %d %s", r.Status, r.Body)
				}
			})

			t.Run("a window other than 7, 28 or 90 days is a 400", func(t *testing.T) {
				for _, q := range []string{"30", "0", "-7", "seven", "7.0", "9999999999999999999999"} {
					for _, path := range []string{"/api/v1/me/analytics?days=", "/api/v1/videos/" + vid + "/analytics?days="} {
						r := u["maker"].Do("GET", path+q, nil)
						if r.Status != 400 || r.ErrorCode() != "invalid_days" {
							t.Errorf("%s%s: %d %s", path, q, r.Status, r.Body)
						}
					}
				}
			})

			t.Run("erasing the creator erases their analytics", func(t *testing.T) {
				boss, _ := staff(t, a, "eraser", policy.RoleAdmin)
				makerID := u["maker"].Do("GET", "/api/v1/me", nil).JSON()["id"].(string)
				if r := boss.Do("DELETE", "/api/v1/admin/accounts/"+makerID, nil); r.Status != 204 {
					t.Fatalf("erase: %d %s", r.Status, r.Body)
				}
				if err := a.Analytics.CatchUp(ctx); err != nil {
					t.Fatal(err)
				}
				store := a.DB.Analytics()
				today := analytics.DayOf(a.Clock.Now())
				days, err1 := store.CreatorDays(ctx, makerID, today-100, today+1)
				followers, err2 := store.FollowerDays(ctx, makerID, today-100, today+1)
				hist, err3 := store.Retention(ctx, makerID, vid)
				if err := errors.Join(err1, err2, err3); err != nil {
					t.Fatal(err)
				}
				if len(days) != 0 || len(followers) != 0 || hist[0] != 0 {
					t.Fatalf("after erasure: days %v, followers %v, retention %v", days, followers, hist)
				}
			})
		})
	}
}
