package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// counters reads every stored counter of the accounts, videos and comments, by name.
func counters(t testing.TB, d *db.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, q := range []struct{ prefix, sql string }{
		{"account", `SELECT account_id, followers, following, likes FROM account_stats`},
		{"video", `SELECT video_id, likes, comments, 0 FROM video_stats`},
		{"comment", `SELECT id, like_count, reply_count, 0 FROM comments`},
	} {
		rows, err := pool(d).Query(q.sql)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var key string
			var a, b, c int64
			if err := rows.Scan(&key, &a, &b, &c); err != nil {
				t.Fatal(err)
			}
			names := map[string][3]string{"account": {"followers", "following", "likes"}, "video": {"likes", "comments", ""},
				"comment": {"likes", "replies", ""}}[q.prefix]
			for i, v := range []int64{a, b, c} {
				if names[i] != "" && v != 0 {
					out[q.prefix+" "+key+" "+names[i]] = v
				}
			}
		}
		rows.Close()
	}
	return out
}

// recount counts every counter again from the rows and the account states, by the
// definitions in db.Social, in Go: what an anonymous visitor would see.
func recount(t testing.TB, d *db.DB) map[string]int64 {
	t.Helper()
	active := map[string]bool{}
	for _, r := range rowsOf(t, d, `SELECT id, state FROM accounts`) {
		active[r[0]] = r[1] == "active"
	}
	owner := map[string]string{}
	for _, r := range rowsOf(t, d, `SELECT id, account_id FROM videos`) {
		owner[r[0]] = r[1]
	}
	out := map[string]int64{}
	add := func(key string, n int64) {
		out[key] += n
		if out[key] == 0 {
			delete(out, key)
		}
	}
	for _, r := range rowsOf(t, d, `SELECT follower_id, followee_id FROM follows WHERE state = 'accepted'`) {
		if active[r[0]] {
			add("account "+r[1]+" followers", 1)
		}
		if active[r[1]] {
			add("account "+r[0]+" following", 1)
		}
	}
	for _, r := range rowsOf(t, d, `SELECT account_id, video_id FROM likes`) {
		if active[r[0]] {
			add("video "+r[1]+" likes", 1)
			add("account "+owner[r[1]]+" likes", 1)
		}
	}
	for _, r := range rowsOf(t, d, `SELECT account_id, comment_id FROM comment_likes`) {
		if active[r[0]] {
			add("comment "+r[1]+" likes", 1)
		}
	}
	type comment struct {
		author, video, parent string
		held                  bool
	}
	cs := map[string]comment{}
	for _, r := range rowsOf(t, d, `SELECT id, account_id, video_id, COALESCE(parent_id, ''), CASE WHEN filtered THEN 'held' ELSE '' END FROM comments`) {
		cs[r[0]] = comment{r[1], r[2], r[3], r[4] == "held"}
	}
	shows := func(c comment) bool { return active[c.author] && !c.held }
	for _, c := range cs {
		if c.parent == "" {
			if shows(c) {
				add("video "+c.video+" comments", 1)
			}
			continue
		}
		if shows(c) {
			add("comment "+c.parent+" replies", 1)
			if shows(cs[c.parent]) {
				add("video "+c.video+" comments", 1)
			}
		}
	}
	return out
}

// pool is the database's reading pool, for the queries of the checks (no placeholders).
func pool(d *db.DB) *sql.DB {
	if p := d.Pools()["readers"]; p != nil {
		return p
	}
	return d.Pools()["main"]
}

func rowsOf(t testing.TB, d *db.DB, q string) [][]string {
	t.Helper()
	rows, err := pool(d).Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	return out
}

// diff lists the counters that differ, for a message.
func diff(got, want map[string]int64) string {
	var out []string
	for k := range want {
		if got[k] != want[k] {
			out = append(out, fmt.Sprintf("%s = %d, want %d", k, got[k], want[k]))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("%s = %d, want 0", k, got[k]))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func TestSuspensionCounters(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			ids := id.NewGenerator()
			now := time.Now()
			acc := map[string]string{}
			for _, name := range []string{"owner", "x", "a", "b"} {
				a := newAccount(ids, name)
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				acc[name] = a.ID
			}
			s := d.Social()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			follow := func(from, to string, pending bool) {
				t.Helper()
				_, _, err := s.Follow(ctx, acc[from], acc[to], pending, now)
				must(err)
			}
			comment := func(author, video, parent string, held bool) string {
				t.Helper()
				c := &db.CommentRow{ID: ids.New(), VideoID: video, AccountID: acc[author], ParentID: parent, Body: "b", Filtered: held, CreatedAt: now}
				must(s.AddComment(ctx, c))
				return c.ID
			}
			v := addVideo(t, d, ids, acc["owner"], "v")
			w := addVideo(t, d, ids, acc["x"], "w")
			follow("x", "owner", false)
			follow("owner", "x", false)
			follow("a", "x", false)
			follow("x", "a", true) // pending: counts nowhere
			for _, l := range [][2]string{{"x", v}, {"a", v}, {"x", w}, {"a", w}} {
				_, err := s.Like(ctx, acc[l[0]], l[1], map[string]string{v: acc["owner"], w: acc["x"]}[l[1]], now)
				must(err)
			}
			cX := comment("x", v, "", false)
			comment("a", v, cX, false)
			comment("x", v, cX, false)
			cA := comment("a", v, "", false)
			rX2 := comment("x", v, cA, false)
			comment("b", v, cA, false)
			comment("x", v, cA, true) // a held reply counts nowhere
			cH := comment("a", v, "", true)
			comment("x", v, cH, false) // under a held comment: on its reply count, not the video's
			must(s.LikeComment(ctx, acc["x"], cA, now))
			must(s.LikeComment(ctx, acc["a"], cX, now))

			key := func(kind, name, what string) string {
				if kind == "account" {
					name = acc[name]
				}
				return kind + " " + name + " " + what
			}
			check := func(when string, want map[string]int64) {
				t.Helper()
				got := counters(t, d)
				if re := recount(t, d); diff(got, re) != "" {
					t.Errorf("%s: the counters are not what a recount gives: %s", when, diff(got, re))
				}
				for k, n := range want {
					if got[k] != n {
						t.Errorf("%s: %s = %d, want %d", when, k, got[k], n)
					}
				}
			}
			before := map[string]int64{
				key("video", v, "likes"): 2, key("video", v, "comments"): 6, key("video", w, "likes"): 2,
				key("comment", cX, "replies"): 2, key("comment", cA, "replies"): 2, key("comment", cH, "replies"): 1,
				key("comment", cA, "likes"): 1, key("comment", cX, "likes"): 1,
				key("account", "owner", "followers"): 1, key("account", "owner", "following"): 1, key("account", "owner", "likes"): 2,
				key("account", "x", "followers"): 2, key("account", "x", "following"): 1, key("account", "x", "likes"): 2,
				key("account", "a", "following"): 1,
			}
			check("before the suspension", before)

			must(d.Accounts().SetState(ctx, acc["x"], "suspended", now))
			check("suspended", map[string]int64{
				key("video", v, "likes"): 1, key("video", v, "comments"): 2, key("video", w, "likes"): 1,
				key("comment", cX, "replies"): 1, key("comment", cA, "replies"): 1, key("comment", cH, "replies"): 0,
				key("comment", cA, "likes"): 0, key("comment", cX, "likes"): 1,
				key("account", "owner", "followers"): 0, key("account", "owner", "following"): 0, key("account", "owner", "likes"): 1,
				// Its own counters count what others did.
				key("account", "x", "followers"): 2, key("account", "x", "following"): 1, key("account", "x", "likes"): 1,
				key("account", "a", "following"): 0,
			})
			must(d.Accounts().SetState(ctx, acc["x"], "suspended", now))
			check("suspended twice", nil)

			must(d.Accounts().SetState(ctx, acc["x"], "active", now))
			check("reinstated", before)

			// Rows of a suspended account that go away while it is suspended are not taken
			// off a second time, and the rest returns with it.
			must(d.Accounts().SetState(ctx, acc["x"], "suspended", now))
			must(s.DeleteComment(ctx, rX2))
			_, err := s.Unlike(ctx, acc["x"], v, acc["owner"])
			must(err)
			_, err = s.Unfollow(ctx, acc["x"], acc["owner"])
			must(err)
			must(s.UnlikeComment(ctx, acc["x"], cA))
			check("rows of the suspended account removed", nil)
			must(d.Accounts().SetState(ctx, acc["x"], "active", now))
			check("reinstated after the removals", map[string]int64{
				key("video", v, "likes"): 1, key("video", v, "comments"): 5, key("comment", cA, "replies"): 1,
				key("comment", cA, "likes"): 0, key("account", "owner", "followers"): 0, key("account", "owner", "following"): 1,
			})

			// Deletion is a state too: scheduling it takes the account off the counts,
			// cancelling puts it back, and erasing a suspended account takes nothing twice.
			must(d.Erasure().Schedule(ctx, db.DeletionRow{AccountID: acc["a"], RequestedBy: "owner", RequestedAt: now, PurgeAt: now.Add(time.Hour)}, false))
			check("a deleting", map[string]int64{key("video", v, "likes"): 0, key("account", "x", "followers"): 1})
			if _, ok, err := d.Erasure().Cancel(ctx, acc["a"], now); err != nil || !ok {
				t.Fatalf("cancel: %v %v", ok, err)
			}
			check("a back", map[string]int64{key("video", v, "likes"): 1, key("account", "x", "followers"): 2})
			must(d.Accounts().SetState(ctx, acc["x"], "suspended", now))
			must(d.Videos().Delete(ctx, w)) // erasure deletes its videos first
			must(s.EraseAccount(ctx, acc["x"]))
			check("the suspended account erased", nil)
			must(s.EraseAccount(ctx, acc["a"]))
			check("an active account erased", map[string]int64{key("video", v, "likes"): 0, key("video", v, "comments"): 0})

			// A deleted video's likes leave its creator's count.
			b2 := addVideo(t, d, ids, acc["b"], "b2")
			_, err = s.Like(ctx, acc["owner"], b2, acc["b"], now)
			must(err)
			check("b's video liked", map[string]int64{key("account", "b", "likes"): 1})
			must(d.Videos().Delete(ctx, b2))
			check("b's video deleted", map[string]int64{key("account", "b", "likes"): 0})
		})
	}
}

// TestSuspensionCountersUnderConcurrency runs follows, likes, comments, replies, comment
// likes, blocks and their undoing by many accounts while others suspend and reinstate some
// of them, then checks every counter against a recount, on both engines.
func TestSuspensionCountersUnderConcurrency(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			ids := id.NewGenerator()
			now := time.Now()
			const nAccounts, nWorkers, nOps = 10, 8, 60
			var accounts []string
			for i := range nAccounts {
				a := newAccount(ids, fmt.Sprint("c", i))
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				accounts = append(accounts, a.ID)
			}
			owner := map[string]string{}
			var videos []string
			for i := range 3 {
				v := addVideo(t, d, ids, accounts[i], "v")
				videos, owner[v] = append(videos, v), accounts[i]
			}
			s := d.Social()
			var mu sync.Mutex
			var comments []string
			pick := func(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }
			var wg sync.WaitGroup
			errs := make(chan error, nWorkers*nOps+100)
			for w := range nWorkers {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(w), 7))
					for range nOps {
						me, other, v := pick(r, accounts), pick(r, accounts), pick(r, videos)
						var err error
						switch r.IntN(9) {
						case 0:
							if me != other {
								_, _, err = s.Follow(ctx, me, other, r.IntN(4) == 0, now)
							}
						case 1:
							_, err = s.Unfollow(ctx, me, other)
						case 2:
							_, err = s.Like(ctx, me, v, owner[v], now)
						case 3:
							_, err = s.Unlike(ctx, me, v, owner[v])
						case 4, 5:
							c := &db.CommentRow{ID: ids.New(), VideoID: v, AccountID: me, Body: "b", Filtered: r.IntN(5) == 0, CreatedAt: now}
							mu.Lock()
							if len(comments) > 0 && r.IntN(2) == 0 {
								p, perr := s.Comment(ctx, pick(r, comments))
								if perr == nil && p.ParentID == "" {
									c.VideoID, c.ParentID = p.VideoID, p.ID
								}
							}
							mu.Unlock()
							if err = s.AddComment(ctx, c); err == nil {
								mu.Lock()
								comments = append(comments, c.ID)
								mu.Unlock()
							}
						case 6:
							mu.Lock()
							var c string
							if len(comments) > 0 {
								c = pick(r, comments)
							}
							mu.Unlock()
							if c != "" {
								if r.IntN(3) == 0 {
									err = s.DeleteComment(ctx, c)
								} else if r.IntN(2) == 0 {
									err = s.LikeComment(ctx, me, c, now)
								} else {
									err = s.UnlikeComment(ctx, me, c)
								}
							}
						case 7:
							if me != other {
								if r.IntN(2) == 0 {
									_, err = s.Block(ctx, me, other, now)
								} else {
									err = s.Unblock(ctx, me, other)
								}
							}
						case 8:
							err = s.Approve(ctx, me, other)
						}
						// Racing a deletion is fine: the comment or the request is gone. So is
						// following across a block: the store refuses it.
						if err != nil && !errors.Is(err, db.ErrNotFound) && !errors.Is(err, db.ErrBlocked) && !strings.Contains(err.Error(), "FOREIGN KEY") &&
							!strings.Contains(err.Error(), "foreign key") {
							errs <- err
						}
					}
				}(w)
			}
			for m := range 2 {
				wg.Add(1)
				go func(m int) {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(100+m), 9))
					for range 30 {
						state := "suspended"
						if r.IntN(2) == 0 {
							state = "active"
						}
						if err := d.Accounts().SetState(ctx, pick(r, accounts), state, now); err != nil {
							errs <- err
						}
					}
				}(m)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			suspended := rowsOf(t, d, `SELECT id FROM accounts WHERE state <> 'active'`)
			got, want := counters(t, d), recount(t, d)
			if dd := diff(got, want); dd != "" {
				t.Fatalf("counters differ from a recount (%d accounts suspended at the end): %s", len(suspended), dd)
			}
			if len(want) < 10 {
				t.Fatalf("the run left only %d counters: it checks too little", len(want))
			}
			// Reinstating everyone brings back exactly what a recount says.
			for _, a := range accounts {
				if err := d.Accounts().SetState(ctx, a, "active", now); err != nil {
					t.Fatal(err)
				}
			}
			if dd := diff(counters(t, d), recount(t, d)); dd != "" {
				t.Fatalf("after reinstating everyone: %s", dd)
			}
		})
	}
}
