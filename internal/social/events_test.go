package social_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"kurz/internal/testkit"
)

// TestServerSideFollowsEnterTheLog checks that every follow the server makes or ends on
// someone's behalf enters the event log like a follow button does: a private account
// approving a request, going public (which accepts the requests waiting), and a block
// ending follows both ways. Creator analytics' follower growth and the recommender's
// follows, both built from the log, then agree with the social graph.
func TestServerSideFollowsEnterTheLog(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := testkit.NewAppNoWorkers(t, e, nil)
			c, ids := map[string]*testkit.Client{}, map[string]string{}
			names := map[string]string{}
			for _, n := range []string{"star", "fan", "pal", "later", "troll"} {
				c[n] = a.Client()
				ids[n] = c[n].SignUp(n).JSON()["account"].(map[string]any)["id"].(string)
				names[ids[n]] = n
			}
			do := func(who, method, path string, want int) {
				t.Helper()
				if r := c[who].Do(method, path, map[string]any{}); r.Status != want {
					t.Fatalf("%s %s %s: %d %s, want %d", who, method, path, r.Status, r.Body, want)
				}
			}
			// follows reads the follow and unfollow events logged since seq, as "who>whom".
			var seq int64
			follows := func() []string {
				t.Helper()
				rows, err := a.DB.Events().Since(ctx, seq, 1000)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, r := range rows {
					seq = r.Seq
					if r.Kind == "follow" || r.Kind == "unfollow" {
						out = append(out, r.Kind+" "+names[r.AccountID]+">"+names[r.CreatorID])
					}
				}
				return out
			}
			check := func(step string, want ...string) {
				t.Helper()
				if got := follows(); !slices.Equal(got, want) {
					t.Fatalf("%s: logged %q, want %q", step, got, want)
				}
			}

			if r := c["star"].Do("PATCH", "/api/v1/me", map[string]any{"private": true}); r.Status != 200 {
				t.Fatalf("go private: %d %s", r.Status, r.Body)
			}
			do("fan", "POST", "/api/v1/accounts/star/follow", http.StatusOK)
			do("pal", "POST", "/api/v1/accounts/star/follow", http.StatusOK)
			check("two requests to a private account")

			do("star", "POST", "/api/v1/me/follow-requests/fan", http.StatusNoContent)
			check("approving fan's request", "follow fan>star")
			do("star", "POST", "/api/v1/me/follow-requests/fan", http.StatusNotFound)
			check("approving it twice")

			// Going public accepts pal's waiting request: a follow as well.
			if r := c["star"].Do("PATCH", "/api/v1/me", map[string]any{"private": false}); r.Status != 200 {
				t.Fatalf("go public: %d %s", r.Status, r.Body)
			}
			check("going public", "follow pal>star")
			do("later", "POST", "/api/v1/accounts/star/follow", http.StatusOK)
			do("troll", "POST", "/api/v1/accounts/star/follow", http.StatusOK)
			do("star", "POST", "/api/v1/accounts/troll/follow", http.StatusOK)
			check("plain follows", "follow later>star", "follow troll>star", "follow star>troll")

			// A block ends both follows; blocking again ends nothing more.
			do("star", "POST", "/api/v1/accounts/troll/block", http.StatusNoContent)
			check("the block", "unfollow star>troll", "unfollow troll>star")
			do("star", "POST", "/api/v1/accounts/troll/block", http.StatusNoContent)
			check("blocking again")
			// The other way round: later blocks star, whom later follows (star does not
			// follow later), so one unfollow.
			do("later", "POST", "/api/v1/accounts/star/block", http.StatusNoContent)
			check("later's block", "unfollow later>star")

			// Follower growth, folded from the log, matches the graph: four gained, two lost.
			if err := a.Analytics.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			r := c["star"].Do("GET", "/api/v1/me/analytics?days=7", nil)
			if r.Status != 200 {
				t.Fatalf("analytics: %d %s", r.Status, r.Body)
			}
			if f := r.JSON()["followers"].(map[string]any); fmt.Sprint(f["gained"], f["lost"], f["net"]) != "4 2 2" {
				t.Errorf("follower growth (gained, lost, net) = %v, want 4 2 2", f)
			}
			list := c["star"].Do("GET", "/api/v1/accounts/star/followers", nil)
			if n := len(list.JSON()["items"].([]any)); n != 2 {
				t.Errorf("star has %d followers in the graph, want 2: %s", n, list.Body)
			}
			// The recommender's follows come from the same log.
			if err := a.Feed.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			for who, want := range map[string]int{"fan": 1, "pal": 1, "later": 0, "troll": 0, "star": 0} {
				if got := a.Feed.Recommender().Profile(ids[who], 0).Follows; got != want {
					t.Errorf("the recommender has %s following %d accounts, want %d", who, got, want)
				}
			}
		})
	}
}
