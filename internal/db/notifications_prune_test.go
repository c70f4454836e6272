package db_test

import (
	"context"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// Pruning deletes every notification older than the cut, over several batches, and none
// younger.
func TestPruneNotifications(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := e.Open(t)
			ids := id.NewGenerator()
			to, from := newAccount(ids, "to"), newAccount(ids, "from")
			for _, a := range []*db.AccountRow{to, from} {
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			cut := time.Now().UTC().Truncate(time.Millisecond)
			const old, young = 2100, 5 // more than two batches of old ones
			for i := range old + young {
				at := cut.Add(-time.Duration(i+1) * time.Second)
				if i < young {
					at = cut.Add(time.Duration(i) * time.Second) // at the cut or after: kept
				}
				if err := d.Social().Notify(ctx, &db.NotificationRow{ID: ids.New(), AccountID: to.ID, Kind: "follow", ActorID: from.ID, CreatedAt: at}); err != nil {
					t.Fatal(err)
				}
			}
			n, err := d.Social().PruneNotifications(ctx, cut)
			if err != nil || n != old {
				t.Fatalf("pruned %d (%v), want %d", n, err, old)
			}
			left, err := d.Social().Notifications(ctx, to.ID, "", 100)
			if err != nil || len(left) != young {
				t.Fatalf("%d left (%v), want %d", len(left), err, young)
			}
			for _, r := range left {
				if r.CreatedAt.Before(cut) {
					t.Fatalf("a notification from before the cut is left: %v", r.CreatedAt)
				}
			}
		})
	}
}
