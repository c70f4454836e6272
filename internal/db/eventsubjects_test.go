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

// subjectFacts is what deciding on an event needs of an EventSubject, comparable across the
// two ways of reading it (the query fills only these fields of the video).
type subjectFacts struct {
	VideoID, Owner, Visibility, State string
	Removed                           bool
	DurationMS                        int64
	OwnerState                        string
	Relation                          db.RelationRow
}

func subjectsOf(t *testing.T, d *db.DB, viewer string, ids []string) map[string]subjectFacts {
	t.Helper()
	subs, err := d.Events().Subjects(context.Background(), viewer, ids)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]subjectFacts, len(subs))
	for k, s := range subs {
		v := s.Video
		out[k] = subjectFacts{v.ID, v.AccountID, v.Visibility, v.State, v.Removed, v.DurationMS, s.OwnerState, s.Relation}
	}
	return out
}

// Subjects through the video cache gives what the one query gives, for every relation a
// viewer can have to an owner, for an anonymous viewer and after another process changes
// relations, an owner's state and a video.
func TestEventSubjectsFromTheCacheAreTheQuerys(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := e.Open(t)
			plain := testkit.ReopenWith(t, d, func(o *db.Options) { o.VideoCache = -1 })
			ids := id.NewGenerator()
			now := time.Now().UTC()
			account := func(name string) string {
				a := newAccount(ids, name)
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				return a.ID
			}
			viewer := account("viewer")
			owners := map[string]string{}
			for _, n := range []string{"followed", "follower", "blocked", "blocker", "muted", "suspended", "stranger"} {
				owners[n] = account(n)
			}
			owners["viewer"] = viewer
			var videos []string
			byOwner := map[string]string{}
			for n, o := range owners {
				v := &db.VideoRow{ID: ids.New(), AccountID: o, Caption: n, Visibility: "public", State: "ready", DurationMS: 15000,
					CreatedAt: now, UpdatedAt: now}
				up := &db.UploadRow{ID: ids.New(), AccountID: o, VideoID: v.ID, Length: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
				if err := d.Videos().CreateWithUpload(ctx, v, up); err != nil {
					t.Fatal(err)
				}
				videos = append(videos, v.ID)
				byOwner[n] = v.ID
			}
			videos = append(videos, "no-such-video", byOwner["stranger"])
			s := d.Social()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			_, _, err := s.Follow(ctx, viewer, owners["followed"], false, now)
			must(err)
			_, _, err = s.Follow(ctx, owners["follower"], viewer, true, now)
			must(err)
			_, err = s.Block(ctx, viewer, owners["blocked"], now)
			must(err)
			_, err = s.Block(ctx, owners["blocker"], viewer, now)
			must(err)
			must(s.Mute(ctx, viewer, owners["muted"], now))
			must(d.Accounts().SetState(ctx, owners["suspended"], "suspended", now))

			check := func(when string) {
				t.Helper()
				for _, who := range []string{viewer, ""} {
					for round := range 2 { // the first read may fill the cache; the second is from it
						got, want := subjectsOf(t, d, who, videos), subjectsOf(t, plain, who, videos)
						if !reflect.DeepEqual(got, want) {
							t.Fatalf("%s, viewer %q, round %d:\ncache %+v\nquery %+v", when, who, round, got, want)
						}
						if len(got) != len(owners) {
							t.Fatalf("%s: %d subjects for %d videos", when, len(got), len(owners))
						}
					}
				}
			}
			check("at first")
			if rel := subjectsOf(t, d, viewer, videos)[byOwner["blocked"]].Relation; !rel.Blocking {
				t.Fatalf("the viewer's block is not in the subject: %+v", rel)
			}

			// Another process changes what the cache holds and what it does not.
			ps := plain.Social()
			must(ps.Unblock(ctx, viewer, owners["blocked"]))
			_, err = ps.Block(ctx, viewer, owners["followed"], now)
			must(err)
			must(plain.Accounts().SetState(ctx, owners["suspended"], "active", now))
			private := "private"
			must(plain.Videos().Update(ctx, byOwner["stranger"], db.VideoEdit{Visibility: &private}, now))
			check("after the changes")
			got := subjectsOf(t, d, viewer, videos)
			if got[byOwner["suspended"]].OwnerState != "active" || got[byOwner["stranger"]].Visibility != "private" ||
				!got[byOwner["followed"]].Relation.Blocking || got[byOwner["blocked"]].Relation.Blocking {
				t.Fatalf("the cached subjects missed a change: %+v", got)
			}
		})
	}
}
