package policy

import "testing"

// The stored counters count what an anonymous visitor sees: an active account's follows and
// an active author's comments that are not held. The store's SQL relies on exactly this.
func TestAnonymousCountsWhatTheCountersCount(t *testing.T) {
	for _, st := range []State{StateActive, StateSuspended, StateDeleting} {
		for _, private := range []bool{false, true} {
			a := Account{ID: "a", Role: RoleUser, State: st, Private: private}
			if got := Listed(Viewer{}, a, Relation{}); got != (st == StateActive) {
				t.Errorf("an anonymous visitor's list shows a %s account: %v", st, got)
			}
			for _, held := range []bool{false, true} {
				c := Comment{Author: a, Held: held, VideoOwnerID: "o"}
				if got, want := CommentShown(Viewer{}, c, Relation{}), st == StateActive && !held; got != want {
					t.Errorf("an anonymous visitor sees a comment by a %s author, held %v: %v, want %v", st, held, got, want)
				}
			}
		}
	}
}

// Whatever shows differently to a viewer than to an anonymous visitor lies inside the
// viewer's CountScope, so correcting a count by the things in scope is enough. Every
// combination of viewer, author, relationship and held flag is tried.
func TestCountScopeHoldsEveryDifference(t *testing.T) {
	viewers := map[string]Viewer{
		"anonymous": {},
		"member":    {AccountID: "v", Role: RoleUser},
		"creator":   {AccountID: "o", Role: RoleUser},
		"moderator": {AccountID: "v", Role: RoleModerator},
		"admin":     {AccountID: "v", Role: RoleAdmin},
	}
	rels := []Relation{{}, {Blocked: true}, {Blocking: true}, {Blocked: true, Blocking: true}, {Follower: true}, {Friend: true, Follower: true}, {Muting: true}}
	differs := 0
	for vn, v := range viewers {
		sc := CountScopeOf(v, "o")
		if vn == "anonymous" && sc != (CountScope{}) {
			t.Errorf("an anonymous viewer has a scope: %+v", sc)
		}
		for _, authorID := range []string{"a", "v", "o"} {
			for _, st := range []State{StateActive, StateSuspended, StateDeleting} {
				author := Account{ID: authorID, Role: RoleUser, State: st}
				if v.AccountID == authorID && st != StateActive {
					continue // a live viewer is active
				}
				for _, rel := range rels {
					if v.Anonymous() && rel != (Relation{}) || v.AccountID == authorID && rel != (Relation{}) {
						continue // nobody stands in a relation to an anonymous viewer or to themselves
					}
					across := rel.Blocked || rel.Blocking
					if Listed(v, author, rel) != Listed(Viewer{}, author, Relation{}) && !(across && sc.Blocks) {
						t.Errorf("%s viewer, %s account, %+v: the list differs outside the scope %+v", vn, st, rel, sc)
					}
					for _, held := range []bool{false, true} {
						c := Comment{Author: author, Held: held, VideoOwnerID: "o"}
						if CommentShown(v, c, rel) == CommentShown(Viewer{}, c, Relation{}) {
							continue
						}
						differs++
						in := across && sc.Blocks || held && sc.AllHeld || held && authorID == v.AccountID && sc.OwnHeld ||
							st != StateActive && sc.Inactive
						if !in {
							t.Errorf("%s viewer, comment by %s (%s), held %v, %+v: shows differently outside the scope %+v", vn, authorID, st, held, rel, sc)
						}
					}
				}
			}
		}
	}
	if differs == 0 {
		t.Fatal("no comment showed differently to any viewer: the test checks nothing")
	}
}

func TestCommentShown(t *testing.T) {
	author := Account{ID: "a", Role: RoleUser, State: StateActive}
	cases := []struct {
		name string
		v    Viewer
		c    Comment
		rel  Relation
		want bool
	}{
		{"a held comment to a stranger", Viewer{AccountID: "s"}, Comment{Author: author, Held: true, VideoOwnerID: "o"}, Relation{}, false},
		{"a held comment to its author", Viewer{AccountID: "a"}, Comment{Author: author, Held: true, VideoOwnerID: "o"}, Relation{}, true},
		{"a held comment to the creator", Viewer{AccountID: "o"}, Comment{Author: author, Held: true, VideoOwnerID: "o"}, Relation{}, true},
		{"a held comment to a moderator", Viewer{AccountID: "m", Role: RoleModerator}, Comment{Author: author, Held: true, VideoOwnerID: "o"}, Relation{}, false},
		{"an author who blocked the viewer", Viewer{AccountID: "s"}, Comment{Author: author}, Relation{Blocked: true}, false},
		{"an author who blocked a moderator", Viewer{AccountID: "m", Role: RoleModerator}, Comment{Author: author}, Relation{Blocked: true}, true},
		{"an author the moderator blocked", Viewer{AccountID: "m", Role: RoleModerator}, Comment{Author: author}, Relation{Blocking: true}, false},
		{"a suspended author to a member", Viewer{AccountID: "s"}, Comment{Author: Account{ID: "a", State: StateSuspended}}, Relation{}, false},
		{"a suspended author to an admin", Viewer{AccountID: "x", Role: RoleAdmin}, Comment{Author: Account{ID: "a", State: StateSuspended}}, Relation{}, true},
	}
	for _, c := range cases {
		if got := CommentShown(c.v, c.c, c.rel); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
