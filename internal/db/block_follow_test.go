package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// A follow is refused inside its own transaction once either account blocks the other, and
// a block racing a follow never leaves both standing.
func TestFollowLosesToABlock(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := e.Open(t)
			ids := id.NewGenerator()
			now := time.Now().UTC()
			pair := func(n int) (string, string) {
				t.Helper()
				a, b := newAccount(ids, fmt.Sprint("a", n)), newAccount(ids, fmt.Sprint("b", n))
				for _, x := range []*db.AccountRow{a, b} {
					if err := d.Accounts().Create(ctx, x); err != nil {
						t.Fatal(err)
					}
				}
				return a.ID, b.ID
			}
			s := d.Social()
			a, b := pair(-1)
			if _, err := s.Block(ctx, a, b, now); err != nil {
				t.Fatal(err)
			}
			for _, f := range [][2]string{{b, a}, {a, b}} {
				if _, _, err := s.Follow(ctx, f[0], f[1], false, now); !errors.Is(err, db.ErrBlocked) {
					t.Fatalf("follow %s → %s after a block: %v, want ErrBlocked", f[0], f[1], err)
				}
			}
			if r, err := s.Relation(ctx, a, b); err != nil || r.Following != "" || r.FollowedBy != "" || !r.Blocking {
				t.Fatalf("after the refused follows: %+v, %v", r, err)
			}

			// A block says which follows it ended: those are the unfollows to log.
			c, d2 := pair(-2)
			if _, _, err := s.Follow(ctx, c, d2, false, now); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Follow(ctx, d2, c, true, now); err != nil {
				t.Fatal(err)
			}
			if ended, err := s.Block(ctx, c, d2, now); err != nil || ended != (db.Ended{Following: "accepted", FollowedBy: "pending"}) {
				t.Fatalf("the block ended %+v (%v), want the follow and the request", ended, err)
			}
			if ended, err := s.Block(ctx, c, d2, now); err != nil || ended != (db.Ended{}) {
				t.Fatalf("blocking again ended %+v (%v), want nothing", ended, err)
			}

			// Races: each pair has a follow and a block start together.
			const pairs = 40
			var wg sync.WaitGroup
			// followed: the follow went in; ended: what the block deleted. A follow that went
			// in must be one the block ended, so its unfollow is logged exactly once.
			type pr struct {
				a, b     string
				followed bool
				ended    db.Ended
			}
			all := make([]pr, pairs)
			for i := range all {
				all[i].a, all[i].b = pair(i)
			}
			for i := range all {
				p := &all[i]
				wg.Add(2)
				go func() {
					defer wg.Done()
					_, changed, err := s.Follow(ctx, p.b, p.a, false, now)
					if err != nil && !errors.Is(err, db.ErrBlocked) {
						t.Error(err)
					}
					p.followed = changed
				}()
				go func() {
					defer wg.Done()
					var err error
					if p.ended, err = s.Block(ctx, p.a, p.b, now); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			won := 0
			for _, p := range all {
				r, err := s.Relation(ctx, p.a, p.b)
				if err != nil {
					t.Fatal(err)
				}
				if !r.Blocking || r.FollowedBy != "" {
					t.Fatalf("after a block and a follow raced: %+v", r)
				}
				if p.followed != (p.ended.FollowedBy == "accepted") {
					t.Fatalf("the follow went in: %v; the block ended %+v", p.followed, p.ended)
				}
				if p.followed {
					won++
				}
			}
			t.Logf("%d of %d follows went in before their block", won, pairs)
		})
	}
}
