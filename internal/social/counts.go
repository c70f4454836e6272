package social

import (
	"context"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/policy"
)

// Every count served — a profile's followers and following, a video's comments, a comment's
// replies — goes through this file. The stored counters count what an anonymous visitor sees
// (see db.Social); a viewer gets them corrected by the things that show differently to them.
// policy names where those can be (CountScopeOf) and decides each one (Listed, CommentShown),
// the same decisions the lists make, so a count is what its list shows. The store finds the
// things through indexes, so a correction costs what the viewer's blocks and own held
// comments number (plus, for the creator, the video's held comments and, for staff, the
// comments of inactive accounts on it), never a recount.

// accountStats returns an account's counters as v sees them.
func (s *Service) accountStats(ctx context.Context, v policy.Viewer, accountID string) (db.AccountStats, error) {
	st, err := s.d.Store.AccountStats(ctx, accountID)
	if err != nil {
		return st, errs.Internal(err)
	}
	if !policy.CountScopeOf(v, "").Blocks {
		return st, nil
	}
	facts, err := s.d.Store.FollowFacts(ctx, accountID, v.AccountID)
	if err != nil {
		return st, errs.Internal(err)
	}
	for _, f := range facts {
		a := policy.Account{ID: f.ID, Role: policy.Role(f.Role), State: policy.State(f.State), Private: f.Private}
		d := shown(policy.Listed(v, a, policy.Relation{Blocked: f.BlockedBy, Blocking: f.Blocking})) -
			shown(policy.Listed(policy.Viewer{}, a, policy.Relation{}))
		if f.Follower {
			st.Followers += d
		}
		if f.Followee {
			st.Following += d
		}
	}
	return st, nil
}

// commentDelta is what to add to a video's stored comment count and to its comments'
// stored reply counts for one viewer.
type commentDelta struct {
	comments int64
	replies  map[string]int64 // by top-level comment ID
}

// commentCounts works out the commentDelta of v on a video of ownerID.
func (s *Service) commentCounts(ctx context.Context, v policy.Viewer, videoID, ownerID string) (commentDelta, error) {
	out := commentDelta{replies: map[string]int64{}}
	sc := policy.CountScopeOf(v, ownerID)
	if sc == (policy.CountScope{}) {
		return out, nil
	}
	groups, parents, err := s.d.Store.CommentFacts(ctx, videoID, db.CommentScope{Viewer: v.AccountID, Blocks: sc.Blocks,
		OwnHeld: sc.OwnHeld, AllHeld: sc.AllHeld, Inactive: sc.Inactive})
	if err != nil {
		return out, errs.Internal(err)
	}
	visible := func(f db.CommentFact) (viewer, anonymous int64) {
		c := policy.Comment{Author: policy.Account{ID: f.AuthorID, Role: policy.Role(f.AuthorRole), State: policy.State(f.AuthorState),
			Private: f.AuthorPrivate}, Held: f.Filtered, VideoOwnerID: ownerID}
		return shown(policy.CommentShown(v, c, policy.Relation{Blocked: f.BlockedBy, Blocking: f.Blocking})),
			shown(policy.CommentShown(policy.Viewer{}, c, policy.Relation{}))
	}
	// A top-level comment counts with its replies where it shows: the visitor's count has it
	// with its stored reply count, v's with the count corrected by the replies in scope.
	// Outside the scope a comment shows alike to both (policy.CountScope), so the difference
	// is the groups of comments in scope, plus the corrections of the replies in scope under
	// the top-level comments that v sees.
	for _, g := range groups {
		me, anon := visible(g)
		if g.ParentID == "" {
			out.comments += (me - anon) * (g.Count + g.Replies)
		} else {
			out.replies[g.ParentID] += (me - anon) * g.Count
		}
	}
	for _, p := range parents {
		if me, _ := visible(p); me == 1 {
			out.comments += out.replies[p.ID]
		}
	}
	return out, nil
}

func shown(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CountsWithRelation is Counts for a caller that has already read how v stands to the
// video's owner (the Relation of v.AccountID and ownerID, as Relation gives it), so a page of
// videos reads each owner's relation once.
func (s *Service) CountsWithRelation(ctx context.Context, v policy.Viewer, videoID, ownerID string, rel policy.Relation) (VideoCounts, error) {
	st, err := s.d.Store.VideoStats(ctx, videoID)
	if err != nil {
		return VideoCounts{}, errs.Internal(err)
	}
	d, err := s.commentCounts(ctx, v, videoID, ownerID)
	if err != nil {
		return VideoCounts{}, err
	}
	st.Comments += d.comments
	c := VideoCounts{VideoStats: st}
	if !v.Anonymous() {
		if c.Liked, err = s.d.Store.Liked(ctx, v.AccountID, videoID); err != nil {
			return c, errs.Internal(err)
		}
		c.Following = rel.Follower
	}
	return c, nil
}
