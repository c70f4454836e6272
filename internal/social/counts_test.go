package social_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/policy"
	"kurz/internal/social"
	"kurz/internal/testkit"
)

// batchStore counts the reads of a video's counts and of relations, one by one and in
// batches.
type batchStore struct {
	*db.Social
	single, batches atomic.Int64
}

func (b *batchStore) VideoStats(ctx context.Context, id string) (db.VideoStats, error) {
	b.single.Add(1)
	return b.Social.VideoStats(ctx, id)
}

func (b *batchStore) CommentFacts(ctx context.Context, videoID string, sc db.CommentScope) (groups, parents []db.CommentFact, err error) {
	b.single.Add(1)
	return b.Social.CommentFacts(ctx, videoID, sc)
}

func (b *batchStore) Liked(ctx context.Context, accountID, videoID string) (bool, error) {
	b.single.Add(1)
	return b.Social.Liked(ctx, accountID, videoID)
}

func (b *batchStore) Relation(ctx context.Context, viewer, other string) (db.RelationRow, error) {
	b.single.Add(1)
	return b.Social.Relation(ctx, viewer, other)
}

func (b *batchStore) Relations(ctx context.Context, viewer string, others []string) (map[string]db.RelationRow, error) {
	b.batches.Add(1)
	return b.Social.Relations(ctx, viewer, others)
}

func (b *batchStore) VideoStatsMany(ctx context.Context, ids []string) (map[string]db.VideoStats, error) {
	b.batches.Add(1)
	return b.Social.VideoStatsMany(ctx, ids)
}

func (b *batchStore) CommentFactsMany(ctx context.Context, scopes map[string]db.CommentScope) (groups, parents []db.CommentFact, err error) {
	b.batches.Add(1)
	return b.Social.CommentFactsMany(ctx, scopes)
}

func (b *batchStore) LikedMany(ctx context.Context, accountID string, ids []string) (map[string]bool, error) {
	b.batches.Add(1)
	return b.Social.LikedMany(ctx, accountID, ids)
}

// TestCountsManyMatchesOneByOne checks that the counts of a page of videos read in one batch
// are those read video by video, for viewers who see the comments differently — anonymous,
// plain, blocking and blocked, with held comments of their own, the creator of some of the
// videos, staff — and that the batch reads no video on its own, on both engines.
func TestCountsManyMatchesOneByOne(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e)
			f.accounts("creator", "maker", "viewer", "fan", "troll", "grump", "shy", "gone", "mod", "quiet")
			now := time.Now().UTC()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			st := f.d.Social()
			_, err := st.Block(f.ctx, f.id["viewer"], f.id["troll"], now) // the viewer blocks troll
			must(err)
			_, err = st.Block(f.ctx, f.id["grump"], f.id["viewer"], now) // grump blocks the viewer
			must(err)
			must(f.d.Accounts().SetRole(f.ctx, f.id["mod"], "moderator", now))
			private := true
			_, err = f.d.Accounts().UpdateProfile(f.ctx, f.id["shy"], db.ProfileUpdate{Private: &private}, now)
			must(err)
			if _, _, err := st.Follow(f.ctx, f.id["viewer"], f.id["creator"], false, now); err != nil {
				t.Fatal(err)
			}

			comment := func(videoID, author, parent string, held bool) string {
				c := &db.CommentRow{ID: f.ids.New(), VideoID: videoID, AccountID: f.id[author], ParentID: parent, Body: "hi",
					Filtered: held, CreatedAt: now}
				must(st.AddComment(f.ctx, c))
				return c.ID
			}
			var refs []social.VideoRef
			video := func(owner string) string {
				id := f.video(owner)
				refs = append(refs, social.VideoRef{ID: id, OwnerID: f.id[owner]})
				return id
			}
			// Each video mixes comments that show differently to some of the viewers.
			v1 := video("creator")
			c := comment(v1, "fan", "", false)
			comment(v1, "troll", c, false)
			comment(v1, "grump", c, false)
			comment(v1, "viewer", c, true)
			t1 := comment(v1, "troll", "", false)
			comment(v1, "fan", t1, false)
			comment(v1, "viewer", t1, false)
			v2 := video("maker")
			g := comment(v2, "grump", "", false)
			comment(v2, "fan", g, false)
			comment(v2, "fan", g, true)
			comment(v2, "shy", "", false)
			comment(v2, "viewer", "", true)
			v3 := video("viewer") // the viewer's own: its held comments show to it
			h := comment(v3, "fan", "", true)
			comment(v3, "quiet", h, false)
			comment(v3, "troll", "", false)
			comment(v3, "gone", "", false)
			v4 := video("creator") // no comments at all
			v5 := video("maker")
			gc := comment(v5, "gone", "", false)
			comment(v5, "fan", gc, false)
			comment(v5, "fan", "", false)
			refs = append(refs, social.VideoRef{ID: v1, OwnerID: f.id["creator"]}) // a page may repeat a video
			if _, err := st.Like(f.ctx, f.id["viewer"], v2, f.id["maker"], now); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Like(f.ctx, f.id["mod"], v4, f.id["creator"], now); err != nil {
				t.Fatal(err)
			}
			must(f.d.Accounts().SetState(f.ctx, f.id["gone"], "suspended", now))

			bs := &batchStore{Social: st}
			s := social.New(social.Deps{Store: bs, Accounts: f.d.Accounts(), Videos: f.d.Videos(), NewID: f.ids.New,
				Now: time.Now, MaxComment: 500, MaxFilters: 20})
			anon, err := s.CountsMany(f.ctx, policy.Viewer{}, refs, nil)
			must(err)
			differs := 0
			for _, name := range []string{"", "viewer", "fan", "troll", "grump", "creator", "mod", "quiet"} {
				v := f.viewer(name)
				if name == "mod" {
					v.Role = policy.RoleModerator
				}
				// The relations come from the caller for some owners and are read for the rest.
				rels := map[string]policy.Relation{}
				if name != "" {
					rel, err := s.Relation(f.ctx, v.AccountID, f.id["creator"])
					must(err)
					rels[f.id["creator"]] = rel
				}
				bs.single.Store(0)
				bs.batches.Store(0)
				got, err := s.CountsMany(f.ctx, v, refs, rels)
				must(err)
				if n := bs.single.Load(); n != 0 {
					t.Errorf("%q: the batch read %d videos one by one", name, n)
				}
				if n := bs.batches.Load(); n > 4 {
					t.Errorf("%q: the batch took %d batched reads, want at most 4", name, n)
				}
				if len(got) != len(refs)-1 {
					t.Errorf("%q: %d videos counted, want %d", name, len(got), len(refs)-1)
				}
				for _, r := range refs {
					rel, err := s.Relation(f.ctx, v.AccountID, r.OwnerID)
					must(err)
					want, err := s.CountsWithRelation(f.ctx, v, r.ID, r.OwnerID, rel)
					must(err)
					if got[r.ID] != want {
						t.Errorf("%q, video of %s: batch gives %+v, one by one %+v", name, f.names([]string{r.OwnerID})[0], got[r.ID], want)
					}
					if got[r.ID].Comments != anon[r.ID].Comments {
						differs++
					}
				}
			}
			// The viewers above see the comments differently from an anonymous visitor on
			// some of the videos; otherwise the comparison would not test the corrections.
			if differs == 0 {
				t.Error("no viewer saw a comment count other than an anonymous visitor's")
			}
			if anon[v4].Likes != 1 {
				t.Errorf("the video liked once has %d likes", anon[v4].Likes)
			}
		})
	}
}

// TestRelationsMatchOneByOne checks that the relations of a viewer to several accounts read
// at once are those Relation reads one by one — follows either way and pending, blocks
// either way, mutes, the viewer itself, an unknown account — on both engines.
func TestRelationsMatchOneByOne(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e)
			names := []string{"viewer", "friend", "fan", "idol", "asked", "troll", "grump", "bore", "stranger"}
			f.accounts(names...)
			now := time.Now().UTC()
			st := f.d.Social()
			for _, fl := range []struct {
				from, to string
				pending  bool
			}{{"viewer", "friend", false}, {"friend", "viewer", false}, {"fan", "viewer", false}, {"viewer", "idol", false},
				{"viewer", "asked", true}, {"viewer", "troll", false}} {
				if _, _, err := st.Follow(f.ctx, f.id[fl.from], f.id[fl.to], fl.pending, now); err != nil {
					t.Fatal(err)
				}
			}
			block := func(blocker, blocked string) error {
				_, err := st.Block(f.ctx, f.id[blocker], f.id[blocked], now)
				return err
			}
			for _, err := range []error{block("viewer", "troll"), block("grump", "viewer"),
				st.Mute(f.ctx, f.id["viewer"], f.id["bore"], now)} {
				if err != nil {
					t.Fatal(err)
				}
			}
			owners := []string{"unknown"}
			for _, n := range names {
				owners = append(owners, f.id[n])
			}
			owners = append(owners, f.id["friend"]) // twice
			kinds := 0
			for _, viewer := range []string{"", "viewer", "friend", "grump"} {
				got, err := f.s.Relations(f.ctx, f.id[viewer], owners)
				if err != nil {
					t.Fatal(err)
				}
				seen := map[policy.Relation]bool{}
				for _, o := range owners {
					want, err := f.s.Relation(f.ctx, f.id[viewer], o)
					if err != nil {
						t.Fatal(err)
					}
					if r, ok := got[o]; !ok || r != want {
						t.Errorf("%q to %v: at once %+v (%v), one by one %+v", viewer, f.names([]string{o}), r, ok, want)
					}
					seen[want] = true
				}
				kinds = max(kinds, len(seen))
			}
			// The viewer stands in several ways to the accounts; otherwise the comparison
			// would test little.
			if kinds < 6 {
				t.Errorf("the viewers stand in at most %d different ways to the accounts, want at least 6", kinds)
			}
		})
	}
}
