package db_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// TestSuspendWhileDeletingVideos suspends a creator and a fan of theirs while the creator's
// videos are being deleted, round after round, each with fresh accounts: the creator liked
// and commented on its own videos, the fan liked, commented, replied and liked comments,
// on one video only a comment. No write may fail — on PostgreSQL a deadlock (40P01) or a
// foreign key the other write took away (23503) is a lost moderation action or a video
// its creator cannot delete — and the counters must end as a recount says.
func TestSuspendWhileDeletingVideos(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := e.Open(t)
			ctx := context.Background()
			ids := id.NewGenerator()
			now := time.Now()
			s := d.Social()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			account := func(name string) string {
				t.Helper()
				a := newAccount(ids, name)
				must(d.Accounts().Create(ctx, a))
				return a.ID
			}
			comment := func(author, video, parent string) string {
				t.Helper()
				c := &db.CommentRow{ID: ids.New(), VideoID: video, AccountID: author, ParentID: parent, Body: "b", CreatedAt: now}
				must(s.AddComment(ctx, c))
				return c.ID
			}

			const rounds, videosPerRound = 100, 2
			failed := map[string]int{} // by what failed, with its SQLSTATE
			var first []string
			failedRounds, deadlockRounds := 0, 0
			for round := range rounds {
				owner, fan := account(fmt.Sprint("owner", round)), account(fmt.Sprint("fan", round))
				_, _, err := s.Follow(ctx, fan, owner, false, now)
				must(err)
				_, _, err = s.Follow(ctx, owner, fan, false, now)
				must(err)
				var videos []string
				for i := range videosPerRound {
					v := addVideo(t, d, ids, owner, fmt.Sprint("v", i))
					videos = append(videos, v)
					for _, who := range []string{owner, fan} {
						_, err := s.Like(ctx, who, v, owner, now)
						must(err)
					}
					mine := comment(owner, v, "")
					theirs := comment(fan, v, "")
					comment(fan, v, mine)
					comment(owner, v, theirs)
					must(s.LikeComment(ctx, owner, theirs, now))
					must(s.LikeComment(ctx, fan, mine, now))
				}
				// A video the fan only knows by a comment it liked there.
				quiet := addVideo(t, d, ids, owner, "quiet")
				videos = append(videos, quiet)
				must(s.LikeComment(ctx, fan, comment(owner, quiet, ""), now))

				// Every writer starts at once, so their transactions overlap.
				start := make(chan struct{})
				var wg sync.WaitGroup
				var mu sync.Mutex
				var errs []string
				report := func(what string, err error) {
					if err == nil {
						return
					}
					mu.Lock()
					defer mu.Unlock()
					code, detail := "other", ""
					var pe *pgconn.PgError
					if errors.As(err, &pe) {
						code, detail = pe.Code, pe.Detail
					}
					errs = append(errs, fmt.Sprintf("%s (%s): %v %s", what, code, err, detail))
					failed[what+" "+code]++
				}
				for who, a := range map[string]string{"suspend creator": owner, "suspend fan": fan} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						report(who, d.Accounts().SetState(ctx, a, "suspended", now))
					}()
				}
				for _, v := range videos {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						report("delete", d.Videos().Delete(ctx, v))
					}()
				}
				close(start)
				wg.Wait()
				if len(errs) > 0 {
					failedRounds++
					if strings.Contains(strings.Join(errs, " "), "(40P01)") {
						deadlockRounds++
					}
					if len(first) < 5 {
						first = append(first, fmt.Sprintf("round %d: %s", round, strings.Join(errs, "; ")))
					}
				}
			}
			if failedRounds > 0 {
				var kinds []string
				for k, n := range failed {
					kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
				}
				sort.Strings(kinds)
				t.Errorf("%d of %d rounds failed, %d of them with a deadlock (%s); first: %s", failedRounds, rounds, deadlockRounds,
					strings.Join(kinds, ", "), strings.Join(first, " | "))
			}
			// InTx runs a deadlock victim again: the writes must not have needed it.
			if n := d.TxRetries(); n != 0 {
				t.Errorf("%d transactions ran again after a deadlock or serialization failure", n)
			}
			if dd := diff(counters(t, d), recount(t, d)); dd != "" {
				t.Errorf("counters differ from a recount: %s", dd)
			}
			left := rowsOf(t, d, `SELECT COUNT(*) FROM videos`)
			suspended := rowsOf(t, d, `SELECT COUNT(*) FROM accounts WHERE state = 'suspended'`)
			if failedRounds == 0 && (left[0][0] != "0" || suspended[0][0] != fmt.Sprint(2*rounds)) {
				t.Errorf("%s videos left and %s accounts suspended, want 0 and %d", left[0][0], suspended[0][0], 2*rounds)
			}
		})
	}
}
