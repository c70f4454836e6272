package db_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// everyone is the audience of an anonymous viewer as policy describes it today.
var everyone = db.Audience{States: []string{"ready"}, OwnerStates: []string{"active"}, Stranger: []string{"public"}}

func addVideo(t testing.TB, d *db.DB, ids *id.Generator, owner, caption string, tags ...string) string {
	t.Helper()
	now := time.Now().UTC()
	v := &db.VideoRow{ID: ids.New(), AccountID: owner, Caption: caption, Visibility: "public", State: "ready",
		CreatedAt: now, UpdatedAt: now, Hashtags: tags}
	up := &db.UploadRow{ID: ids.New(), AccountID: owner, VideoID: v.ID, Length: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := d.Videos().CreateWithUpload(context.Background(), v, up); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func findVideos(t testing.TB, d *db.DB, terms ...string) []string {
	t.Helper()
	got, err := d.Search().Videos(context.Background(), db.VideoQuery{Audience: everyone, Terms: terms,
		Before: time.Now().Add(time.Minute), Pool: 100, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSearchIndexFollowsRows checks the index stays exact through every way a row changes,
// including the cascade when an account row goes, and that erasing leaves no orphan behind.
func TestSearchIndexFollowsRows(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := e.Open(t)
			ids := id.NewGenerator()
			alice := newAccount(ids, "alice")
			alice.DisplayName = "Alice Wonder"
			if err := d.Accounts().Create(ctx, alice); err != nil {
				t.Fatal(err)
			}
			v1 := addVideo(t, d, ids, alice.ID, "the quick brown fox", "fox")
			v2 := addVideo(t, d, ids, alice.ID, "a lazy dog", "dog")
			if got := findVideos(t, d, "quick"); fmt.Sprint(got) != fmt.Sprint([]string{v1}) {
				t.Fatalf("quick: %v", got)
			}
			caption := "a slow fox"
			if err := d.Videos().Update(ctx, v1, db.VideoEdit{Caption: &caption, Hashtags: []string{"fox"}}, time.Now()); err != nil {
				t.Fatal(err)
			}
			if got := findVideos(t, d, "quick"); len(got) != 0 {
				t.Fatalf("the old caption is still indexed: %v", got)
			}
			if got := findVideos(t, d, "slow", "fox"); fmt.Sprint(got) != fmt.Sprint([]string{v1}) {
				t.Fatalf("the new caption: %v", got)
			}
			if err := d.Videos().Delete(ctx, v2); err != nil {
				t.Fatal(err)
			}
			if got := findVideos(t, d, "lazy"); len(got) != 0 {
				t.Fatalf("a deleted video is found: %v", got)
			}
			accounts := func(terms ...string) []string {
				rows, err := d.Search().Accounts(ctx, db.AccountQuery{NameTerms: terms, Before: time.Now().Add(time.Minute), Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, r := range rows {
					out = append(out, r.Username)
				}
				return out
			}
			if got := accounts("won"); fmt.Sprint(got) != "[alice]" {
				t.Fatalf("display name: %v", got)
			}
			name := "Alice Liddell"
			if _, err := d.Accounts().UpdateProfile(ctx, alice.ID, db.ProfileUpdate{DisplayName: &name}, time.Now()); err != nil {
				t.Fatal(err)
			}
			if got := accounts("won"); len(got) != 0 {
				t.Fatalf("the old display name is still indexed: %v", got)
			}
			if got := accounts("lid"); fmt.Sprint(got) != "[alice]" {
				t.Fatalf("the new display name: %v", got)
			}
			// The account row goes and its videos with it, by cascade.
			if err := d.Erasure().PurgeAccount(ctx, alice.ID); err != nil {
				t.Fatal(err)
			}
			bob := newAccount(ids, "bob")
			bob.DisplayName = "Bob Slow"
			if err := d.Accounts().Create(ctx, bob); err != nil {
				t.Fatal(err)
			}
			v3 := addVideo(t, d, ids, bob.ID, "slow fox again")
			if got := findVideos(t, d, "slow"); fmt.Sprint(got) != fmt.Sprint([]string{v3}) {
				t.Fatalf("after the purge: %v", got)
			}
			if d.Dialect != db.SQLite {
				return
			}
			// Nothing of alice's is left in the FTS tables: no orphan document, no word.
			raw, err := sql.Open("sqlite", "file:"+d.Path()+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			for q, want := range map[string]int{
				`SELECT COUNT(*) FROM videos_fts_docs`:                                                                    1,
				`SELECT COUNT(*) FROM accounts_fts_docs`:                                                                  1,
				`SELECT COUNT(*) FROM videos_fts`:                                                                         1,
				`SELECT COUNT(*) FROM videos_fts WHERE videos_fts MATCH 'fox'`:                                            1,
				`SELECT COUNT(*) FROM videos_fts_docs d LEFT JOIN videos v ON v.id = d.video_id WHERE v.id IS NULL`:       0,
				`SELECT COUNT(*) FROM accounts_fts_docs d LEFT JOIN accounts a ON a.id = d.account_id WHERE a.id IS NULL`: 0,
				`SELECT COUNT(*) FROM accounts_fts WHERE accounts_fts MATCH 'liddell OR wonder'`:                          0,
			} {
				var n int
				if err := raw.QueryRow(q).Scan(&n); err != nil || n != want {
					t.Errorf("%s: %d (%v), want %d", q, n, err, want)
				}
			}
		})
	}
}

// FuzzSearchStore throws raw words, never cleaned by the search service, at every query of
// the store on every engine: whatever the words, the engines must answer, not fail on
// syntax. Only the store quotes words for FTS5 and to_tsquery, so this is its guarantee.
func FuzzSearchStore(f *testing.F) {
	for _, s := range []string{"cats", `"`, `*`, `NEAR(`, `NEAR(a b, 2)`, `-`, `a OR b`, `"unterminated`, `caption:x`, `^a`,
		`a AND`, `(`, `)`, `'`, `\`, `%`, `_`, `:*`, `!`, `&`, `|`, `<->`, `'a':*`, "\x00", "\xff", "a\x00b", `{caption}: x`,
		`' OR 1=1 --`, "Ünï 你好", "🎉", "\u202e", "a b c d e f g h i j"} {
		f.Add(s)
	}
	type world struct {
		d     *db.DB
		au    db.Audience
		fixed string
	}
	var worlds []world
	for _, e := range testkit.Engines(f) {
		d := e.Open(f)
		ids := id.NewGenerator()
		a := newAccount(ids, "fuzzy")
		a.DisplayName = "Fuzzy Wuzzy"
		if err := d.Accounts().Create(context.Background(), a); err != nil {
			f.Fatal(err)
		}
		vid := addVideo(f, d, ids, a.ID, `near "quoted" - text * with cats`, "cats")
		au := everyone
		au.ViewerID, au.Follower, au.Own = ids.New(), []string{"public", "followers"}, []string{"public"}
		worlds = append(worlds, world{d: d, au: au, fixed: vid})
	}
	f.Fuzz(func(t *testing.T, q string) {
		ctx := context.Background()
		terms := strings.Fields(q)
		if len(terms) == 0 {
			terms = []string{q}
		}
		for _, w := range worlds {
			s := w.d.Search()
			if _, err := s.Videos(ctx, db.VideoQuery{Audience: w.au, Terms: terms, Before: time.Now(), Pool: 50, Limit: 5}); err != nil {
				t.Fatalf("%s videos %q: %v", w.d.Dialect, terms, err)
			}
			if _, err := s.Accounts(ctx, db.AccountQuery{ViewerID: w.au.ViewerID, UsernamePrefix: q, NameTerms: terms, Before: time.Now(), Limit: 5}); err != nil {
				t.Fatalf("%s accounts %q: %v", w.d.Dialect, terms, err)
			}
			if _, err := s.Hashtags(ctx, w.au, q, 0, 5); err != nil {
				t.Fatalf("%s hashtags %q: %v", w.d.Dialect, q, err)
			}
			if _, err := s.HashtagCount(ctx, w.au, q); err != nil {
				t.Fatalf("%s hashtag count %q: %v", w.d.Dialect, q, err)
			}
			if _, err := s.TaggedTop(ctx, w.au, q, time.Now(), &db.TopKey{Score: 1, VideoID: q}, 5); err != nil {
				t.Fatalf("%s top %q: %v", w.d.Dialect, q, err)
			}
			if _, err := s.TaggedNewest(ctx, w.au, q, q, 5); err != nil {
				t.Fatalf("%s newest %q: %v", w.d.Dialect, q, err)
			}
		}
	})
}

// TestSearchIndexForgetsDeletedWords: the words of a deleted caption or display name must
// not survive in the index's pages, since erasure promises that nothing of an erased account
// stays on disk. A kept row's words are found by the same scan, so it is not blind.
func TestSearchIndexForgetsDeletedWords(t *testing.T) {
	ctx := context.Background()
	d := testkit.OpenSQLite(t)
	ids := id.NewGenerator()
	keep, gone := newAccount(ids, "keeper"), newAccount(ids, "leaver")
	keep.DisplayName, gone.DisplayName = "Keeper zzkeepname", "Leaver zzgonename"
	for _, a := range []*db.AccountRow{keep, gone} {
		if err := d.Accounts().Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	addVideo(t, d, ids, keep.ID, "stays zzkeepcaption")
	for i := 0; i < 3; i++ {
		addVideo(t, d, ids, gone.ID, fmt.Sprintf("Cap-zzgonecaption%d #zzgonetag", i))
	}
	addVideo(t, d, ids, keep.ID, "also stays zzkeepother")
	if err := d.Erasure().PurgeAccount(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(d.Path() + "*")
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	for _, w := range []string{"zzkeepname", "zzkeepcaption", "zzkeepother"} {
		if !bytes.Contains(all, []byte(w)) {
			t.Errorf("the scan cannot see %s, which stays", w)
		}
	}
	for _, w := range []string{"zzgonename", "zzgonecaption", "zzgonetag"} {
		if bytes.Contains(all, []byte(w)) {
			t.Errorf("%s survives its deletion on disk", w)
		}
	}
}

// TestHashtagCountsAgree builds a small world with every kind of video, owner and relation
// and checks, for every viewer and after each kind of change, that the fast hashtag counts
// (public uses plus corrections) equal counting every use against the audience. An audience
// that lists "public" twice means the same but is not recognised as flagged, so it takes the
// plain path.
func TestHashtagCountsAgree(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := e.Open(t)
			ids := id.NewGenerator()
			acc := map[string]*db.AccountRow{}
			for _, n := range []string{"viewer", "friend", "fan", "blocker", "blocked", "stranger", "banned"} {
				acc[n] = newAccount(ids, n)
				if err := d.Accounts().Create(ctx, acc[n]); err != nil {
					t.Fatal(err)
				}
			}
			now := time.Now()
			social := d.Social()
			for _, f := range [][2]string{{"viewer", "friend"}, {"friend", "viewer"}, {"fan", "viewer"}, {"viewer", "banned"}} {
				if _, _, err := social.Follow(ctx, acc[f[0]].ID, acc[f[1]].ID, false, now); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := social.Block(ctx, acc["blocker"].ID, acc["viewer"].ID, now); err != nil {
				t.Fatal(err)
			}
			if _, err := social.Block(ctx, acc["viewer"].ID, acc["blocked"].ID, now); err != nil {
				t.Fatal(err)
			}
			var vids []string
			for _, owner := range []string{"viewer", "friend", "fan", "blocker", "blocked", "stranger", "banned"} {
				for _, vis := range []string{"public", "followers", "private"} {
					for _, state := range []string{"ready", "processing"} {
						v := &db.VideoRow{ID: ids.New(), AccountID: acc[owner].ID, Caption: "x", Visibility: vis, State: state,
							CreatedAt: now, UpdatedAt: now, Hashtags: []string{"tag", "tagged", owner + "tag"}}
						up := &db.UploadRow{ID: ids.New(), AccountID: v.AccountID, VideoID: v.ID, Length: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
						if err := d.Videos().CreateWithUpload(ctx, v, up); err != nil {
							t.Fatal(err)
						}
						vids = append(vids, v.ID)
					}
				}
			}
			audience := func(viewer string) db.Audience {
				au := db.Audience{States: []string{"ready"}, OwnerStates: []string{"active"}, Stranger: []string{"public"}}
				if viewer != "" {
					au.ViewerID = acc[viewer].ID
					au.Follower = []string{"public", "followers"}
					au.Own = []string{"public", "followers", "private"}
				}
				return au
			}
			check := func(when string) {
				t.Helper()
				for _, viewer := range []string{"", "viewer", "fan", "stranger", "blocker"} {
					fast := audience(viewer)
					plain := fast
					plain.Stranger = []string{"public", "public"}
					for _, tag := range []string{"tag", "viewertag", "friendtag", "blockertag", "bannedtag", "nosuchtag"} {
						a, err1 := d.Search().HashtagCount(ctx, fast, tag)
						b, err2 := d.Search().HashtagCount(ctx, plain, tag)
						if err1 != nil || err2 != nil || a != b {
							t.Errorf("%s: viewer %q #%s: fast %d (%v), plain %d (%v)", when, viewer, tag, a, err1, b, err2)
						}
					}
					a, err1 := d.Search().Hashtags(ctx, fast, "t", 0, 50)
					b, err2 := d.Search().Hashtags(ctx, plain, "t", 0, 50)
					if err1 != nil || err2 != nil || fmt.Sprint(a) != fmt.Sprint(b) {
						t.Errorf("%s: viewer %q prefix: fast %v (%v), plain %v (%v)", when, viewer, a, err1, b, err2)
					}
				}
			}
			check("as built")
			if n, _ := d.Search().HashtagCount(ctx, audience("viewer"), "tag"); n == 0 {
				t.Fatal("the viewer sees no video: the comparison would prove nothing")
			}
			for _, id := range vids[:len(vids)/2] {
				if err := d.Videos().SetState(ctx, id, "ready", "", "", now); err != nil {
					t.Fatal(err)
				}
			}
			check("after processing")
			pub := "public"
			for i, id := range vids {
				if i%3 == 0 {
					if err := d.Videos().Update(ctx, id, db.VideoEdit{Visibility: &pub}, now); err != nil {
						t.Fatal(err)
					}
				}
				if i%4 == 0 {
					c := "new caption"
					if err := d.Videos().Update(ctx, id, db.VideoEdit{Caption: &c, Hashtags: []string{"tagged", "fresh"}}, now); err != nil {
						t.Fatal(err)
					}
				}
			}
			check("after edits")
			pools := d.Pools()
			pool := pools["main"]
			if pool == nil {
				pool = pools["writer"]
			}
			if _, err := pool.ExecContext(ctx, d.Q(`UPDATE videos SET removed = ? WHERE id = ? OR id = ?`), true, vids[1], vids[7]); err != nil {
				t.Fatal(err)
			}
			check("after removals")
			if err := d.Accounts().SetState(ctx, acc["banned"].ID, "suspended", now); err != nil {
				t.Fatal(err)
			}
			if err := d.Accounts().SetState(ctx, acc["friend"].ID, "suspended", now); err != nil {
				t.Fatal(err)
			}
			check("after suspensions")
			if err := d.Accounts().SetState(ctx, acc["friend"].ID, "active", now); err != nil {
				t.Fatal(err)
			}
			if err := d.Videos().Delete(ctx, vids[2]); err != nil {
				t.Fatal(err)
			}
			if err := d.Erasure().PurgeAccount(ctx, acc["stranger"].ID); err != nil {
				t.Fatal(err)
			}
			check("after reinstatement and deletions")
		})
	}
}
