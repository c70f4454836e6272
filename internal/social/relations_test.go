package social_test

import (
	"testing"
	"time"

	"kurz/internal/testkit"
)

// TestRelationsMatchRelation checks that the batched Relations a feed page reads gives, for
// every owner, what Relation gives for that owner alone, on both engines.
func TestRelationsMatchRelation(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e)
			f.accounts("v", "friend", "fan", "idol", "private", "blocked", "blocker", "muted", "stranger")
			now := time.Now()
			s := f.d.Social()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			follow := func(a, b string, pending bool) {
				_, _, err := s.Follow(f.ctx, f.id[a], f.id[b], pending, now)
				must(err)
			}
			follow("v", "friend", false)
			follow("friend", "v", false)
			follow("fan", "v", false)
			follow("v", "idol", false)
			follow("v", "private", true)
			must(s.Block(f.ctx, f.id["v"], f.id["blocked"], now))
			must(s.Block(f.ctx, f.id["blocker"], f.id["v"], now))
			must(s.Mute(f.ctx, f.id["v"], f.id["muted"], now))

			var owners []string
			for _, n := range []string{"friend", "fan", "idol", "private", "blocked", "blocker", "muted", "stranger", "v", "idol"} {
				owners = append(owners, f.id[n])
			}
			for _, viewer := range []string{"v", "friend", "blocker", ""} {
				got, err := f.s.Relations(f.ctx, f.id[viewer], owners)
				must(err)
				distinct := map[string]bool{}
				for _, o := range owners {
					distinct[o] = true
					want, err := f.s.Relation(f.ctx, f.id[viewer], o)
					must(err)
					if g, ok := got[o]; !ok || g != want {
						t.Errorf("viewer %q, owner %s: Relations gave %+v (present %v), Relation %+v", viewer, f.names([]string{o})[0], g, ok, want)
					}
				}
				if len(got) != len(distinct) {
					t.Errorf("viewer %q: %d relations for %d owners", viewer, len(got), len(distinct))
				}
			}
			// The cases above must not all be the zero relation.
			rel, err := f.s.Relations(f.ctx, f.id["v"], []string{f.id["friend"], f.id["blocker"], f.id["muted"], f.id["private"]})
			must(err)
			if r := rel[f.id["friend"]]; !r.Friend || !r.Follower {
				t.Errorf("friend: %+v", r)
			}
			if r := rel[f.id["blocker"]]; !r.Blocked {
				t.Errorf("blocker: %+v", r)
			}
			if r := rel[f.id["muted"]]; !r.Muting {
				t.Errorf("muted: %+v", r)
			}
			if r := rel[f.id["private"]]; !r.Pending || r.Follower {
				t.Errorf("private (pending): %+v", r)
			}
		})
	}
}
