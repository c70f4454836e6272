package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"kurz/internal/testkit"
)

// signedQuery is the query of a signed media URL, whose expiry moves with the clock.
var signedQuery = regexp.MustCompile(`\?[^"]*"`)

// TestFeedItemsAreTheVideos checks that a feed page, which loads its videos in batches,
// shows each one exactly as GET /api/v1/videos/{id} shows it to the same viewer: author,
// tags, renditions, comment policy, counts corrected for the viewer's blocks and held comments, and the
// viewer's own like and follow.
func TestFeedItemsAreTheVideos(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewAppNoWorkers(t, e, nil)
			ctx := context.Background()
			u := users(a, "cre", "cre2", "fan", "blk", "troll")
			var vids []string
			for i := 0; i < 3; i++ {
				vids = append(vids, publish(t, a, u["cre"], map[string]string{"caption": fmt.Sprintf("clip %d #cats @fan", i)}))
			}
			vids = append(vids, publish(t, a, u["cre2"], map[string]string{"caption": "dogs #dogs #pets"}))
			followersVid := publish(t, a, u["cre"], map[string]string{"caption": "for my followers", "visibility": "followers"})

			mustDo := func(c *testkit.Client, method, path string, body any, status int) {
				t.Helper()
				if r := c.Do(method, path, body); r.Status != status {
					t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
				}
			}
			mustDo(u["fan"], "POST", "/api/v1/accounts/cre/follow", nil, 200)
			mustDo(u["fan"], "POST", "/api/v1/videos/"+vids[0]+"/like", nil, 200)
			mustDo(u["troll"], "POST", "/api/v1/videos/"+vids[0]+"/comments", map[string]any{"body": "first"}, 201)
			mustDo(u["troll"], "POST", "/api/v1/videos/"+vids[3]+"/comments", map[string]any{"body": "woof"}, 201)
			mustDo(u["blk"], "POST", "/api/v1/accounts/troll/block", nil, 204)
			mustDo(u["cre"], "PUT", "/api/v1/me/comment-filters", map[string]any{"keywords": []string{"heldword"}}, 200)
			mustDo(u["fan"], "POST", "/api/v1/videos/"+vids[1]+"/comments", map[string]any{"body": "a heldword here"}, 201)
			mustDo(u["cre2"], "PUT", "/api/v1/videos/"+vids[3]+"/comment-policy", map[string]any{"who_can_comment": "followers"}, 204)
			if err := a.Feed.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}

			viewers := map[string]*testkit.Client{"anonymous": a.Client(), "fan": u["fan"], "blk": u["blk"], "cre": u["cre"], "troll": u["troll"]}
			seen := map[string]bool{}
			differs := 0
			for name, c := range viewers {
				for _, f := range []string{"for_you", "trending", "following"} {
					r := c.Do("GET", "/api/v1/feed/"+f+"?limit=20", nil)
					if name == "anonymous" && f == "following" {
						continue
					}
					if r.Status != 200 {
						t.Fatalf("%s %s: %d %s", name, f, r.Status, r.Body)
					}
					var page struct{ Items []map[string]json.RawMessage }
					if err := json.Unmarshal(r.Body, &page); err != nil {
						t.Fatal(err)
					}
					for _, it := range page.Items {
						delete(it, "reason")
						var id string
						if err := json.Unmarshal(it["id"], &id); err != nil {
							t.Fatal(err)
						}
						one := c.Do("GET", "/api/v1/videos/"+id, nil)
						if one.Status != 200 {
							t.Errorf("%s %s shows %s, which GET refuses: %d", name, f, id, one.Status)
							continue
						}
						var want map[string]json.RawMessage
						if err := json.Unmarshal(one.Body, &want); err != nil {
							t.Fatal(err)
						}
						got, _ := json.Marshal(it)
						exp, _ := json.Marshal(want)
						g, w := signedQuery.ReplaceAllString(string(got), `"`), signedQuery.ReplaceAllString(string(exp), `"`)
						if g != w {
							t.Errorf("%s %s item %s:\n got %s\nwant %s", name, f, id, g, w)
						}
						seen[name+" "+id] = true
						anon := a.Client().Do("GET", "/api/v1/videos/"+id, nil)
						if anon.Status == 200 && fmt.Sprint(anon.JSON()["counts"]) != fmt.Sprint(one.JSON()["counts"]) {
							differs++
						}
					}
				}
			}
			// The pages covered what the counts correct for: the blocker's and the held
			// comment's videos, the liked one and the followers-only one.
			for _, must := range []string{"blk " + vids[0], "blk " + vids[3], "fan " + vids[1], "cre " + vids[1], "fan " + vids[0], "fan " + followersVid} {
				if !seen[must] {
					t.Errorf("no feed page showed %s", must)
				}
			}
			if r := a.Client().Do("GET", "/api/v1/videos/"+vids[3], nil); r.JSON()["who_can_comment"] != "followers" {
				t.Errorf("comment policy not set: %s", r.Body)
			}
			if differs == 0 {
				t.Errorf("no item's counts differed from the anonymous ones: the test did not exercise the corrections")
			}
		})
	}
}
