package social_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/policy"
	"kurz/internal/social"
	"kurz/internal/testkit"
)

// fixture is a service on a fresh database, with accounts made by name.
type fixture struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	ids *id.Generator
	s   *social.Service
	id  map[string]string // account ID by username
}

func newFixture(t *testing.T, e testkit.Engine) *fixture {
	d := e.Open(t)
	ids := id.NewGenerator()
	f := &fixture{t: t, ctx: context.Background(), d: d, ids: ids, id: map[string]string{}}
	f.s = social.New(social.Deps{Store: d.Social(), Accounts: d.Accounts(), Videos: d.Videos(), NewID: ids.New,
		Now: func() time.Time { return time.Now().UTC() }, MaxComment: 500, MaxFilters: 20,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return f
}

// accounts creates the accounts in order, so their IDs ascend in that order.
func (f *fixture) accounts(names ...string) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, n := range names {
		a := &db.AccountRow{ID: f.ids.New(), Username: n, Role: "user", Region: "eu", State: "active",
			Personalised: true, PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
		if err := f.d.Accounts().Create(f.ctx, a); err != nil {
			f.t.Fatal(err)
		}
		f.id[n] = a.ID
	}
}

func (f *fixture) viewer(name string) policy.Viewer {
	if name == "" {
		return policy.Viewer{}
	}
	return policy.Viewer{AccountID: f.id[name], Role: "user"}
}

func (f *fixture) names(ids []string) []string {
	by := map[string]string{}
	for n, i := range f.id {
		by[i] = n
	}
	out := make([]string, len(ids))
	for i, x := range ids {
		out[i] = by[x]
	}
	return out
}

// walk pages through a list the way a client of the API does: it asks for the next page
// only after a full one (the API hands out a cursor only then), from the last item's ID.
func walk[T any](t *testing.T, limit int, page func(after string) ([]T, error), idOf func(T) string) []string {
	t.Helper()
	var got []string
	after := ""
	for range 100 {
		items, err := page(after)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			got = append(got, idOf(it))
		}
		if len(items) < limit {
			return got
		}
		after = idOf(items[len(items)-1])
	}
	t.Fatal("the pages never end")
	return nil
}

// TestFollowListsFillPages checks that accounts hidden from the viewer do not cut the
// follower list short: a viewer blocked by several of an account's newest followers still
// walks, page by page, to every follower it may see, on both engines.
func TestFollowListsFillPages(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e)
			f.accounts("star", "viewer", "a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4", "b5")
			now := time.Now()
			for _, n := range []string{"a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4", "b5"} {
				if _, _, err := f.d.Social().Follow(f.ctx, f.id[n], f.id["star"], false, now); err != nil {
					t.Fatal(err)
				}
				if _, _, err := f.d.Social().Follow(f.ctx, f.id["star"], f.id[n], false, now); err != nil {
					t.Fatal(err)
				}
			}
			// The newest followers, first in the list, blocked the viewer.
			for _, n := range []string{"b1", "b2", "b3", "b4", "b5"} {
				if _, err := f.d.Social().Block(f.ctx, f.id[n], f.id["viewer"], now); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range []struct {
				viewer    string
				followers bool
				want      []string
			}{
				{"viewer", true, []string{"a4", "a3", "a2", "a1"}},
				{"viewer", false, []string{"a4", "a3", "a2", "a1"}},
				{"", true, []string{"b5", "b4", "b3", "b2", "b1", "a4", "a3", "a2", "a1"}},
			} {
				for _, limit := range []int{1, 2, 3} {
					got := walk(t, limit, func(after string) ([]*db.AccountRow, error) {
						return f.s.FollowList(f.ctx, f.viewer(c.viewer), "star", c.followers, after, limit)
					}, func(a *db.AccountRow) string { return a.ID })
					if names := f.names(got); !slices.Equal(names, c.want) {
						t.Errorf("viewer %q, followers %v, pages of %d: walked %v, want %v", c.viewer, c.followers, limit, names, c.want)
					}
				}
			}
		})
	}
}
