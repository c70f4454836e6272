package httpapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"kurz/internal/config"
	"kurz/internal/policy"
	"kurz/internal/testkit"
)

// publish uploads the shared portrait clip for c and makes it ready (fast path).
func publish(t *testing.T, a *testkit.TestApp, c *testkit.Client, fields map[string]string) string {
	t.Helper()
	r := uploadForm(t, c, clip(t, "portrait-h264-aac.mp4"), fields)
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	id := r.JSON()["id"].(string)
	ready(t, a, c, id)
	return id
}

func users(a *testkit.TestApp, names ...string) map[string]*testkit.Client {
	out := map[string]*testkit.Client{}
	for _, n := range names {
		c := a.Client()
		c.SignUp(n)
		out[n] = c
	}
	return out
}

func counts(t *testing.T, c *testkit.Client, path string) map[string]any {
	t.Helper()
	r := c.Do("GET", path, nil)
	if r.Status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r.JSON()["counts"].(map[string]any)
}

func TestSocial(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("follows, private accounts and requests", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				u := users(a, "alice", "bob", "carol")
				u["bob"].Do("PATCH", "/api/v1/me", map[string]any{"private": true})
				if r := u["alice"].Do("POST", "/api/v1/accounts/alice/follow", nil); r.Status != 400 || r.ErrorCode() != "cannot_target_yourself" {
					t.Fatalf("follow yourself: %d %s", r.Status, r.Body)
				}
				if r := u["alice"].Do("POST", "/api/v1/accounts/nobody/follow", nil); r.Status != 404 {
					t.Fatalf("follow unknown: %d", r.Status)
				}
				r := u["alice"].Do("POST", "/api/v1/accounts/bob/follow", nil)
				if r.Status != 200 || r.JSON()["state"] != "pending" {
					t.Fatalf("follow private: %d %s", r.Status, r.Body)
				}
				u["alice"].Do("POST", "/api/v1/accounts/bob/follow", nil)
				if got := counts(t, u["bob"], "/api/v1/accounts/bob")["followers"]; got != 0.0 {
					t.Fatalf("a pending request counts as a follower: %v", got)
				}
				if r := u["alice"].Do("GET", "/api/v1/accounts/bob/followers", nil); r.Status != 403 || r.ErrorCode() != "private_account" {
					t.Fatalf("pending follower sees private follower list: %d", r.Status)
				}
				if rel := u["alice"].Do("GET", "/api/v1/accounts/bob", nil).JSON()["relationship"].(map[string]any); rel["requested"] != true || rel["following"] != false {
					t.Fatalf("relationship: %v", rel)
				}
				reqs := u["bob"].Do("GET", "/api/v1/me/follow-requests", nil).JSON()["items"].([]any)
				if len(reqs) != 1 || reqs[0].(map[string]any)["username"] != "alice" {
					t.Fatalf("requests: %v", reqs)
				}
				u["carol"].Do("POST", "/api/v1/accounts/bob/follow", nil)
				if r := u["bob"].Do("POST", "/api/v1/me/follow-requests/alice", nil); r.Status != 204 {
					t.Fatalf("approve: %d %s", r.Status, r.Body)
				}
				if r := u["bob"].Do("DELETE", "/api/v1/me/follow-requests/carol", nil); r.Status != 204 {
					t.Fatalf("decline: %d", r.Status)
				}
				if r := u["bob"].Do("POST", "/api/v1/me/follow-requests/carol", nil); r.Status != 404 {
					t.Fatalf("approve a declined request: %d", r.Status)
				}
				if got := counts(t, u["alice"], "/api/v1/accounts/bob"); got["followers"] != 1.0 {
					t.Fatalf("bob's counts: %v", got)
				}
				if got := counts(t, u["alice"], "/api/v1/accounts/alice"); got["following"] != 1.0 {
					t.Fatalf("alice's counts: %v", got)
				}
				if r := u["alice"].Do("GET", "/api/v1/accounts/bob/followers", nil); r.Status != 200 || len(r.JSON()["items"].([]any)) != 1 {
					t.Fatalf("follower sees the list: %d %s", r.Status, r.Body)
				}
				if r := u["carol"].Do("GET", "/api/v1/accounts/bob/following", nil); r.Status != 403 {
					t.Fatalf("declined carol sees the list: %d", r.Status)
				}
				n := u["alice"].Do("GET", "/api/v1/notifications", nil).JSON()["items"].([]any)
				if len(n) != 1 || n[0].(map[string]any)["kind"] != "follow_approved" {
					t.Fatalf("alice's notifications: %v", n)
				}
				// Friends are mutual follows.
				u["bob"].Do("POST", "/api/v1/accounts/alice/follow", nil)
				if rel := u["bob"].Do("GET", "/api/v1/accounts/alice", nil).JSON()["relationship"].(map[string]any); rel["friends"] != true {
					t.Fatalf("friends: %v", rel)
				}
				if r := u["alice"].Do("DELETE", "/api/v1/accounts/bob/follow", nil); r.Status != 204 {
					t.Fatal(r.Status)
				}
				u["alice"].Do("DELETE", "/api/v1/accounts/bob/follow", nil)
				if got := counts(t, u["bob"], "/api/v1/accounts/bob"); got["followers"] != 0.0 || got["following"] != 1.0 {
					t.Fatalf("after unfollowing twice: %v", got)
				}
			})
			t.Run("blocks work both ways and end follows", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				u := users(a, "dave", "erin")
				vid := publish(t, a, u["dave"], map[string]string{"caption": "dave's"})
				u["dave"].Do("POST", "/api/v1/accounts/erin/follow", nil)
				u["erin"].Do("POST", "/api/v1/accounts/dave/follow", nil)
				if r := u["dave"].Do("POST", "/api/v1/accounts/erin/block", nil); r.Status != 204 {
					t.Fatal(r.Status)
				}
				for _, who := range []string{"dave", "erin"} {
					if c := counts(t, u[who], "/api/v1/accounts/"+who); c["followers"] != 0.0 || c["following"] != 0.0 {
						t.Errorf("%s counts after block: %v", who, c)
					}
				}
				checks := []struct {
					method, path string
					body         any
					want         int
				}{
					{"GET", "/api/v1/accounts/dave", nil, 404},
					{"GET", "/api/v1/accounts/dave/videos", nil, 404},
					{"GET", "/api/v1/videos/" + vid, nil, 404},
					{"GET", "/api/v1/videos/" + vid + "/comments", nil, 404},
					{"POST", "/api/v1/accounts/dave/follow", nil, 404},
					{"POST", "/api/v1/videos/" + vid + "/like", nil, 404},
					{"POST", "/api/v1/videos/" + vid + "/comments", map[string]any{"body": "hi"}, 404},
				}
				for _, ch := range checks {
					if r := u["erin"].Do(ch.method, ch.path, ch.body); r.Status != ch.want {
						t.Errorf("blocked erin %s %s: %d %s", ch.method, ch.path, r.Status, r.Body)
					}
				}
				// The blocker cannot follow without unblocking, and sees the block.
				if r := u["dave"].Do("POST", "/api/v1/accounts/erin/follow", nil); r.Status != 403 || r.ErrorCode() != "blocking" {
					t.Errorf("blocker follows: %d %s", r.Status, r.Body)
				}
				// A mention by the blocked account does not reach the blocker.
				other := publish(t, a, u["erin"], nil)
				u["erin"].Do("POST", "/api/v1/videos/"+other+"/comments", map[string]any{"body": "look @dave"})
				if n := u["dave"].Do("GET", "/api/v1/notifications/unread", nil).JSON()["unread"]; n != 0.0 {
					t.Errorf("blocker got %v notifications from the blocked account", n)
				}
				u["dave"].Do("DELETE", "/api/v1/accounts/erin/block", nil)
				if r := u["erin"].Do("GET", "/api/v1/videos/"+vid, nil); r.Status != 200 {
					t.Errorf("after unblock: %d", r.Status)
				}
			})
			t.Run("mutes hide notifications without telling", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				u := users(a, "fay", "gus")
				vid := publish(t, a, u["fay"], nil)
				u["fay"].Do("POST", "/api/v1/accounts/gus/mute", nil)
				u["gus"].Do("POST", "/api/v1/videos/"+vid+"/like", nil)
				if n := u["fay"].Do("GET", "/api/v1/notifications/unread", nil).JSON()["unread"]; n != 0.0 {
					t.Errorf("muted like notified: %v", n)
				}
				rel := u["gus"].Do("GET", "/api/v1/accounts/fay", nil).JSON()["relationship"].(map[string]any)
				if rel["muting"] != false || strings.Contains(fmt.Sprint(rel), "muted") {
					t.Errorf("the muted account can tell: %v", rel)
				}
				if c := counts(t, u["fay"], "/api/v1/videos/"+vid); c["likes"] != 1.0 {
					t.Errorf("a muted account's like still counts: %v", c)
				}
				u["fay"].Do("DELETE", "/api/v1/accounts/gus/mute", nil)
				if n := u["fay"].Do("GET", "/api/v1/notifications/unread", nil).JSON()["unread"]; n != 1.0 {
					t.Errorf("after unmute: %v", n)
				}
			})
			t.Run("likes are idempotent and grouped in notifications", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				u := users(a, "hal", "ida", "jon", "kay")
				vid := publish(t, a, u["hal"], nil)
				for _, n := range []string{"ida", "jon", "kay"} {
					for i := 0; i < 2; i++ {
						if r := u[n].Do("POST", "/api/v1/videos/"+vid+"/like", nil); r.Status != 200 || r.JSON()["liked"] != true {
							t.Fatalf("like: %d %s", r.Status, r.Body)
						}
					}
				}
				v := u["ida"].Do("GET", "/api/v1/videos/"+vid, nil).JSON()
				if v["counts"].(map[string]any)["likes"] != 3.0 || v["viewer"].(map[string]any)["liked"] != true {
					t.Fatalf("video: %v %v", v["counts"], v["viewer"])
				}
				groups := u["hal"].Do("GET", "/api/v1/notifications", nil).JSON()["items"].([]any)
				if len(groups) != 1 {
					t.Fatalf("groups: %v", groups)
				}
				g := groups[0].(map[string]any)
				if g["count"] != 3.0 || g["text"] != "kay and 2 others liked your video" || g["unread"] != true {
					t.Fatalf("group: %v", g)
				}
				if n := u["hal"].Do("GET", "/api/v1/notifications/unread", nil).JSON()["unread"]; n != 3.0 {
					t.Fatalf("unread %v", n)
				}
				u["hal"].Do("POST", "/api/v1/notifications/read", nil)
				if n := u["hal"].Do("GET", "/api/v1/notifications/unread", nil).JSON()["unread"]; n != 0.0 {
					t.Fatalf("after mark-read %v", n)
				}
				for i := 0; i < 2; i++ {
					if r := u["ida"].Do("DELETE", "/api/v1/videos/"+vid+"/like", nil); r.Status != 200 || r.JSON()["likes"] != 2.0 {
						t.Fatalf("unlike: %d %s", r.Status, r.Body)
					}
				}
				if c := counts(t, u["hal"], "/api/v1/accounts/hal"); c["likes"] != 2.0 {
					t.Fatalf("creator likes: %v", c)
				}
				share := u["jon"].Do("POST", "/api/v1/videos/"+vid+"/share", nil)
				if share.Status != 200 || !strings.HasSuffix(share.JSON()["url"].(string), "/v/"+vid) {
					t.Fatalf("share: %d %s", share.Status, share.Body)
				}
				u["hal"].Do("DELETE", "/api/v1/videos/"+vid, nil)
				if r := u["jon"].Do("POST", "/api/v1/videos/"+vid+"/like", nil); r.Status != 404 {
					t.Fatalf("liking a deleted video: %d", r.Status)
				}
				if r := u["jon"].Do("POST", "/api/v1/videos/not-an-id/like", nil); r.Status != 404 {
					t.Fatalf("liking an unknown id: %d", r.Status)
				}
			})
			t.Run("comments, replies, pins, permissions and filters", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				u := users(a, "lou", "max", "ned", "ola")
				vid := publish(t, a, u["lou"], nil)
				path := "/api/v1/videos/" + vid + "/comments"
				r := u["max"].Do("POST", path, map[string]any{"body": "First! <script>alert(1)</script> @ned"})
				if r.Status != 201 {
					t.Fatalf("comment: %d %s", r.Status, r.Body)
				}
				top := r.JSON()["id"].(string)
				reply := u["ned"].Do("POST", path, map[string]any{"body": "a reply", "parent_id": top}).JSON()["id"].(string)
				deep := u["ola"].Do("POST", path, map[string]any{"body": "reply to a reply", "parent_id": reply})
				if deep.Status != 201 || deep.JSON()["parent_id"] != top {
					t.Fatalf("one level of replies: %d %s", deep.Status, deep.Body)
				}
				for name, body := range map[string]any{
					"too long":      map[string]any{"body": strings.Repeat("x", 501)},
					"empty":         map[string]any{"body": "   "},
					"unknown field": map[string]any{"body": "x", "pinned": true},
				} {
					if r := u["max"].Do("POST", path, body); r.Status != 400 {
						t.Errorf("%s: %d", name, r.Status)
					}
				}
				if r := u["max"].Do("POST", path, map[string]any{"body": "x", "parent_id": "01aaaaaaaaaaaaaaaaaaaaaaaa"}); r.Status != 404 {
					t.Errorf("reply to unknown comment: %d", r.Status)
				}
				if c := counts(t, u["lou"], "/api/v1/videos/"+vid); c["comments"] != 3.0 {
					t.Fatalf("comment count: %v", c)
				}
				list := a.Client().Do("GET", path, nil).JSON()["items"].([]any)
				if len(list) != 1 || list[0].(map[string]any)["replies"] != 2.0 {
					t.Fatalf("top-level list: %v", list)
				}
				replies := a.Client().Do("GET", "/api/v1/comments/"+top+"/replies", nil).JSON()["items"].([]any)
				if len(replies) != 2 || replies[0].(map[string]any)["body"] != "a reply" {
					t.Fatalf("replies: %v", replies)
				}
				kinds := fmt.Sprint(u["ned"].Do("GET", "/api/v1/notifications", nil).JSON()["items"])
				if !strings.Contains(kinds, "mention") {
					t.Errorf("ned was not told of the mention: %s", kinds)
				}
				// A caption mention notifies once the video can be watched.
				capVid := publish(t, a, u["lou"], map[string]string{"caption": "with @ola"})
				if got := fmt.Sprint(u["ola"].Do("GET", "/api/v1/notifications", nil).JSON()["items"]); !strings.Contains(got, capVid) {
					t.Errorf("caption mention did not notify: %s", got)
				}
				// Pinning is the creator's.
				if r := u["max"].Do("PUT", "/api/v1/videos/"+vid+"/pin", map[string]any{"comment_id": top}); r.Status != 403 {
					t.Errorf("non-creator pins: %d", r.Status)
				}
				if r := u["lou"].Do("PUT", "/api/v1/videos/"+vid+"/pin", map[string]any{"comment_id": reply}); r.Status != 400 {
					t.Errorf("pinning a reply: %d", r.Status)
				}
				if r := u["lou"].Do("PUT", "/api/v1/videos/"+vid+"/pin", map[string]any{"comment_id": top}); r.Status != 204 {
					t.Fatalf("pin: %d %s", r.Status, r.Body)
				}
				if got := a.Client().Do("GET", path, nil).JSON()["items"].([]any)[0].(map[string]any); got["pinned"] != true {
					t.Errorf("not pinned: %v", got)
				}
				// Comment likes.
				u["ola"].Do("POST", "/api/v1/comments/"+top+"/like", nil)
				u["ola"].Do("POST", "/api/v1/comments/"+top+"/like", nil)
				if got := u["ola"].Do("GET", path, nil).JSON()["items"].([]any)[0].(map[string]any); got["likes"] != 1.0 || got["liked"] != true {
					t.Errorf("comment like: %v", got)
				}
				// Deleting: a stranger cannot, the author and the creator can.
				if r := u["ola"].Do("DELETE", "/api/v1/comments/"+reply, nil); r.Status != 403 {
					t.Errorf("stranger deletes: %d", r.Status)
				}
				if r := u["ned"].Do("DELETE", "/api/v1/comments/"+reply, nil); r.Status != 204 {
					t.Errorf("author deletes: %d", r.Status)
				}
				if r := u["lou"].Do("DELETE", "/api/v1/comments/"+top, nil); r.Status != 204 {
					t.Errorf("creator deletes: %d", r.Status)
				}
				if c := counts(t, u["lou"], "/api/v1/videos/"+vid); c["comments"] != 0.0 {
					t.Fatalf("count after deletes: %v", c)
				}
				if r := u["lou"].Do("DELETE", "/api/v1/comments/"+top, nil); r.Status != 404 {
					t.Errorf("deleting twice: %d", r.Status)
				}
				// Who can comment.
				set := func(p string) {
					if r := u["lou"].Do("PUT", "/api/v1/videos/"+vid+"/comment-policy", map[string]any{"who_can_comment": p}); r.Status != 204 {
						t.Fatalf("policy %s: %d %s", p, r.Status, r.Body)
					}
				}
				if r := u["max"].Do("PUT", "/api/v1/videos/"+vid+"/comment-policy", map[string]any{"who_can_comment": "nobody"}); r.Status != 403 {
					t.Errorf("stranger sets policy: %d", r.Status)
				}
				if r := u["lou"].Do("PUT", "/api/v1/videos/"+vid+"/comment-policy", map[string]any{"who_can_comment": "robots"}); r.Status != 400 {
					t.Errorf("bad policy: %d", r.Status)
				}
				set("followers")
				if r := u["max"].Do("POST", path, map[string]any{"body": "x"}); r.Status != 403 || r.ErrorCode() != "comments_followers_only" {
					t.Errorf("non-follower under followers policy: %d %s", r.Status, r.Body)
				}
				u["max"].Do("POST", "/api/v1/accounts/lou/follow", nil)
				if r := u["max"].Do("POST", path, map[string]any{"body": "x"}); r.Status != 201 {
					t.Errorf("follower under followers policy: %d", r.Status)
				}
				set("friends")
				if r := u["max"].Do("POST", path, map[string]any{"body": "x"}); r.Status != 403 {
					t.Errorf("one-way follower under friends policy: %d", r.Status)
				}
				u["lou"].Do("POST", "/api/v1/accounts/max/follow", nil)
				if r := u["max"].Do("POST", path, map[string]any{"body": "x"}); r.Status != 201 {
					t.Errorf("friend under friends policy: %d", r.Status)
				}
				set("nobody")
				if r := u["max"].Do("POST", path, map[string]any{"body": "x"}); r.Status != 403 || r.ErrorCode() != "comments_off" {
					t.Errorf("comments off: %d %s", r.Status, r.Body)
				}
				set("everyone")
				// Keyword filters hold matching comments back from everyone but author and creator.
				u["lou"].Do("PUT", "/api/v1/me/comment-filters", map[string]any{"keywords": []string{"Spoiler"}})
				held := u["ola"].Do("POST", path, map[string]any{"body": "big SPOILER ahead"})
				if held.Status != 201 || held.JSON()["held"] != true {
					t.Fatalf("held comment: %d %s", held.Status, held.Body)
				}
				seen := func(c *testkit.Client) bool {
					return strings.Contains(string(c.Do("GET", path, nil).Body), "SPOILER")
				}
				if !seen(u["ola"]) || !seen(u["lou"]) || seen(u["ned"]) || seen(a.Client()) {
					t.Errorf("filter visibility: author %v creator %v other %v anon %v", seen(u["ola"]), seen(u["lou"]), seen(u["ned"]), seen(a.Client()))
				}
			})
		})
	}
}

// TestCountersUnderConcurrency drives many goroutines at one video and one account and
// checks the counters are exact, on both engines.
func TestCountersUnderConcurrency(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.SignupPerIP = 1000 })
			star := a.Client()
			star.SignUp("star")
			vid := publish(t, a, star, nil)
			const n = 24
			fans := make([]*testkit.Client, n)
			for i := range fans {
				fans[i] = a.Client()
				fans[i].SignUp(fmt.Sprintf("fan%02d", i))
			}
			var wg sync.WaitGroup
			errs := make(chan string, n*8)
			for i, f := range fans {
				wg.Add(1)
				go func(i int, f *testkit.Client) {
					defer wg.Done()
					for _, req := range []struct {
						m, p string
						b    any
					}{
						{"POST", "/api/v1/videos/" + vid + "/like", nil},
						{"POST", "/api/v1/videos/" + vid + "/like", nil},
						{"POST", "/api/v1/accounts/star/follow", nil},
						{"POST", "/api/v1/videos/" + vid + "/comments", map[string]any{"body": fmt.Sprint("comment ", i)}},
						{"POST", "/api/v1/videos/" + vid + "/share", nil},
					} {
						if r := f.Do(req.m, req.p, req.b); r.Status >= 300 {
							errs <- fmt.Sprintf("%s %s: %d %s", req.m, req.p, r.Status, r.Body)
						}
					}
					if i%2 == 0 {
						if r := f.Do("DELETE", "/api/v1/videos/"+vid+"/like", nil); r.Status != 200 {
							errs <- fmt.Sprint("unlike: ", r.Status)
						}
					}
				}(i, f)
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}
			c := counts(t, star, "/api/v1/videos/"+vid)
			if c["likes"] != float64(n/2) || c["comments"] != float64(n) || c["shares"] != float64(n) {
				t.Fatalf("video counters %v, want likes %d comments %d shares %d", c, n/2, n, n)
			}
			p := counts(t, star, "/api/v1/accounts/star")
			if p["followers"] != float64(n) || p["likes"] != float64(n/2) {
				t.Fatalf("account counters %v", p)
			}
		})
	}
}

// TestCountsCountWhatTheViewerSees: a suspension takes what the account did off every count
// others see and reinstatement puts it back; and counts leave out what is hidden from the
// viewer alone (an account that blocked them, held comments), as the lists do.
func TestCountsCountWhatTheViewerSees(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewAppNoWorkers(t, e, nil)
			u := users(a, "cora", "sam", "bea", "vic", "hal")
			admin, _ := staff(t, a, "ada", policy.RoleAdmin)
			u["cora"].Do("PUT", "/api/v1/me/comment-filters", map[string]any{"keywords": []string{"spoiler"}})
			vid := publish(t, a, u["cora"], nil)
			path := "/api/v1/videos/" + vid + "/comments"
			comment := func(who, body, parent string) string {
				t.Helper()
				in := map[string]any{"body": body}
				if parent != "" {
					in["parent_id"] = parent
				}
				r := u[who].Do("POST", path, in)
				if r.Status != 201 {
					t.Fatalf("%s comments: %d %s", who, r.Status, r.Body)
				}
				return r.JSON()["id"].(string)
			}
			for _, who := range []string{"sam", "bea"} {
				u[who].Do("POST", "/api/v1/accounts/cora/follow", nil)
			}
			u["sam"].Do("POST", "/api/v1/videos/"+vid+"/like", nil)
			comment("sam", "nice", "")
			cB := comment("bea", "hello", "")
			comment("sam", "hi bea", cB)
			comment("hal", "big spoiler", "")
			if r := u["bea"].Do("POST", "/api/v1/accounts/vic/block", nil); r.Status != 204 {
				t.Fatalf("block: %d", r.Status)
			}
			type want struct{ followers, likes, comments, replies float64 }
			check := func(when string, c *testkit.Client, w want) {
				t.Helper()
				p := counts(t, c, "/api/v1/accounts/cora")
				v := counts(t, c, "/api/v1/videos/"+vid)
				replies := 0.0
				for _, it := range c.Do("GET", path, nil).JSON()["items"].([]any) {
					if m := it.(map[string]any); m["id"] == cB {
						replies = m["replies"].(float64)
					}
				}
				got := want{p["followers"].(float64), v["likes"].(float64), v["comments"].(float64), replies}
				if got != w {
					t.Errorf("%s: followers, likes, comments, replies to bea %v, want %v", when, got, w)
				}
			}
			anon := a.Client()
			check("anonymous", anon, want{2, 1, 3, 1})
			check("the creator, who sees the held comment", u["cora"], want{2, 1, 4, 1})
			check("the held comment's author", u["hal"], want{2, 1, 4, 1})
			check("the account bea blocked", u["vic"], want{1, 1, 1, 0})
			check("an administrator", admin, want{2, 1, 3, 1})

			var samID string
			for _, it := range admin.Do("GET", "/api/v1/admin/accounts?limit=100", nil).JSON()["items"].([]any) {
				if m := it.(map[string]any); m["username"] == "sam" {
					samID = m["id"].(string)
				}
			}
			if r := admin.Do("POST", "/api/v1/admin/accounts/"+samID+"/suspension", nil); r.Status != 200 {
				t.Fatalf("suspend: %d %s", r.Status, r.Body)
			}
			check("anonymous, sam suspended", anon, want{1, 0, 1, 0})
			check("the creator, sam suspended", u["cora"], want{1, 0, 2, 0})
			check("the account bea blocked, sam suspended", u["vic"], want{0, 0, 0, 0})
			// Staff see a suspended account's comments, so they count them.
			check("an administrator, sam suspended", admin, want{1, 0, 3, 1})
			if p := counts(t, admin, "/api/v1/accounts/sam"); p["following"] != 1.0 {
				t.Errorf("a suspended account's own counts count what others did: %v", p)
			}
			if r := admin.Do("DELETE", "/api/v1/admin/accounts/"+samID+"/suspension", nil); r.Status != 200 {
				t.Fatalf("reinstate: %d %s", r.Status, r.Body)
			}
			check("anonymous, sam reinstated", anon, want{2, 1, 3, 1})
			check("the account bea blocked, sam reinstated", u["vic"], want{1, 1, 1, 0})
		})
	}
}
