package social_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
	"kurz/internal/social"
	"kurz/internal/testkit"
)

// The social benchmarks build a synthetic instance on each engine — 100k accounts by
// default (KURZ_BENCH_ACCOUNTS) and 1M comments (KURZ_BENCH_COMMENTS) — with bulk inserts,
// once per engine, and time the service calls the HTTP handlers make for follower lists and
// comment threads, as a logged-in viewer whom some authors blocked, who blocked and muted
// some, and whose follow and like lookups run for every row.
//
//	go test -run '^$' -bench BenchmarkSocial -benchtime 200x ./internal/social/
//
// The instance:
//   - 1% of accounts suspended, 10% private (never the ones listed);
//   - a popular account followed by half of all accounts, an ordinary one by 150, an
//     account following 5,000 others, and five random follows from everyone else;
//   - one video per two accounts; a hot video of the popular account with a tenth of all
//     comments (10% of them replies, 2,000 of those under the pinned comment) and the rest
//     spread over the other videos, 15% of them replies;
//   - 2% of the hot video's comments by authors the viewer may not see, 1% held back by
//     the creator's keyword filter, 100k comment likes, 2,000 of them the viewer's.

const pageSize = 20 // the API's default page size

type socialWorld struct {
	d       *db.DB
	s       *social.Service
	viewer  policy.Viewer
	creator policy.Viewer // the hot video's creator, who also sees held-back comments

	popular, ordinary, heavy, light string // usernames
	popularDeep, heavyDeep          string // follow-list cursors half-way down

	hot, typical                     string            // video IDs
	hotDeep                          string            // a top-level cursor 45% down the hot video
	thread, threadDeep               string            // the pinned comment with 2,000 replies, and a cursor half-way
	typicalThread                    string            // a comment with a few replies on another video
	hidden, blockedBy                map[string]bool   // authors hidden from the viewer; accounts that blocked it
	page                             []social.VideoRef // a page of videos, the hot one first
	popularFollowers, heavyFollowing int
}

func benchSize(env string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(env)); err == nil && v > 0 {
		return v
	}
	return def
}

// insertRows inserts n rows made by row in multi-row statements through the database's own
// pool, one autocommitted statement per 500 rows (triggers and foreign keys included).
func insertRows(b testing.TB, d *db.DB, table, cols string, n int, row func(i int) []any) {
	b.Helper()
	pools := d.Pools()
	pool := pools["main"]
	if pool == nil {
		pool = pools["writer"]
	}
	ncols := strings.Count(cols, ",") + 1
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	args := make([]any, 0, 500*ncols)
	for start := 0; start < n; start += 500 {
		end := min(start+500, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
		}
		q := "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", end-start), ", ")
		if _, err := pool.ExecContext(context.Background(), d.Q(q), args...); err != nil {
			b.Fatalf("fill %s: %v", table, err)
		}
	}
}

var commentWords = strings.Fields("this is so good love the light where was that filmed the music again please " +
	"how did you do it wow cute dog best one yet tutorial when haha same my favourite part is the end")

type commentSeed struct {
	id, video, parent, body string
	account, likes, replies int
	filtered                bool
	at                      int64
}

func buildSocial(b *testing.B, e testkit.Engine, accounts, comments int) socialWorld {
	b.Helper()
	start := time.Now()
	d := e.Open(b)
	ids := id.NewGenerator()
	rnd := rand.New(rand.NewPCG(4, 2))
	now := time.Now().UTC()

	// Accounts, oldest first so that IDs follow creation time.
	type acc struct {
		id, username, state string
		private             bool
		at                  time.Time
	}
	accs := make([]acc, accounts)
	for i := range accs {
		at := now.Add(-time.Duration(accounts-i) * time.Minute)
		a := acc{id: ids.At(at), username: fmt.Sprintf("user%06d", i), state: "active", private: i%10 == 7, at: at}
		if i%100 == 99 {
			a.state = "suspended"
		}
		accs[i] = a
	}
	const viewerI, popularI, ordinaryI, heavyI, lightI = 1, 2, 3, 4, 5
	insertRows(b, d, "accounts", "id, username, display_name, role, private, personalised, region, state, password_hash, created_at, updated_at, suspended_at",
		accounts, func(i int) []any {
			a := accs[i]
			var susp any
			if a.state == "suspended" {
				susp = a.at.UnixMilli()
			}
			return []any{a.id, a.username, "User " + strconv.Itoa(i), "user", a.private, true, "eu", a.state, "x", a.at.UnixMilli(), a.at.UnixMilli(), susp}
		})

	// Who the viewer may not see: accounts that blocked the viewer, accounts the viewer
	// blocked, and suspended accounts. Blockers are among the popular account's followers
	// (even indexes) so that its list has rows to drop.
	var blockers, blocked []int
	for len(blockers) < 30 {
		if i := 10 + 2*rnd.IntN(accounts/2-10); !slices.Contains(blockers, i) && accs[i].state == "active" {
			blockers = append(blockers, i)
		}
	}
	for len(blocked) < 10 {
		if i := 11 + 2*rnd.IntN(accounts/2-10); !slices.Contains(blocked, i) && accs[i].state == "active" {
			blocked = append(blocked, i)
		}
	}
	hidden := map[string]bool{}
	var hiddenIdx []int
	for _, i := range slices.Concat(blockers, blocked) {
		hidden[accs[i].id] = true
		hiddenIdx = append(hiddenIdx, i)
	}
	for i := 99; i < accounts; i += 100 {
		hidden[accs[i].id] = true
		hiddenIdx = append(hiddenIdx, i)
	}
	isBlockPair := func(x, y int) bool {
		if x != viewerI && y != viewerI {
			return false
		}
		o := x + y - viewerI
		return slices.Contains(blockers, o) || slices.Contains(blocked, o)
	}

	// Follows.
	type pair struct{ from, to int }
	follows := map[pair]bool{}
	var followRows []pair
	follow := func(from, to int) {
		p := pair{from, to}
		if from == to || follows[p] || isBlockPair(from, to) {
			return
		}
		follows[p] = true
		followRows = append(followRows, p)
	}
	for i := 0; i < accounts; i += 2 {
		follow(i, popularI)
	}
	for range 150 {
		follow(rnd.IntN(accounts), ordinaryI)
	}
	for n := 0; n < 5000; n++ {
		follow(heavyI, rnd.IntN(accounts))
	}
	for range 200 {
		follow(viewerI, rnd.IntN(accounts))
	}
	for i := range accounts {
		for range 5 {
			follow(i, rnd.IntN(accounts))
		}
	}
	insertRows(b, d, "follows", "follower_id, followee_id, state, created_at", len(followRows), func(i int) []any {
		p := followRows[i]
		return []any{accs[p.from].id, accs[p.to].id, "accepted", now.UnixMilli()}
	})
	// A few requests still waiting, which the lists must not show.
	var pending []pair
	for len(pending) < 100 {
		if p := (pair{rnd.IntN(accounts), popularI}); !follows[p] && !slices.Contains(pending, p) && p.from != popularI {
			pending = append(pending, p)
		}
	}
	insertRows(b, d, "follows", "follower_id, followee_id, state, created_at", len(pending), func(i int) []any {
		return []any{accs[pending[i].from].id, accs[pending[i].to].id, "pending", now.UnixMilli()}
	})
	stats := make([][2]int, accounts) // followers, following
	for _, p := range followRows {
		stats[p.to][0]++
		stats[p.from][1]++
	}
	insertRows(b, d, "account_stats", "account_id, followers, following, likes", accounts, func(i int) []any {
		return []any{accs[i].id, stats[i][0], stats[i][1], 0}
	})
	insertRows(b, d, "blocks", "blocker_id, blocked_id, created_at", len(blockers)+len(blocked), func(i int) []any {
		if i < len(blockers) {
			return []any{accs[blockers[i]].id, accs[viewerI].id, now.UnixMilli()}
		}
		return []any{accs[viewerI].id, accs[blocked[i-len(blockers)]].id, now.UnixMilli()}
	})
	insertRows(b, d, "mutes", "muter_id, muted_id, created_at", 10, func(i int) []any {
		return []any{accs[viewerI].id, accs[20+2*i].id, now.UnixMilli()}
	})

	// Videos: one per two accounts, public and ready; video 0 is the hot one.
	nVideos := max(accounts/2, 2)
	vids := make([]string, nVideos)
	owners := make([]int, nVideos)
	for v := range vids {
		owners[v] = 2 * rnd.IntN(accounts/2) // even indexes: never private nor suspended
		if accs[owners[v]].state != "active" || accs[owners[v]].private {
			owners[v] = ordinaryI + 1
		}
		vids[v] = ids.At(now.Add(-time.Duration(30*24*60-v%(30*24*60)) * time.Minute))
	}
	owners[0] = popularI
	vidStart := now.Add(-40 * 24 * time.Hour)
	insertRows(b, d, "videos", "id, account_id, caption, visibility, state, created_at, updated_at, ready_at", nVideos, func(v int) []any {
		return []any{vids[v], accs[owners[v]].id, "clip " + strconv.Itoa(v), "public", "ready", vidStart.UnixMilli(), vidStart.UnixMilli(), vidStart.UnixMilli()}
	})
	insertRows(b, d, "comment_filters", "account_id, keyword", 1, func(int) []any { return []any{accs[popularI].id, "spam"} })

	// Comments, in time order so that IDs sort by creation: top-level first, then replies.
	hotN := comments / 10
	cs := make([]commentSeed, 0, comments)
	body := func() string {
		var w []string
		for range 4 + rnd.IntN(10) {
			w = append(w, commentWords[rnd.IntN(len(commentWords))])
		}
		return strings.Join(w, " ")
	}
	author := func(hot bool) int {
		if hot && rnd.IntN(50) == 0 {
			return hiddenIdx[rnd.IntN(len(hiddenIdx))]
		}
		for {
			if i := rnd.IntN(accounts); i != viewerI && i != popularI && !hidden[accs[i].id] {
				return i
			}
		}
	}
	// The hot video: 90% top-level over the last seven days, then replies.
	hotStart := now.Add(-7 * 24 * time.Hour).UnixMilli()
	hotTop := hotN - hotN/10
	for k := range hotTop {
		at := hotStart + int64(k)*(7*24*3600*1000)/int64(hotTop)
		c := commentSeed{video: vids[0], account: author(true), body: body(), at: at}
		if rnd.IntN(100) == 0 {
			c.filtered, c.body = true, c.body+" spam"
		}
		cs = append(cs, c)
	}
	// Other videos: 85% top-level, spread over 30 days.
	otherStart := now.Add(-30 * 24 * time.Hour).UnixMilli()
	otherN := comments - hotN
	otherTop := otherN - otherN*15/100
	for k := range otherTop {
		cs = append(cs, commentSeed{video: vids[1+rnd.IntN(nVideos-1)], account: author(false), body: body(),
			at: otherStart + int64(k)*(30*24*3600*1000)/int64(otherTop)})
	}
	slices.SortStableFunc(cs, func(x, y commentSeed) int { return int(x.at - y.at) })
	for i := range cs {
		cs[i].id = ids.At(time.UnixMilli(cs[i].at))
	}
	nTop := len(cs)
	// Replies: 2,000 under the pinned comment (the hot video's first), the other hot replies
	// under its 100 next comments, and the others' replies each under an earlier top-level
	// comment of the same video.
	threadI := 0
	for cs[threadI].video != vids[0] || cs[threadI].filtered || hidden[accs[cs[threadI].account].id] {
		threadI++
	}
	var hotTops, otherTops []int
	byVideo := map[string][]int{}
	for i := range nTop {
		if cs[i].video == vids[0] {
			if i != threadI && len(hotTops) < 100 && !cs[i].filtered && !hidden[accs[cs[i].account].id] {
				hotTops = append(hotTops, i)
			}
		} else {
			byVideo[cs[i].video] = append(byVideo[cs[i].video], i)
		}
	}
	for _, l := range byVideo {
		otherTops = append(otherTops, l[0])
	}
	slices.Sort(otherTops)
	replyAt := now.Add(-time.Hour).UnixMilli() - int64(comments)
	addReply := func(parent int, hot bool) {
		replyAt++
		cs = append(cs, commentSeed{video: cs[parent].video, account: author(hot), body: body(), parent: cs[parent].id, at: replyAt})
		cs[parent].replies++
	}
	for range 2000 {
		addReply(threadI, true)
	}
	for range hotN - hotTop - 2000 {
		addReply(hotTops[rnd.IntN(len(hotTops))], true)
	}
	for range otherN - otherTop {
		addReply(otherTops[rnd.IntN(len(otherTops))], false)
	}
	for i := nTop; i < len(cs); i++ {
		cs[i].id = ids.At(time.UnixMilli(cs[i].at))
	}
	// Comment likes: the viewer likes 2,000 of the hot video's newest comments, others
	// like random comments.
	type like struct{ c, a int }
	likeSet := map[like]bool{}
	var likes []like
	for k := 0; len(likes) < 2000 && nTop-1-k*3 >= 0; k++ {
		l := like{nTop - 1 - k*3, viewerI}
		if cs[l.c].video == vids[0] {
			likeSet[l] = true
			likes = append(likes, l)
		}
	}
	for len(likes) < 100_000 && len(likes) < comments/10 {
		l := like{rnd.IntN(len(cs)), author(false)}
		if !likeSet[l] {
			likeSet[l] = true
			likes = append(likes, l)
		}
	}
	for _, l := range likes {
		cs[l.c].likes++
	}
	insertRows(b, d, "comments", "id, video_id, account_id, parent_id, body, filtered, like_count, reply_count, created_at", len(cs), func(i int) []any {
		c := cs[i]
		var parent any
		if c.parent != "" {
			parent = c.parent
		}
		return []any{c.id, c.video, accs[c.account].id, parent, c.body, c.filtered, c.likes, c.replies, c.at}
	})
	insertRows(b, d, "comment_likes", "comment_id, account_id, created_at", len(likes), func(i int) []any {
		return []any{cs[likes[i].c].id, accs[likes[i].a].id, now.UnixMilli()}
	})
	perVideo := map[string]int{}
	for _, c := range cs {
		perVideo[c.video]++
	}
	insertRows(b, d, "video_stats", "video_id, likes, comments, shares, views", nVideos, func(v int) []any {
		return []any{vids[v], 0, perVideo[vids[v]], 0, 0}
	})
	insertRows(b, d, "pinned_comments", "video_id, comment_id", 1, func(int) []any { return []any{vids[0], cs[threadI].id} })
	// PostgreSQL's autovacuum keeps statistics, so the benchmark gathers them as it would; an
	// embedded SQLite database has none unless someone runs ANALYZE, so neither does this.
	if d.Dialect == db.Postgres {
		if _, err := d.Pools()["main"].Exec("ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}

	w := socialWorld{
		d:       d,
		viewer:  policy.Viewer{AccountID: accs[viewerI].id, Role: policy.RoleUser},
		creator: policy.Viewer{AccountID: accs[popularI].id, Role: policy.RoleUser},
		popular: accs[popularI].username, ordinary: accs[ordinaryI].username,
		heavy: accs[heavyI].username, light: accs[lightI].username,
		hot: vids[0], thread: cs[threadI].id, hidden: hidden, blockedBy: map[string]bool{},
	}
	for _, i := range blockers {
		w.blockedBy[accs[i].id] = true
	}
	for v := range min(pageSize, nVideos) {
		w.page = append(w.page, social.VideoRef{ID: vids[v], OwnerID: accs[owners[v]].id})
	}
	// Cursors as the API hands them out: the ID of the last account or comment of a page,
	// here the one half-way down the list (follow lists go by account ID, newest first).
	listIDs := func(to bool, who int) []string {
		var out []string
		for _, p := range followRows {
			if to && p.to == who && accs[p.from].state == "active" {
				out = append(out, accs[p.from].id)
			}
			if !to && p.from == who && accs[p.to].state == "active" {
				out = append(out, accs[p.to].id)
			}
		}
		slices.Sort(out)
		slices.Reverse(out)
		return out
	}
	pf := listIDs(true, popularI)
	w.popularFollowers = len(pf)
	w.popularDeep = pf[len(pf)/2]
	hf := listIDs(false, heavyI)
	w.heavyFollowing = len(hf)
	w.heavyDeep = hf[len(hf)/2]
	var hotIDs, threadIDs []string
	counts := map[string]int{}
	for _, c := range cs {
		switch {
		case c.video == vids[0] && c.parent == "":
			hotIDs = append(hotIDs, c.id)
		case c.parent == cs[threadI].id:
			threadIDs = append(threadIDs, c.id)
		case c.parent == "":
			counts[c.video]++
		}
	}
	slices.Sort(hotIDs)
	w.hotDeep = hotIDs[len(hotIDs)-len(hotIDs)*45/100]
	slices.Sort(threadIDs)
	w.threadDeep = threadIDs[len(threadIDs)/2]
	// The typical video has the median number of top-level comments (at least a page);
	// the typical thread is a reply thread on another video.
	var perTop []int
	for _, n := range counts {
		perTop = append(perTop, n)
	}
	slices.Sort(perTop)
	median := perTop[len(perTop)/2]
	for v := 1; v < nVideos && w.typical == ""; v++ {
		if counts[vids[v]] == median {
			w.typical = vids[v]
		}
	}
	for _, c := range cs[:nTop] {
		if c.video != vids[0] && c.replies >= 3 && !hidden[accs[c.account].id] {
			w.typicalThread = c.id
			break
		}
	}
	b.Logf("%s: %d accounts, %d follows, %d videos, %d comments (%d on the hot video, %d replies), %d comment likes, built in %v",
		e.Name, accounts, len(followRows)+len(pending), nVideos, len(cs), hotN, len(cs)-nTop, len(likes), time.Since(start).Round(time.Second))
	b.Logf("popular account: %d active followers; heavy account follows %d; typical video: %d top-level comments",
		w.popularFollowers, w.heavyFollowing, median)

	w.s = social.New(social.Deps{Store: d.Social(), Accounts: d.Accounts(), Videos: d.Videos(), NewID: ids.New,
		Now: func() time.Time { return time.Now().UTC() }, MaxComment: 500, MaxFilters: 200,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return w
}

// BenchmarkSocial times follower lists and comment threads through the social service, the
// calls the HTTP handlers make, on each engine.
func BenchmarkSocial(b *testing.B) {
	accounts := benchSize("KURZ_BENCH_ACCOUNTS", 100_000)
	comments := benchSize("KURZ_BENCH_COMMENTS", 1_000_000)
	for _, e := range testkit.Engines(b) {
		b.Run(e.Name, func(b *testing.B) { socialCases(b, buildSocial(b, e, accounts, comments)) })
	}
}

func socialCases(b *testing.B, w socialWorld) {
	ctx := context.Background()
	anon := policy.Viewer{}
	// Each case runs once with its answer checked, then timed without the checks.
	follows := func(v policy.Viewer, user string, followers bool, after string) func(bool) (int, error) {
		return func(check bool) (int, error) {
			rows, err := w.s.FollowList(ctx, v, user, followers, after, pageSize)
			for _, r := range rows {
				if !check {
					break
				}
				if v == w.viewer && w.blockedBy[r.ID] {
					return 0, fmt.Errorf("%s blocked the viewer but is listed", r.Username)
				}
				if r.State != "active" {
					return 0, fmt.Errorf("%s is %s but listed", r.Username, r.State)
				}
			}
			return len(rows), err
		}
	}
	// thread lists comments as the handlers do: replies first find the parent's video.
	thread := func(v policy.Viewer, videoID, parentID, after string) func(bool) (int, error) {
		return func(check bool) (int, error) {
			vid := videoID
			if parentID != "" {
				var err error
				if vid, err = w.s.CommentVideo(ctx, parentID); err != nil {
					return 0, err
				}
			}
			list, err := w.s.Comments(ctx, v, vid, parentID, after, pageSize)
			for _, c := range list {
				if !check {
					break
				}
				if v != w.creator && v.AccountID != c.AccountID && c.Filtered {
					return 0, fmt.Errorf("held-back comment %s shown to %q", c.ID, v.AccountID)
				}
				if v == w.viewer && w.hidden[c.AccountID] {
					return 0, fmt.Errorf("comment %s by an author hidden from the viewer shown", c.ID)
				}
			}
			return len(list), err
		}
	}
	// counts reads the counts of a page of videos as the feed does, one by one or in a
	// batch, with the viewer's relations to the owners read beforehand (video.GetMany reads
	// them); checked, the batch must give what the videos give one by one.
	counts := func(v policy.Viewer, batched bool) func(bool) (int, error) {
		rels := map[string]policy.Relation{}
		for _, r := range w.page {
			rel, err := w.s.Relation(ctx, v.AccountID, r.OwnerID)
			if err != nil {
				b.Fatal(err)
			}
			rels[r.OwnerID] = rel
		}
		oneByOne := func() (map[string]social.VideoCounts, error) {
			out := map[string]social.VideoCounts{}
			for _, r := range w.page {
				c, err := w.s.CountsWithRelation(ctx, v, r.ID, r.OwnerID, rels[r.OwnerID])
				if err != nil {
					return nil, err
				}
				out[r.ID] = c
			}
			return out, nil
		}
		return func(check bool) (int, error) {
			if !batched {
				got, err := oneByOne()
				return len(got), err
			}
			got, err := w.s.CountsMany(ctx, v, w.page, rels)
			if check && err == nil {
				want, err := oneByOne()
				if err != nil {
					return 0, err
				}
				for id, c := range want {
					if got[id] != c {
						return 0, fmt.Errorf("video %s: batch gives %+v, one by one %+v", id, got[id], c)
					}
				}
			}
			return len(got), err
		}
	}
	for _, tc := range []struct {
		name string
		run  func(check bool) (int, error)
	}{
		{"counts/page/one-by-one", counts(w.viewer, false)},
		{"counts/page/batched", counts(w.viewer, true)},
		{"counts/page/one-by-one-creator", counts(w.creator, false)},
		{"counts/page/batched-creator", counts(w.creator, true)},
		{"counts/page/one-by-one-anonymous", counts(anon, false)},
		{"counts/page/batched-anonymous", counts(anon, true)},
		{"followers/popular/first", follows(w.viewer, w.popular, true, "")},
		{"followers/popular/deep", follows(w.viewer, w.popular, true, w.popularDeep)},
		{"followers/popular/first-anonymous", follows(anon, w.popular, true, "")},
		{"followers/ordinary/first", follows(w.viewer, w.ordinary, true, "")},
		{"following/heavy/first", follows(w.viewer, w.heavy, false, "")},
		{"following/heavy/deep", follows(w.viewer, w.heavy, false, w.heavyDeep)},
		{"following/ordinary/first", follows(w.viewer, w.light, false, "")},
		{"comments/hot/first", thread(w.viewer, w.hot, "", "")},
		{"comments/hot/deep", thread(w.viewer, w.hot, "", w.hotDeep)},
		{"comments/hot/first-anonymous", thread(anon, w.hot, "", "")},
		{"comments/hot/first-creator", thread(w.creator, w.hot, "", "")},
		{"comments/typical/first", thread(w.viewer, w.typical, "", "")},
		{"replies/pinned-thread/first", thread(w.viewer, w.hot, w.thread, "")},
		{"replies/pinned-thread/deep", thread(w.viewer, w.hot, w.thread, w.threadDeep)},
		{"replies/typical", thread(w.viewer, "", w.typicalThread, "")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			n, err := tc.run(true)
			if err != nil || n == 0 {
				b.Fatalf("%d rows, %v: the benchmark would time an empty answer", n, err)
			}
			lat := make([]time.Duration, 0, 1024)
			for b.Loop() {
				t0 := time.Now()
				if _, err := tc.run(false); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(n), "rows")
		})
	}
}
