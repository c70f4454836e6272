package social

import (
	"context"
	"slices"

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
	facts, err := s.d.Store.CommentFacts(ctx, videoID, db.CommentScope{Viewer: v.AccountID, Blocks: sc.Blocks,
		OwnHeld: sc.OwnHeld, AllHeld: sc.AllHeld, Inactive: sc.Inactive})
	if err != nil {
		return out, errs.Internal(err)
	}
	seen := map[string]bool{}
	facts = slices.DeleteFunc(facts, func(f db.CommentFact) bool {
		dup := seen[f.ID]
		seen[f.ID] = true
		return dup
	})
	visible := func(f db.CommentFact) (viewer, anonymous int64) {
		c := policy.Comment{Author: policy.Account{ID: f.AuthorID, Role: policy.Role(f.AuthorRole), State: policy.State(f.AuthorState),
			Private: f.AuthorPrivate}, Held: f.Filtered, VideoOwnerID: ownerID}
		return shown(policy.CommentShown(v, c, policy.Relation{Blocked: f.BlockedBy, Blocking: f.Blocking})),
			shown(policy.CommentShown(policy.Viewer{}, c, policy.Relation{}))
	}
	// The replies among the facts are the ones in scope: each changes its parent's count by
	// whether it shows to v rather than to the visitor.
	for _, f := range facts {
		if f.ParentID != "" {
			me, anon := visible(f)
			out.replies[f.ParentID] += me - anon
		}
	}
	// A top-level comment counts with its replies where it shows: the visitor's count has
	// it with the stored reply count, v's with the corrected one.
	for _, f := range facts {
		if f.ParentID != "" {
			continue
		}
		me, anon := visible(f)
		out.comments += me*(1+f.ReplyCount+out.replies[f.ID]) - anon*(1+f.ReplyCount)
	}
	return out, nil
}

func shown(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
