package social_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/social"
	"kurz/internal/testkit"
)

// countingStore counts the like-state lookups that Comments makes, one per comment whose
// visibility it works out for a logged-in viewer.
type countingStore struct {
	*db.Social
	liked atomic.Int64
}

func (c *countingStore) CommentLiked(ctx context.Context, accountID, commentID string) (bool, error) {
	c.liked.Add(1)
	return c.Social.CommentLiked(ctx, accountID, commentID)
}

// video stores a public, ready video of owner.
func (f *fixture) video(owner string) string {
	vid := f.ids.New()
	at := time.Now().UnixMilli()
	p := f.d.Pools()
	pool := p["main"]
	if pool == nil {
		pool = p["writer"]
	}
	if _, err := pool.ExecContext(f.ctx, f.d.Q(`INSERT INTO videos (id, account_id, caption, visibility, state, created_at, updated_at, ready_at)
		VALUES (?, ?, 'clip', 'public', 'ready', ?, ?, ?)`), vid, f.id[owner], at, at, at); err != nil {
		f.t.Fatal(err)
	}
	return vid
}

// comment stores a top-level comment by author; comment IDs ascend in creation order.
func (f *fixture) comment(videoID, author string) string {
	c := &db.CommentRow{ID: f.ids.New(), VideoID: videoID, AccountID: f.id[author], Body: "hello", CreatedAt: time.Now().UTC()}
	if err := f.d.Social().AddComment(f.ctx, c); err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}

// TestCommentPagesStopWhenFull checks that a page of comments that needs a second batch
// (because hidden comments thinned the first) works out no more comments than it shows,
// and that its pages still join up, on both engines.
func TestCommentPagesStopWhenFull(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e)
			f.accounts("creator", "viewer", "fan", "troll")
			if _, err := f.d.Social().Block(f.ctx, f.id["troll"], f.id["viewer"], time.Now()); err != nil {
				t.Fatal(err)
			}
			vid := f.video("creator")
			var want []string
			for i := range 9 {
				author := "fan"
				if i%3 == 2 { // every third comment, the newest first of all, is hidden from the viewer
					author = "troll"
				}
				if c := f.comment(vid, author); author == "fan" {
					want = append(want, c)
				}
			}
			slices.Reverse(want)
			cs := &countingStore{Social: f.d.Social()}
			s := social.New(social.Deps{Store: cs, Accounts: f.d.Accounts(), Videos: f.d.Videos(), NewID: f.ids.New,
				Now: time.Now, MaxComment: 500, MaxFilters: 20})
			v := f.viewer("viewer")
			page, err := s.Comments(f.ctx, v, vid, "", "", 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) != 3 {
				t.Fatalf("first page has %d comments, want 3", len(page))
			}
			if n := cs.liked.Load(); n != 3 {
				t.Errorf("the first page of 3 worked out %d visible comments, want 3", n)
			}
			got := walk(t, 3, func(after string) ([]*social.Comment, error) {
				return s.Comments(f.ctx, v, vid, "", after, 3)
			}, func(c *social.Comment) string { return c.ID })
			if !slices.Equal(got, want) {
				t.Errorf("pages give %v, want %v", got, want)
			}
		})
	}
}

// TestPinnedCommentLeads checks that a video's pinned comment, however old, leads the first
// page of its comments and shows nowhere else in the pages, whatever the page size; and that
// a pinned comment hidden from the viewer shows to it on no page, on both engines.
func TestPinnedCommentLeads(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e)
			f.accounts("creator", "viewer", "fan", "troll")
			if _, err := f.d.Social().Block(f.ctx, f.id["troll"], f.id["viewer"], time.Now()); err != nil {
				t.Fatal(err)
			}
			vid := f.video("creator")
			old := f.comment(vid, "troll") // the oldest, pinned
			var rest []string
			for range 4 {
				rest = append(rest, f.comment(vid, "fan"))
			}
			slices.Reverse(rest)
			if err := f.d.Social().Pin(f.ctx, vid, old); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				viewer string
				want   []string
			}{
				{"", append([]string{old}, rest...)},
				{"fan", append([]string{old}, rest...)},
				{"viewer", rest}, // the pinned comment's author blocked the viewer
			} {
				for _, limit := range []int{1, 2, 3, 10} {
					var pinnedSeen []string
					got := walk(t, limit, func(after string) ([]*social.Comment, error) {
						page, err := f.s.Comments(f.ctx, f.viewer(c.viewer), vid, "", after, limit)
						for _, cm := range page {
							if cm.Pinned {
								pinnedSeen = append(pinnedSeen, cm.ID)
							}
						}
						return page, err
					}, func(c *social.Comment) string { return c.ID })
					if !slices.Equal(got, c.want) {
						t.Errorf("viewer %q, pages of %d: walked %v, want %v", c.viewer, limit, got, c.want)
					}
					if wantPinned := c.want[0] == old; wantPinned != (len(pinnedSeen) == 1) || len(pinnedSeen) > 1 {
						t.Errorf("viewer %q, pages of %d: flagged pinned %v", c.viewer, limit, pinnedSeen)
					}
				}
			}
		})
	}
}
