package httpapi_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"kurz/internal/db"
	"kurz/internal/testkit"
)

// queryCounter counts the statements a PostgreSQL connection runs, as pgx traces them: every
// query and exec the stores send, whichever pool they go through.
type queryCounter struct {
	mu   sync.Mutex
	sqls []string
}

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	q.mu.Lock()
	q.sqls = append(q.sqls, strings.Join(strings.Fields(data.SQL), " "))
	q.mu.Unlock()
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// during returns the statements run while fn ran.
func (q *queryCounter) during(fn func()) []string {
	q.mu.Lock()
	from := len(q.sqls)
	q.mu.Unlock()
	fn()
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.sqls[from:]...)
}

// countedPostgres is testkit's PostgreSQL engine with every statement counted: a fresh
// schema, reached through a pgx connection config that carries the counter as its tracer.
// It skips the test when PostgreSQL is unreachable (testkit.Engines has already failed it
// under CI).
func countedPostgres(t *testing.T) (testkit.Engine, *queryCounter) {
	t.Helper()
	var base string
	for _, e := range testkit.Engines(t) {
		if e.Name == "postgres" {
			base = os.Getenv("KURZ_TEST_POSTGRES")
			if base == "" {
				base = testkit.DefaultPostgresURL
			}
		}
	}
	if base == "" {
		t.Skip("PostgreSQL unreachable: queries are counted through its driver")
	}
	qc := &queryCounter{}
	open := func(t testing.TB) *db.DB {
		ctx := context.Background()
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "t_querycount_" + hex.EncodeToString(b)
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
			admin.Close()
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			_, _ = admin.ExecContext(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`)
			admin.Close()
		})
		cfg, err := pgx.ParseConfig(base)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["search_path"] = schema
		cfg.Tracer = qc
		name := stdlib.RegisterConnConfig(cfg)
		t.Cleanup(func() { stdlib.UnregisterConnConfig(name) })
		d, err := db.Open(ctx, db.Options{URL: name, MaxConns: 8})
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		t.Cleanup(func() { d.Close() })
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		return d
	}
	return testkit.Engine{Name: "postgres", Open: open}, qc
}

// TestVideoListsCostTheSameQueriesAtAnySize renders video lists as pages of 3 and of 12
// videos and checks the larger page runs no more statements than the smaller: authors, the
// viewer's relations, tags, comment policies, renditions and counts are read for the whole
// page at once, not per video.
func TestVideoListsCostTheSameQueriesAtAnySize(t *testing.T) {
	e, qc := countedPostgres(t)
	a := testkit.NewAppNoWorkers(t, e, nil)
	ctx := context.Background()
	u := users(a, "cre1", "cre2", "cre3", "fan")
	owners := []string{accountID(t, a, "cre1"), accountID(t, a, "cre2"), accountID(t, a, "cre3")}
	var vids []string
	// The owners take turns, so that a hashtag or search page of three already has each
	// owner on it: the pages differ only in how many videos they hold. cre1's grid has
	// videos of its own besides.
	for i := 0; i < 48; i++ {
		caption, owner, vis := fmt.Sprintf("countable clip %d #countme @fan", i), owners[i%3], "public"
		if i >= 36 {
			caption, owner = fmt.Sprintf("grid clip %d", i), owners[0]
		}
		if i%4 == 1 {
			vis = "followers"
		}
		id := seedVideo(t, a, owner, caption, vis, "ready", false)
		if err := a.DB.Videos().AddRendition(ctx, &db.RenditionRow{VideoID: id, Name: "480p", BlobKey: "videos/" + id + "/480p.mp4",
			Width: 480, Height: 854, Bitrate: 1e6, Bytes: 1e6}, a.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		vids = append(vids, id)
	}
	for _, step := range []struct {
		c            *testkit.Client
		method, path string
		body         any
	}{
		{u["fan"], "POST", "/api/v1/accounts/cre1/follow", nil},
		{u["fan"], "POST", "/api/v1/accounts/cre2/follow", nil},
		{u["cre3"], "POST", "/api/v1/accounts/fan/block", nil},
		{u["fan"], "POST", "/api/v1/videos/" + vids[34] + "/like", nil},
		{u["fan"], "POST", "/api/v1/videos/" + vids[33] + "/comments", map[string]any{"body": "nice"}},
		{u["fan"], "POST", "/api/v1/videos/" + vids[47] + "/like", nil},
	} {
		if r := step.c.Do(step.method, step.path, step.body); r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", step.method, step.path, r.Status, r.Body)
		}
	}

	lists := []struct {
		name string
		path string // with %d for the page size
		key  string // where the videos are in the answer
	}{
		{"account videos", "/api/v1/accounts/cre1/videos?limit=%d", "items"},
		{"hashtag, newest", "/api/v1/hashtags/countme/videos?sort=newest&limit=%d", "items"},
		{"hashtag, top", "/api/v1/hashtags/countme/videos?sort=top&limit=%d", "items"},
		{"search, videos", "/api/v1/search?q=countable&type=videos&limit=%d", "videos"},
		{"search, all", "/api/v1/search?q=countable&limit=%d", "videos"},
	}
	viewers := []struct {
		name string
		c    *testkit.Client
	}{{"anonymous", a.Client()}, {"follower", u["fan"]}, {"cre1", u["cre1"]}}
	for _, l := range lists {
		for _, v := range viewers {
			run := func(n int) []string {
				path := fmt.Sprintf(l.path, n)
				v.c.Do("GET", path, nil) // warm: sessions and statements
				var r *testkit.Response
				sqls := qc.during(func() { r = v.c.Do("GET", path, nil) })
				if r.Status != 200 {
					t.Fatalf("%s as %s: %d %s", path, v.name, r.Status, r.Body)
				}
				var body map[string]json.RawMessage
				if err := json.Unmarshal(r.Body, &body); err != nil {
					t.Fatal(err)
				}
				var items []map[string]any
				if err := json.Unmarshal(body[l.key], &items); err != nil {
					t.Fatal(err)
				}
				if len(items) != n {
					t.Fatalf("%s as %s: %d videos, want %d (the page must be full for the counts to compare)", path, v.name, len(items), n)
				}
				return sqls
			}
			small, large := run(3), run(12)
			t.Logf("%-16s %-9s  3 videos: %3d queries   12 videos: %3d queries", l.name, v.name, len(small), len(large))
			if len(large) != len(small) {
				t.Errorf("%s as %s: a page of 12 runs %d statements, a page of 3 runs %d; the page is read per video.\n3:\n  %s\n12:\n  %s",
					l.name, v.name, len(large), len(small), strings.Join(small, "\n  "), strings.Join(large, "\n  "))
			}
		}
	}
}

// TestVideoListsAreTheVideos checks that every list of videos other than the feeds — an
// account's grid, a hashtag page in both orders, search results — shows each video exactly
// as GET /api/v1/videos/{id} shows it to the same viewer (author, hashtags and mentions,
// renditions, comment policy, counts as the viewer sees them, the viewer's like and
// follow), never one that GET refuses, in the order the list has always had.
func TestVideoListsAreTheVideos(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewAppNoWorkers(t, e, nil)
			ctx := context.Background()
			u := users(a, "cre", "cre2", "fan", "blk", "troll")
			cre, cre2 := accountID(t, a, "cre"), accountID(t, a, "cre2")
			name := map[string]string{}
			seed := func(label, owner, caption, visibility string) string {
				id := seedVideo(t, a, owner, caption, visibility, "ready", false)
				if err := a.DB.Videos().AddRendition(ctx, &db.RenditionRow{VideoID: id, Name: "480p", BlobKey: "videos/" + id + "/480p.mp4",
					Width: 480, Height: 854, Bitrate: 1e6, Bytes: 1e6}, a.Clock.Now()); err != nil {
					t.Fatal(err)
				}
				name[id] = label
				return id
			}
			pub := seed("cre public", cre, "listed clip one #listtag @fan", "public")
			seed("cre followers", cre, "listed clip two #listtag", "followers")
			seed("cre private", cre, "listed clip three #listtag", "private")
			other := seed("cre2 public", cre2, "listed clip four #listtag #other @cre", "public")
			held := seed("cre public held", cre, "listed clip five #listtag", "public")

			mustDo := func(c *testkit.Client, method, path string, body any, status int) {
				t.Helper()
				if r := c.Do(method, path, body); r.Status != status {
					t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
				}
			}
			mustDo(u["fan"], "POST", "/api/v1/accounts/cre/follow", nil, 200)
			mustDo(u["fan"], "POST", "/api/v1/videos/"+pub+"/like", nil, 200)
			mustDo(u["troll"], "POST", "/api/v1/videos/"+pub+"/comments", map[string]any{"body": "first"}, 201)
			mustDo(u["blk"], "POST", "/api/v1/accounts/troll/block", nil, 204)
			mustDo(u["blk"], "POST", "/api/v1/accounts/cre2/block", nil, 204)
			mustDo(u["cre"], "PUT", "/api/v1/me/comment-filters", map[string]any{"keywords": []string{"heldword"}}, 200)
			mustDo(u["fan"], "POST", "/api/v1/videos/"+held+"/comments", map[string]any{"body": "a heldword here"}, 201)
			mustDo(u["cre2"], "PUT", "/api/v1/videos/"+other+"/comment-policy", map[string]any{"who_can_comment": "followers"}, 204)

			lists := map[string]string{
				"cre's grid":       "/api/v1/accounts/cre/videos?limit=2",
				"cre2's grid":      "/api/v1/accounts/cre2/videos?limit=2",
				"#listtag, newest": "/api/v1/hashtags/listtag/videos?sort=newest&limit=2",
				"#listtag, top":    "/api/v1/hashtags/listtag/videos?sort=top&limit=2",
			}
			viewers := map[string]*testkit.Client{"anonymous": a.Client(), "fan": u["fan"], "blk": u["blk"], "cre": u["cre"], "troll": u["troll"]}
			seen := map[string]bool{}
			for vname, c := range viewers {
				// The items of a list, page by page, as the list shows them.
				items := map[string][]map[string]json.RawMessage{}
				for lname, path := range lists {
					for cursor := ""; ; {
						p := path
						if cursor != "" {
							p += "&cursor=" + cursor
						}
						var page struct {
							Items      []map[string]json.RawMessage
							NextCursor string `json:"next_cursor"`
						}
						r := c.Do("GET", p, nil)
						if r.Status != 200 || json.Unmarshal(r.Body, &page) != nil {
							t.Fatalf("%s, %s: %d %s", vname, p, r.Status, r.Body)
						}
						items[lname] = append(items[lname], page.Items...)
						if page.NextCursor == "" {
							break
						}
						cursor = page.NextCursor
					}
				}
				r := c.Do("GET", "/api/v1/search?q=listed&type=videos&limit=20", nil)
				var found struct{ Videos []map[string]json.RawMessage }
				if r.Status != 200 || json.Unmarshal(r.Body, &found) != nil {
					t.Fatalf("%s, search: %d %s", vname, r.Status, r.Body)
				}
				items["search"] = found.Videos
				for lname, its := range items {
					var order []string
					for _, it := range its {
						var id string
						if err := json.Unmarshal(it["id"], &id); err != nil {
							t.Fatal(err)
						}
						order = append(order, id)
						one := c.Do("GET", "/api/v1/videos/"+id, nil)
						if one.Status != 200 {
							t.Errorf("%s's %s shows %s, which GET refuses: %d", vname, lname, name[id], one.Status)
							continue
						}
						var want map[string]json.RawMessage
						if err := json.Unmarshal(one.Body, &want); err != nil {
							t.Fatal(err)
						}
						for _, k := range sorted(slices.Collect(maps.Keys(want))) {
							g, w := signedQuery.ReplaceAllString(string(it[k]), `"`), signedQuery.ReplaceAllString(string(want[k]), `"`)
							if g != w {
								t.Errorf("%s's %s, %s: %s is %s, GET says %s", vname, lname, name[id], k, g, w)
							}
						}
						if len(it) != len(want) {
							t.Errorf("%s's %s, %s: fields %v, GET has %v", vname, lname, name[id], sorted(slices.Collect(maps.Keys(it))),
								sorted(slices.Collect(maps.Keys(want))))
						}
						seen[vname+" "+name[id]] = true
					}
					// The grids and the newest order list the newest first.
					if strings.Contains(lname, "grid") || strings.Contains(lname, "newest") {
						for i := 1; i < len(order); i++ {
							if order[i] > order[i-1] {
								t.Errorf("%s's %s is not newest first: %v", vname, lname, order)
							}
						}
					}
				}
			}
			// The lists covered what a page must get right for each viewer.
			for _, must := range []string{"fan cre followers", "fan cre public", "cre cre private", "cre cre public held",
				"blk cre public", "anonymous cre2 public", "troll cre2 public"} {
				if !seen[must] {
					t.Errorf("no list showed %s", must)
				}
			}
			for _, never := range []string{"anonymous cre followers", "blk cre2 public", "troll cre private"} {
				if seen[never] {
					t.Errorf("a list showed %s", never)
				}
			}
		})
	}
}
