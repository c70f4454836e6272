package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/policy"
	"kurz/internal/testkit"
	"kurz/internal/video"
)

// seedVideo stores a video straight into the database, for the states no API call can reach
// yet (removed by moderation, stuck in processing). Its hashtags are parsed as uploads do.
func seedVideo(t *testing.T, a *testkit.TestApp, ownerID, caption, visibility, state string, removed bool) string {
	t.Helper()
	now := a.Clock.Now()
	tags, mentions := video.ParseCaption(caption)
	v := &db.VideoRow{ID: a.IDs.New(), AccountID: ownerID, Caption: caption, Visibility: visibility, AllowComments: true,
		State: state, Removed: removed, CreatedAt: now, UpdatedAt: now, Hashtags: tags, Mentions: mentions}
	up := &db.UploadRow{ID: a.IDs.New(), AccountID: ownerID, VideoID: v.ID, Length: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := a.DB.Videos().CreateWithUpload(context.Background(), v, up); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

// accountID looks up an account's ID through the public profile.
func accountID(t *testing.T, a *testkit.TestApp, username string) string {
	t.Helper()
	r := a.Client().Do("GET", "/api/v1/accounts/"+username, nil)
	if r.Status != 200 {
		t.Fatalf("profile %s: %d %s", username, r.Status, r.Body)
	}
	return r.JSON()["id"].(string)
}

// logInStaff creates an account with a role and logs it in.
func logInStaff(t *testing.T, a *testkit.TestApp, username string, role policy.Role) *testkit.Client {
	t.Helper()
	if _, err := a.Auth.CreateAccount(context.Background(), username, testkit.Password, role); err != nil {
		t.Fatal(err)
	}
	c := a.Client()
	if r := c.Do("POST", "/api/v1/sessions", map[string]any{"username": username, "password": testkit.Password}); r.Status != 201 {
		t.Fatalf("%s log-in: %d %s", username, r.Status, r.Body)
	}
	return c
}

func get200(t *testing.T, c *testkit.Client, path string) map[string]any {
	t.Helper()
	r := c.Do("GET", path, nil)
	if r.Status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r.JSON()
}

// field collects one field of every object in a JSON array.
func field(list any, name string) []string {
	out := []string{}
	items, _ := list.([]any)
	for _, it := range items {
		out = append(out, fmt.Sprint(it.(map[string]any)[name]))
	}
	return out
}

// walk pages through a list with limit per page, following next_cursor to the end, and
// fails on a repeated item.
func walk(t *testing.T, c *testkit.Client, path string, limit int) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	cursor := ""
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatalf("%s: paging does not end", path)
		}
		p := fmt.Sprintf("%s&limit=%d", path, limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		body := get200(t, c, p)
		for _, id := range field(body["items"], "id") {
			if seen[id] {
				t.Fatalf("%s: %s repeated on page %d", path, id, page)
			}
			seen[id] = true
			out = append(out, id)
		}
		next, _ := body["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// pageSearch pages through one type of search results, limit at a time, and returns the IDs
// (names for hashtags, usernames for accounts) of all pages, failing on a repeat.
func pageSearch(t *testing.T, c *testkit.Client, q, typ string, limit int) []string {
	t.Helper()
	key := map[string]string{"videos": "id", "hashtags": "name", "accounts": "username"}[typ]
	var out []string
	seen := map[string]bool{}
	cursor := ""
	for page := 0; page < 100; page++ {
		p := fmt.Sprintf("/api/v1/search?q=%s&type=%s&limit=%d", url.QueryEscape(q), typ, limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		res := get200(t, c, p)
		for _, k := range field(res[typ], key) {
			if seen[k] {
				t.Fatalf("%s %q: %s repeated on page %d", typ, q, k, page)
			}
			seen[k] = true
			out = append(out, k)
		}
		next, _ := res["next_cursors"].(map[string]any)
		if next[typ] == nil {
			return out
		}
		cursor = next[typ].(string)
	}
	t.Fatalf("%s %q: paging does not end", typ, q)
	return nil
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

func TestSearch(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("nothing hidden appears: no item, no count, no hashtag", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.SignupPerIP = 100 })
				u := users(a, "olga", "pete", "sam", "stan", "fred", "fri", "pen", "bea", "bob")
				admin := logInStaff(t, a, "ada_admin", policy.RoleAdmin)
				mod := logInStaff(t, a, "mo_mod", policy.RoleModerator)
				u["mod"], u["anon"] = mod, a.Client()
				olgaID, samID := accountID(t, a, "olga"), accountID(t, a, "sam")
				u["olga"].Do("PATCH", "/api/v1/me", map[string]any{"private": true, "display_name": "Olga Quokkaqueen"})
				for _, f := range []string{"fred", "fri", "pen"} {
					if r := u[f].Do("POST", "/api/v1/accounts/olga/follow", nil); r.JSON()["state"] != "pending" {
						t.Fatalf("%s follows olga: %d %s", f, r.Status, r.Body)
					}
				}
				u["olga"].Do("POST", "/api/v1/me/follow-requests/fred", nil)
				u["olga"].Do("POST", "/api/v1/me/follow-requests/fri", nil)
				u["olga"].Do("POST", "/api/v1/accounts/fri/follow", nil)
				u["olga"].Do("POST", "/api/v1/accounts/bea/block", nil)
				u["bob"].Do("POST", "/api/v1/accounts/olga/block", nil)

				vids := map[string]string{
					"public":    publish(t, a, u["olga"], map[string]string{"caption": "quokka public #matrixtag", "visibility": "public"}),
					"followers": publish(t, a, u["olga"], map[string]string{"caption": "quokka followers #matrixtag", "visibility": "followers"}),
					"private":   publish(t, a, u["olga"], map[string]string{"caption": "quokka private #matrixtag #secretplan", "visibility": "private"}),
					"removed":   seedVideo(t, a, olgaID, "quokka removed #matrixtag #removedonly", "public", video.StateReady, true),
					"unready":   seedVideo(t, a, olgaID, "quokka unready #matrixtag #unreadyonly", "public", video.StateProcessing, false),
					"pete":      publish(t, a, u["pete"], map[string]string{"caption": "quokka pete #matrixtag"}),
					"suspended": publish(t, a, u["sam"], map[string]string{"caption": "quokka suspended #matrixtag #samonly"}),
				}
				name := map[string]string{}
				for k, v := range vids {
					name[v] = k
				}
				names := func(ids []string) string {
					var out []string
					for _, id := range ids {
						out = append(out, name[id])
					}
					sort.Strings(out)
					return strings.Join(out, " ")
				}
				// Before the suspension, sam's video is found: the check below is not blind.
				if got := names(walk(t, u["stan"], "/api/v1/hashtags/matrixtag/videos?sort=newest", 10)); !strings.Contains(got, "suspended") {
					t.Fatalf("sam's video before suspension: %s", got)
				}
				if r := admin.Do("POST", "/api/v1/admin/accounts/"+samID+"/suspension", nil); r.Status != 200 {
					t.Fatalf("suspend: %d %s", r.Status, r.Body)
				}

				want := map[string]string{
					"anon": "pete public",
					"stan": "pete public",
					"pen":  "pete public", // a pending request is not a follow
					"fred": "followers pete public",
					"fri":  "followers pete public",
					"bea":  "pete", // olga blocked bea
					"bob":  "pete", // bob blocked olga
					"olga": "followers pete private public",
					"mod":  "pete public", // discovery uses no staff powers
					"pete": "pete public",
					"ada":  "pete public",
				}
				u["ada"] = admin
				for viewer, expect := range want {
					c := u[viewer]
					for _, sortBy := range []string{"top", "newest"} {
						got := walk(t, c, "/api/v1/hashtags/matrixtag/videos?sort="+sortBy, 2)
						if names(got) != expect {
							t.Errorf("%s sees on the hashtag page (%s): %q, want %q", viewer, sortBy, names(got), expect)
						}
					}
					count := get200(t, c, "/api/v1/hashtags/matrixtag")["video_count"]
					if count != float64(len(strings.Fields(expect))) {
						t.Errorf("%s: hashtag count %v, want %d", viewer, count, len(strings.Fields(expect)))
					}
					found := get200(t, c, "/api/v1/search?type=videos&q=quokka")["videos"]
					if got := names(field(found, "id")); got != expect {
						t.Errorf("%s finds videos %q, want %q", viewer, got, expect)
					}
					tags := get200(t, c, "/api/v1/search?type=hashtags&q=matrix")["hashtags"]
					if c := field(tags, "video_count"); len(strings.Fields(expect)) > 0 && fmt.Sprint(c) != fmt.Sprintf("[%d]", len(strings.Fields(expect))) {
						t.Errorf("%s: hashtag search count %v, want %d", viewer, c, len(strings.Fields(expect)))
					}
					// Every video found opens for the viewer: search agrees with policy.
					for _, id := range field(found, "id") {
						if r := c.Do("GET", "/api/v1/videos/"+id, nil); r.Status != 200 {
							t.Errorf("%s found %s but cannot open it: %d", viewer, name[id], r.Status)
						}
					}
					// Hashtags that only hidden videos carry do not exist for this viewer.
					for _, hidden := range []string{"secretplan", "removedonly", "unreadyonly", "samonly"} {
						if viewer == "olga" && hidden == "secretplan" {
							continue
						}
						h := get200(t, c, "/api/v1/hashtags/"+hidden)
						if h["video_count"] != 0.0 {
							t.Errorf("%s: #%s counts %v", viewer, hidden, h["video_count"])
						}
						res := get200(t, c, "/api/v1/search?q=%23"+hidden)
						if len(res["hashtags"].([]any)) != 0 || len(res["videos"].([]any)) != 0 {
							t.Errorf("%s finds hidden #%s: %v %v", viewer, hidden, res["hashtags"], res["videos"])
						}
					}
				}
				// A hashtag only a hidden video carries answers exactly like one never used.
				hidden := get200(t, u["stan"], "/api/v1/hashtags/secretplan")
				never := get200(t, u["stan"], "/api/v1/hashtags/neverusedtag")
				if len(hidden) != len(never) || hidden["video_count"] != never["video_count"] {
					t.Errorf("hidden %v vs never used %v", hidden, never)
				}
				if got := get200(t, u["olga"], "/api/v1/search?type=hashtags&q=secret")["hashtags"]; fmt.Sprint(field(got, "name")) != "[secretplan]" {
					t.Errorf("the owner's own hashtag: %v", got)
				}
				// Accounts: blocks hide both ways, suspended accounts never appear, staff included.
				for viewer, expect := range map[string]bool{"anon": true, "stan": true, "pen": true, "bea": false, "bob": false, "mod": true} {
					got := field(get200(t, u[viewer], "/api/v1/search?type=accounts&q=olga")["accounts"], "username")
					if slices.Contains(got, "olga") != expect {
						t.Errorf("%s finds olga: %v, want %v", viewer, got, expect)
					}
					byName := field(get200(t, u[viewer], "/api/v1/search?type=accounts&q=quokkaq")["accounts"], "username")
					if slices.Contains(byName, "olga") != expect {
						t.Errorf("%s finds olga by display name: %v, want %v", viewer, byName, expect)
					}
				}
				for _, viewer := range []string{"anon", "stan", "mod", "ada"} {
					if got := field(get200(t, u[viewer], "/api/v1/search?q=sam")["accounts"], "username"); slices.Contains(got, "sam") {
						t.Errorf("%s finds suspended sam: %v", viewer, got)
					}
				}
				// Reinstated, sam and the video come back: suspension hid them, nothing was lost.
				admin.Do("DELETE", "/api/v1/admin/accounts/"+samID+"/suspension", nil)
				if got := field(get200(t, u["stan"], "/api/v1/search?q=sam")["accounts"], "username"); !slices.Contains(got, "sam") {
					t.Errorf("reinstated sam: %v", got)
				}
			})

			t.Run("top ranks by recent engagement and pages without repeats", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.SignupPerIP = 100 })
				u := users(a, "crea", "liker1", "liker2", "liker3")
				likes := func(id string, who ...string) {
					for _, w := range who {
						if r := u[w].Do("POST", "/api/v1/videos/"+id+"/like", nil); r.Status != 200 {
							t.Fatalf("like: %d %s", r.Status, r.Body)
						}
					}
				}
				old := publish(t, a, u["crea"], map[string]string{"caption": "old but loved #toptag"})
				likes(old, "liker1", "liker2", "liker3")
				a.Clock.Advance(48 * time.Hour)
				loved := publish(t, a, u["crea"], map[string]string{"caption": "new and loved #toptag"})
				likes(loved, "liker1", "liker2", "liker3")
				quiet := publish(t, a, u["crea"], map[string]string{"caption": "new and quiet #toptag"})
				shared := publish(t, a, u["crea"], map[string]string{"caption": "new and shared #TopTag"})
				if r := u["liker1"].Do("POST", "/api/v1/videos/"+shared+"/share", nil); r.Status != 200 {
					t.Fatal(r.Status)
				}
				label := map[string]string{old: "old", loved: "loved", quiet: "quiet", shared: "shared"}
				labels := func(ids []string) string {
					var out []string
					for _, id := range ids {
						out = append(out, label[id])
					}
					return strings.Join(out, " ")
				}
				// A share weighs as much as three likes; a tie goes to the newer video; three likes
				// two days ago count for less than nothing today.
				if got := labels(walk(t, u["liker1"], "/api/v1/hashtags/TopTag/videos?sort=top", 10)); got != "shared loved quiet old" {
					t.Errorf("top: %s", got)
				}
				if got := labels(walk(t, u["liker1"], "/api/v1/hashtags/%23toptag/videos?sort=newest", 10)); got != "shared quiet loved old" {
					t.Errorf("newest: %s", got)
				}
				if got := labels(walk(t, u["liker1"], "/api/v1/hashtags/toptag/videos?", 1)); got != "shared loved quiet old" {
					t.Errorf("top, one per page: %s", got)
				}
				// Paging is a snapshot: a video published and engagement gained mid-way neither
				// repeat nor reorder what is left.
				first := get200(t, u["liker2"], "/api/v1/hashtags/toptag/videos?sort=top&limit=2")
				if got := labels(field(first["items"], "id")); got != "shared loved" {
					t.Fatalf("first page: %s", got)
				}
				a.Clock.Advance(time.Minute)
				label[publish(t, a, u["crea"], map[string]string{"caption": "newcomer #toptag"})] = "newcomer"
				likes(shared, "liker2", "liker3")
				rest := get200(t, u["liker2"], "/api/v1/hashtags/toptag/videos?sort=top&limit=2&cursor="+url.QueryEscape(first["next_cursor"].(string)))
				if got := labels(field(rest["items"], "id")); got != "quiet old" || rest["next_cursor"] != nil {
					t.Errorf("second page of the snapshot: %q, next %v", got, rest["next_cursor"])
				}
				if got := labels(walk(t, u["liker2"], "/api/v1/hashtags/toptag/videos?sort=top", 10)); got != "shared loved newcomer quiet old" {
					t.Errorf("a fresh listing: %s", got)
				}
			})

			t.Run("full text, prefixes, unicode and the index following edits", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.SignupPerIP = 100 })
				u := users(a, "dan", "danika", "dante", "zed", "fan1", "fan2")
				u["fan1"].Do("POST", "/api/v1/accounts/danika/follow", nil)
				u["fan2"].Do("POST", "/api/v1/accounts/danika/follow", nil)
				u["zed"].Do("PATCH", "/api/v1/me", map[string]any{"display_name": "Danube Explorer"})
				viewer := u["fan1"]
				accounts := func(q string) string {
					return strings.Join(field(get200(t, viewer, "/api/v1/search?type=accounts&q="+url.QueryEscape(q))["accounts"], "username"), " ")
				}
				for q, want := range map[string]string{
					"dan":   "dan danika dante zed", // exact username, then by followers, then display name
					"@DAN":  "dan danika dante zed",
					"dani":  "danika",
					"expl":  "zed",
					"dan e": "zed", // every word must start a word of the display name
					"xyz":   "",
				} {
					if got := accounts(q); got != want {
						t.Errorf("accounts %q: %q, want %q", q, got, want)
					}
				}
				v := map[string]string{
					"cats":    publish(t, a, u["dan"], map[string]string{"caption": "cats cats cats #dance"}),
					"long":    publish(t, a, u["dan"], map[string]string{"caption": "a video of cats and dogs and many other things in a long caption #dance"}),
					"dogs":    publish(t, a, u["dan"], map[string]string{"caption": "dogs only #dancer"}),
					"unicode": publish(t, a, u["dan"], map[string]string{"caption": "Ünïcödé Straße 你好世界 café 🎉 #danish"}),
					"old":     publish(t, a, u["dan"], map[string]string{"caption": "ancient words #dance"}),
				}
				label := map[string]string{}
				for k, id := range v {
					label[id] = k
				}
				videos := func(q string) string {
					var out []string
					for _, id := range field(get200(t, viewer, "/api/v1/search?type=videos&q="+url.QueryEscape(q))["videos"], "id") {
						out = append(out, label[id])
					}
					return strings.Join(out, " ")
				}
				for q, want := range map[string]string{
					"cats":         "cats long", // more of the word, in fewer words, ranks first
					"CAT":          "cats long", // the last word may be a prefix
					"cats dogs":    "long",      // every word must appear
					"dog cats":     "",          // only the last word is a prefix
					"ünïcödé":      "unicode",
					"ÜNÏCÖDÉ":      "unicode",
					"你好":           "unicode",
					"café":         "unicode",
					"🎉 café!":      "unicode",
					"straße":       "unicode",
					"cafe":         "", // accents are kept on both engines
					"nothing here": "",
				} {
					if got := videos(q); got != want {
						t.Errorf("videos %q: %q, want %q", q, got, want)
					}
				}
				tags := get200(t, viewer, "/api/v1/search?type=hashtags&q=%23Dan")["hashtags"]
				if got := fmt.Sprint(field(tags, "name"), field(tags, "video_count")); got != "[dance dancer danish] [3 1 1]" {
					t.Errorf("hashtags #Dan: %s", got)
				}
				// Without a type, one answer holds all three sections.
				all := get200(t, viewer, "/api/v1/search?q=dan")
				if len(all["accounts"].([]any)) != 4 || len(all["hashtags"].([]any)) != 3 || all["videos"] == nil {
					t.Errorf("all sections: %v", all)
				}
				only := get200(t, viewer, "/api/v1/search?q=dan&type=hashtags")
				if _, ok := only["videos"]; ok {
					t.Errorf("a typed search answered other types: %v", only)
				}
				// Editing a caption re-indexes it; deleting a video takes it out.
				if r := u["dan"].Do("PATCH", "/api/v1/videos/"+v["old"], map[string]any{"caption": "brand new wording #fresh"}); r.Status != 200 {
					t.Fatalf("edit: %d %s", r.Status, r.Body)
				}
				if got := videos("ancient"); got != "" {
					t.Errorf("old caption still found: %q", got)
				}
				if got := videos("wording"); got != "old" {
					t.Errorf("new caption: %q", got)
				}
				if got := get200(t, viewer, "/api/v1/hashtags/dance")["video_count"]; got != 2.0 {
					t.Errorf("#dance after the edit: %v", got)
				}
				u["dan"].Do("DELETE", "/api/v1/videos/"+v["cats"], nil)
				if got := videos("cats"); got != "long" {
					t.Errorf("after delete: %q", got)
				}
				// Renaming re-indexes the display name.
				u["zed"].Do("PATCH", "/api/v1/me", map[string]any{"display_name": "Nile Rafter"})
				if got := accounts("danube"); got != "" {
					t.Errorf("old display name still found: %q", got)
				}
				if got := accounts("raft"); got != "zed" {
					t.Errorf("new display name: %q", got)
				}
			})

			t.Run("search pages hold every result once", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.SignupPerIP = 100 })
				u := users(a, "pager")
				ownerID := accountID(t, a, "pager")
				var want []string
				for i := 0; i < 7; i++ {
					want = append(want, seedVideo(t, a, ownerID, fmt.Sprintf("paging test %d #pg%d", i, i), "public", video.StateReady, false))
				}
				if got := pageSearch(t, u["pager"], "paging", "videos", 3); fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
					t.Errorf("paged search: %v, want %v", got, want)
				}
				if got := pageSearch(t, u["pager"], "#pg", "hashtags", 2); strings.Join(got, " ") != "pg0 pg1 pg2 pg3 pg4 pg5 pg6" {
					t.Errorf("paged hashtags: %v", got)
				}
				if got := pageSearch(t, u["pager"], "pag", "accounts", 1); strings.Join(got, " ") != "pager" {
					t.Errorf("paged accounts: %v", got)
				}
			})

			t.Run("bad input is a 4xx, never a 500", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				u := users(a, "edgy")
				publish(t, a, u["edgy"], map[string]string{"caption": `near "quoted" text - with * stars #edge`})
				c := u["edgy"]
				for _, tc := range []struct {
					path, code string
				}{
					{"/api/v1/search", "query_required"},
					{"/api/v1/search?q=", "query_required"},
					{"/api/v1/search?q=%20%20%20", "query_required"},
					{"/api/v1/search?q=" + strings.Repeat("a", 101), "query_too_long"},
					{"/api/v1/search?q=" + url.QueryEscape(strings.Repeat("é", 101)), "query_too_long"},
					{"/api/v1/search?q=cat&type=users", "invalid_type"},
					{"/api/v1/search?q=cat&type=videos&cursor=garbage", "invalid_cursor"},
					{"/api/v1/search?q=cat&cursor=abc", "cursor_needs_type"},
					{"/api/v1/search?q=cat&limit=0", "invalid_limit"},
					{"/api/v1/search?q=cat&limit=1000", "invalid_limit"},
					{"/api/v1/hashtags/edge/videos?sort=best", "invalid_sort"},
					{"/api/v1/hashtags/edge/videos?cursor=eyJrIjoidG9wIn0", "invalid_cursor"},
					{"/api/v1/hashtags/edge/videos?sort=newest&cursor=eyJrIjoidG9wIn0", "invalid_cursor"},
					{"/api/v1/hashtags/not%20a%20tag", "invalid_hashtag"},
					{"/api/v1/hashtags/12345", "invalid_hashtag"},
					{"/api/v1/hashtags/" + strings.Repeat("x", 101), "invalid_hashtag"},
					{"/api/v1/hashtags/a-b/videos", "invalid_hashtag"},
				} {
					if r := c.Do("GET", tc.path, nil); r.Status != 400 || r.ErrorCode() != tc.code {
						t.Errorf("GET %s: %d %s, want 400 %s", tc.path, r.Status, r.Body, tc.code)
					}
				}
				for _, q := range []string{`"`, `*`, `NEAR(`, `NEAR(a b, 2)`, `-`, `-edge`, `a OR b`, `"unterminated`, `caption:near`,
					`^near`, `edge AND`, `(`, `)`, `'`, `\`, `%`, `_`, `:*`, `!`, `&`, `|`, `<->`, `'near':*`, "\x00", "\xff\xfe",
					`near*`, `"near" "quoted"`, `{caption}: x`, `' OR 1=1 --`, `%_%`, `@`, `#`, `@@`, `##`, `#_`, `..`, "\u202e"} {
					for _, typ := range []string{"", "accounts", "hashtags", "videos"} {
						r := c.Do("GET", "/api/v1/search?q="+url.QueryEscape(q)+"&type="+typ, nil)
						if r.Status >= 500 || (r.Status != 200 && r.Status != 400) {
							t.Errorf("q=%q type=%s: %d %s", q, typ, r.Status, r.Body)
						}
					}
					if r := c.Do("GET", "/api/v1/hashtags/"+url.PathEscape(q)+"/videos", nil); r.Status >= 500 {
						t.Errorf("hashtag %q: %d %s", q, r.Status, r.Body)
					}
				}
				// Operators are words like any other: "near" finds the caption that has it.
				if got := get200(t, c, "/api/v1/search?type=videos&q="+url.QueryEscape(`NEAR("quoted" -text*`))["videos"]; len(got.([]any)) != 1 {
					t.Errorf("operator characters as separators: %v", got)
				}
			})
		})
	}
}
