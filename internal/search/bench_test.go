package search_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/policy"
	"kurz/internal/search"
	"kurz/internal/testkit"
	"kurz/internal/video"
)

// The search benchmarks build a synthetic instance — 100k accounts by default
// (KURZ_BENCH_ACCOUNTS to change), two videos each with captions from a 20k-word vocabulary
// and one to three hashtags from 5k, random engagement — and time a logged-in viewer (with
// follows and blocks) searching it, on each engine. Videos found are "opened" by a stub, so
// the numbers are the search itself, not the video service loading each result.
//
//	go test -run '^$' -bench . -benchtime 200x ./internal/search/

// stubVideos opens every video, without loading anything.
type stubVideos struct{}

func (stubVideos) GetMany(_ context.Context, _ policy.Viewer, ids []string) (*video.Page, error) {
	p := &video.Page{}
	for _, id := range ids {
		p.Videos = append(p.Videos, &video.Video{ID: id})
	}
	return p, nil
}

// word makes a pronounceable pseudo-word for n, the same on every run.
func word(n int) string {
	syl := []string{"ka", "lo", "mi", "ra", "te", "su", "no", "vi", "da", "pe", "zu", "ho", "bri", "sta", "gon", "fel"}
	var b strings.Builder
	for n >= 0 {
		b.WriteString(syl[n%len(syl)])
		n = n/len(syl) - 1
	}
	return b.String()
}

// bulk inserts rows in multi-row statements through the database's own pool, in one
// transaction per statement (triggers included), much faster than store calls one by one.
func bulk(b testing.TB, d *db.DB, table, cols string, rows [][]any) {
	b.Helper()
	pools := d.Pools()
	pool := pools["main"]
	if pool == nil {
		pool = pools["writer"]
	}
	n := strings.Count(cols, ",") + 1
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	for start := 0; start < len(rows); start += 500 {
		end := min(start+500, len(rows))
		var args []any
		for _, r := range rows[start:end] {
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", end-start), ", ")
		if _, err := pool.ExecContext(context.Background(), d.Q(q), args...); err != nil {
			b.Fatalf("fill %s: %v", table, err)
		}
	}
}

type world struct {
	d      *db.DB
	s      *search.Service
	viewer policy.Viewer
}

func build(b testing.TB, e testkit.Engine, accounts int) world {
	b.Helper()
	start := time.Now()
	d := e.Open(b)
	ids := id.NewGenerator()
	rnd := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	var accRows, vidRows, tagRows, statRows [][]any
	accIDs := make([]string, accounts)
	for i := range accounts {
		at := now.Add(-time.Duration(rnd.IntN(90*24)) * time.Hour)
		accIDs[i] = ids.At(at)
		name := strings.ToUpper(word(rnd.IntN(20000))[:1]) + word(rnd.IntN(20000))[1:] + " " + word(rnd.IntN(20000))
		accRows = append(accRows, []any{accIDs[i], fmt.Sprintf("user%06d", i), name, "user", i%10 == 0, true, "eu", "active", "x", at.UnixMilli(), at.UnixMilli()})
		for range 2 {
			vat := at.Add(time.Duration(rnd.IntN(24*30)) * time.Hour)
			if vat.After(now) {
				vat = now
			}
			vid := ids.At(vat)
			var caption []string
			for range 4 + rnd.IntN(12) {
				caption = append(caption, word(int(rnd.ExpFloat64()*2000)%20000))
			}
			var tags []string
			for range 1 + rnd.IntN(3) {
				t := "t" + word(int(rnd.ExpFloat64()*300)%5000)
				if !slices.Contains(tags, t) {
					tags = append(tags, t)
					tagRows = append(tagRows, []any{vid, t})
				}
			}
			vis := []string{"public", "public", "public", "public", "public", "public", "public", "followers", "private", "public"}[rnd.IntN(10)]
			vidRows = append(vidRows, []any{vid, accIDs[i], strings.Join(caption, " ") + " #" + strings.Join(tags, " #"), vis, "ready", vat.UnixMilli(), vat.UnixMilli()})
			statRows = append(statRows, []any{vid, rnd.IntN(500), rnd.IntN(50), rnd.IntN(20)})
		}
	}
	bulk(b, d, "accounts", "id, username, display_name, role, private, personalised, region, state, password_hash, created_at, updated_at", accRows)
	bulk(b, d, "videos", "id, account_id, caption, visibility, state, created_at, updated_at", vidRows)
	bulk(b, d, "video_hashtags", "video_id, tag", tagRows)
	bulk(b, d, "video_stats", "video_id, likes, comments, shares", statRows)
	viewer := accIDs[0]
	var follows, blocks [][]any
	for i := 1; i <= 200; i++ {
		follows = append(follows, []any{viewer, accIDs[i*(accounts/201)], "accepted", now.UnixMilli()})
	}
	for i := 1; i <= 20; i++ {
		blocks = append(blocks, []any{accIDs[i*(accounts/21)+1], viewer, now.UnixMilli()})
	}
	bulk(b, d, "follows", "follower_id, followee_id, state, created_at", follows)
	bulk(b, d, "blocks", "blocker_id, blocked_id, created_at", blocks)
	// PostgreSQL's autovacuum keeps statistics, so the benchmark gathers them as it would; an
	// embedded SQLite database has none unless someone runs ANALYZE, so neither does this.
	if d.Dialect == db.Postgres {
		if _, err := d.Pools()["main"].Exec("ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: %d accounts, %d videos, %d hashtag uses built in %v", e.Name, accounts, len(vidRows), len(tagRows), time.Since(start).Round(time.Second))
	s := search.New(search.Deps{Index: d.Search(), Videos: stubVideos{}, Now: func() time.Time { return time.Now().UTC() }})
	return world{d: d, s: s, viewer: policy.Viewer{AccountID: viewer, Role: policy.RoleUser}}
}

func BenchmarkSearch(b *testing.B) {
	accounts := 100_000
	if v, err := strconv.Atoi(os.Getenv("KURZ_BENCH_ACCOUNTS")); err == nil && v > 0 {
		accounts = v
	}
	for _, e := range testkit.Engines(b) {
		b.Run(e.Name, func(b *testing.B) { benchCases(b, build(b, e, accounts)) })
	}
}

// benchCases times each kind of search in w.
func benchCases(b *testing.B, w world) {
	ctx := context.Background()
	common, rare := word(20), word(1500) // a frequent and an uncommon caption word
	tag := "t" + word(0)                 // the most used hashtag
	for _, tc := range []struct {
		name string
		run  func() (int, error)
	}{
		{"accounts/username-prefix", func() (int, error) {
			r, err := w.s.Search(ctx, w.viewer, search.Query{Text: "user0001", Type: search.TypeAccounts, Limit: 20})
			return lenOr(r, func(r *search.Results) int { return len(r.Accounts) }), err
		}},
		{"accounts/display-name-word", func() (int, error) {
			r, err := w.s.Search(ctx, w.viewer, search.Query{Text: word(77)[:3], Type: search.TypeAccounts, Limit: 20})
			return lenOr(r, func(r *search.Results) int { return len(r.Accounts) }), err
		}},
		{"hashtags/prefix", func() (int, error) {
			r, err := w.s.Search(ctx, w.viewer, search.Query{Text: "#" + tag[:3], Type: search.TypeHashtags, Limit: 20})
			return lenOr(r, func(r *search.Results) int { return len(r.Hashtags) }), err
		}},
		{"videos/common-word", func() (int, error) {
			r, err := w.s.Search(ctx, w.viewer, search.Query{Text: common, Type: search.TypeVideos, Limit: 20})
			return lenOr(r, func(r *search.Results) int { return len(r.Videos) }), err
		}},
		{"videos/two-letters", func() (int, error) { // the worst type-ahead: a short prefix of many words
			r, err := w.s.Search(ctx, w.viewer, search.Query{Text: word(3), Type: search.TypeVideos, Limit: 20})
			return lenOr(r, func(r *search.Results) int { return len(r.Videos) }), err
		}},
		{"videos/rare-word", func() (int, error) {
			r, err := w.s.Search(ctx, w.viewer, search.Query{Text: rare, Type: search.TypeVideos, Limit: 20})
			return lenOr(r, func(r *search.Results) int { return len(r.Videos) }), err
		}},
		{"videos/two-words-prefix", func() (int, error) {
			r, err := w.s.Search(ctx, w.viewer, search.Query{Text: common + " " + word(5)[:2], Type: search.TypeVideos, Limit: 20})
			return lenOr(r, func(r *search.Results) int { return len(r.Videos) }), err
		}},
		{"all-three", func() (int, error) {
			r, err := w.s.Search(ctx, w.viewer, search.Query{Text: word(9), Limit: 10})
			return lenOr(r, func(r *search.Results) int { return len(r.Accounts) + len(r.Hashtags) + len(r.Videos) }), err
		}},
		{"hashtag/count", func() (int, error) {
			h, err := w.s.Hashtag(ctx, w.viewer, tag)
			return h.Videos, err
		}},
		{"hashtag/top", func() (int, error) {
			p, _, err := w.s.HashtagVideos(ctx, w.viewer, tag, search.SortTop, "", 20)
			return lenOr(p, func(p *video.Page) int { return len(p.Videos) }), err
		}},
		{"hashtag/newest", func() (int, error) {
			p, _, err := w.s.HashtagVideos(ctx, w.viewer, tag, search.SortNewest, "", 20)
			return lenOr(p, func(p *video.Page) int { return len(p.Videos) }), err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			n, err := tc.run()
			if err != nil || n == 0 {
				b.Fatalf("%d results, %v: the benchmark would time an empty answer", n, err)
			}
			for b.Loop() {
				if _, err := tc.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "results")
		})
	}
}

func lenOr[T any](r *T, f func(*T) int) int {
	if r == nil {
		return 0
	}
	return f(r)
}
