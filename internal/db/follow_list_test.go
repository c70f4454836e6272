package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// TestFollowListPages pages through followers, following and pending requests two at a
// time, on both engines, and checks that the pages join up into every active account of the
// list, by ID descending, once each. On SQLite it also checks that the page comes from an
// index in order: a sort of the whole list (USE TEMP B-TREE FOR ORDER BY) costs what the
// list numbers on every page.
func TestFollowListPages(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := e.Open(t)
			ids := id.NewGenerator()
			now := time.Now()
			mk := func(name string) string {
				a := newAccount(ids, name)
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				return a.ID
			}
			star, fan := mk("star"), mk("fan")
			var followers, following, pending []string
			for i := range 9 {
				f := mk("f" + string(rune('a'+i)))
				switch {
				case i == 7: // suspended: listed nowhere
					if _, _, err := d.Social().Follow(ctx, f, star, false, now); err != nil {
						t.Fatal(err)
					}
					if err := d.Accounts().SetState(ctx, f, "suspended", now); err != nil {
						t.Fatal(err)
					}
				case i%3 == 2:
					if _, _, err := d.Social().Follow(ctx, f, star, true, now); err != nil {
						t.Fatal(err)
					}
					pending = append(pending, f)
				default:
					if _, _, err := d.Social().Follow(ctx, f, star, false, now); err != nil {
						t.Fatal(err)
					}
					followers = append(followers, f)
				}
				if i != 7 {
					if _, _, err := d.Social().Follow(ctx, fan, f, i == 4, now); err != nil {
						t.Fatal(err)
					}
					if i != 4 {
						following = append(following, f)
					}
				}
			}
			walk := func(account string, followers bool, state string) []string {
				var got []string
				after := ""
				for range 20 {
					page, err := d.Social().FollowList(ctx, account, followers, state, "", after, 2)
					if err != nil {
						t.Fatal(err)
					}
					for _, a := range page {
						got = append(got, a.ID)
					}
					if len(page) < 2 {
						return got
					}
					after = page[len(page)-1].ID
				}
				t.Fatal("the pages never end")
				return nil
			}
			desc := func(s []string) []string {
				s = slices.Clone(s)
				slices.Sort(s)
				slices.Reverse(s)
				return s
			}
			for _, c := range []struct {
				name      string
				account   string
				followers bool
				state     string
				want      []string
			}{
				{"followers", star, true, "accepted", followers},
				{"following", fan, false, "accepted", following},
				{"requests", star, true, "pending", pending},
			} {
				if got := walk(c.account, c.followers, c.state); !slices.Equal(got, desc(c.want)) {
					t.Errorf("%s: pages give %v, want %v", c.name, got, desc(c.want))
				}
				if d.Dialect != db.SQLite {
					continue
				}
				for _, after := range []string{"", c.want[0]} {
					q, args := db.FollowListQuery(c.account, c.followers, c.state, "", after, 2)
					if plan := explain(t, d, q, args); strings.Contains(plan, "TEMP B-TREE") {
						t.Errorf("%s (after %q): the plan sorts the whole list:\n%s", c.name, after, plan)
					}
				}
			}
		})
	}
}

// explain returns SQLite's query plan, one step a line.
func explain(t *testing.T, d *db.DB, q string, args []any) string {
	t.Helper()
	rows, err := pool(d).Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, p, x int
		var step string
		if err := rows.Scan(&a, &p, &x, &step); err != nil {
			t.Fatal(err)
		}
		out = append(out, step)
	}
	return strings.Join(out, "\n")
}
