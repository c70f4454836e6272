package db_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"kurz/internal/id"
	"kurz/internal/testkit"
)

// OwnersWithRelations is Owners and Relations in one query: on both engines it must return
// exactly what the two return, for followed, following, pending, blocked, blocking, muted
// and unrelated accounts, and leave out an ID that is no account.
func TestOwnersWithRelationsIsOwnersAndRelations(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			d := e.Open(t)
			ctx := context.Background()
			ids := id.NewGenerator()
			acc := map[string]string{}
			for _, name := range []string{"viewer", "followed", "follower", "pending", "blocked", "blocker", "muted", "stranger"} {
				a := newAccount(ids, name)
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				acc[name] = a.ID
			}
			now := time.Now()
			s := d.Social()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			_, _, err := s.Follow(ctx, acc["viewer"], acc["followed"], false, now)
			must(err)
			_, _, err = s.Follow(ctx, acc["follower"], acc["viewer"], false, now)
			must(err)
			_, _, err = s.Follow(ctx, acc["viewer"], acc["pending"], true, now)
			must(err)
			must(s.Block(ctx, acc["viewer"], acc["blocked"], now))
			must(s.Block(ctx, acc["blocker"], acc["viewer"], now))
			must(s.Mute(ctx, acc["viewer"], acc["muted"], now))

			var others []string
			for name, id := range acc {
				if name != "viewer" {
					others = append(others, id)
				}
			}
			others = append(others, ids.New()) // no such account
			owners, err := d.Videos().Owners(ctx, others)
			must(err)
			rels, err := s.Relations(ctx, acc["viewer"], others)
			must(err)
			gotOwners, gotRels, err := s.OwnersWithRelations(ctx, acc["viewer"], others)
			must(err)
			if len(gotOwners) != len(acc)-1 || !reflect.DeepEqual(gotOwners, owners) {
				t.Errorf("owners: %d, want the %d of Owners, equal", len(gotOwners), len(owners))
			}
			if !reflect.DeepEqual(gotRels, rels) {
				t.Errorf("relations:\n got %+v\nwant %+v", gotRels, rels)
			}
			// The case the comparison rests on: the relations are not all alike.
			if rels[acc["followed"]].Following != "accepted" || !rels[acc["blocked"]].Blocking || !rels[acc["blocker"]].BlockedBy ||
				!rels[acc["muted"]].Muting || rels[acc["pending"]].Following != "pending" || rels[acc["follower"]].FollowedBy != "accepted" {
				t.Errorf("the fixture's relations are not what the test set up: %+v", rels)
			}
		})
	}
}
