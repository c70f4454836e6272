package db_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// TestByIDsMatchesByID checks that the batched load of a page's videos gives each video as
// ByID gives it, hashtags and mentions included, plus its comment policy, on both engines.
func TestByIDsMatchesByID(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := e.Open(t)
			ids := id.NewGenerator()
			alice := newAccount(ids, "alice")
			if err := d.Accounts().Create(ctx, alice); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			var vids []string
			for _, c := range []struct {
				tags, mentions []string
				policy         string
			}{
				{[]string{"b", "a"}, []string{"zed", "amy"}, "followers"},
				{nil, []string{"bob"}, "everyone"},
				{[]string{"solo"}, nil, "nobody"},
				{nil, nil, "friends"},
			} {
				v := &db.VideoRow{ID: ids.New(), AccountID: alice.ID, Caption: "clip", Visibility: "public", State: "ready",
					CreatedAt: now, UpdatedAt: now, Hashtags: c.tags, Mentions: c.mentions}
				up := &db.UploadRow{ID: ids.New(), AccountID: alice.ID, VideoID: v.ID, Length: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
				if err := d.Videos().CreateWithUpload(ctx, v, up); err != nil {
					t.Fatal(err)
				}
				if err := d.Social().SetCommentPolicy(ctx, v.ID, c.policy); err != nil {
					t.Fatal(err)
				}
				vids = append(vids, v.ID)
			}
			got, err := d.Videos().ByIDs(ctx, append(vids, "no-such-video"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(vids) {
				t.Fatalf("ByIDs returned %d videos, want %d", len(got), len(vids))
			}
			for _, vid := range vids {
				want, err := d.Videos().ByID(ctx, vid)
				if err != nil {
					t.Fatal(err)
				}
				if want.CommentPolicy, err = d.Social().CommentPolicy(ctx, vid); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got[vid], want) {
					t.Errorf("video %s:\nByIDs %+v\nByID  %+v", vid, got[vid], want)
				}
			}
			if g := got[vids[0]]; !reflect.DeepEqual(g.Hashtags, []string{"a", "b"}) || !reflect.DeepEqual(g.Mentions, []string{"amy", "zed"}) || g.CommentPolicy != "followers" {
				t.Errorf("first video: hashtags %v, mentions %v, policy %q", g.Hashtags, g.Mentions, g.CommentPolicy)
			}
		})
	}
}
