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
	sc, ok := commentScope(v, ownerID)
	if !ok {
		return commentDelta{}, nil
	}
	groups, parents, err := s.d.Store.CommentFacts(ctx, videoID, sc)
	if err != nil {
		return commentDelta{}, errs.Internal(err)
	}
	return commentDeltaOf(v, ownerID, groups, parents), nil
}

// commentScope is the db.CommentScope of v on a video of ownerID, and whether it has
// anything in it.
func commentScope(v policy.Viewer, ownerID string) (db.CommentScope, bool) {
	sc := policy.CountScopeOf(v, ownerID)
	return db.CommentScope{Viewer: v.AccountID, Blocks: sc.Blocks, OwnHeld: sc.OwnHeld, AllHeld: sc.AllHeld, Inactive: sc.Inactive},
		sc != (policy.CountScope{})
}

// commentDeltaOf works out the commentDelta of v on a video of ownerID from the video's
// comment facts in v's scope.
func commentDeltaOf(v policy.Viewer, ownerID string, groups, parents []db.CommentFact) commentDelta {
	out := commentDelta{replies: map[string]int64{}}
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
	return out
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

// VideoRef names a video of a page and its owner, for CountsMany.
type VideoRef struct{ ID, OwnerID string }

// CountsMany is CountsWithRelation for a page of videos at once, by video ID: the counters,
// the comment corrections and the viewer's likes each in one batch (db.CommentFactsMany
// finds the comments in scope of every video in one query, which for a viewer with no
// blocks and no held comments on the page finds none), so a page costs a few queries
// instead of a few per video. rels is how v stands to each owner, as Relation gives it; the
// owners missing from it are read here, in one query.
func (s *Service) CountsMany(ctx context.Context, v policy.Viewer, videos []VideoRef, rels map[string]policy.Relation) (map[string]VideoCounts, error) {
	out := make(map[string]VideoCounts, len(videos))
	if len(videos) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(videos))
	owners := make(map[string]string, len(videos))
	scopes := map[string]db.CommentScope{}
	for _, vr := range videos {
		if _, ok := owners[vr.ID]; ok {
			continue
		}
		ids = append(ids, vr.ID)
		owners[vr.ID] = vr.OwnerID
		if sc, ok := commentScope(v, vr.OwnerID); ok {
			scopes[vr.ID] = sc
		}
	}
	stats, err := s.d.Store.VideoStatsMany(ctx, ids)
	if err != nil {
		return nil, errs.Internal(err)
	}
	var groups, parents map[string][]db.CommentFact
	if len(scopes) > 0 {
		gs, ps, err := s.d.Store.CommentFactsMany(ctx, scopes)
		if err != nil {
			return nil, errs.Internal(err)
		}
		groups, parents = map[string][]db.CommentFact{}, map[string][]db.CommentFact{}
		for _, g := range gs {
			groups[g.VideoID] = append(groups[g.VideoID], g)
		}
		for _, p := range ps {
			parents[p.VideoID] = append(parents[p.VideoID], p)
		}
	}
	var liked map[string]bool
	if !v.Anonymous() {
		if liked, err = s.d.Store.LikedMany(ctx, v.AccountID, ids); err != nil {
			return nil, errs.Internal(err)
		}
	}
	var missing []string // the owners whose relation rels lacks
	if !v.Anonymous() {
		for _, id := range ids {
			if _, ok := rels[owners[id]]; !ok {
				missing = append(missing, owners[id])
			}
		}
	}
	read, err := s.Relations(ctx, v.AccountID, missing)
	if err != nil {
		return nil, errs.Internal(err)
	}
	for _, id := range ids {
		owner := owners[id]
		st := stats[id]
		st.Comments += commentDeltaOf(v, owner, groups[id], parents[id]).comments
		c := VideoCounts{VideoStats: st}
		if !v.Anonymous() {
			rel, ok := rels[owner]
			if !ok {
				rel = read[owner]
			}
			c.Liked, c.Following = liked[id], rel.Follower
		}
		out[id] = c
	}
	return out, nil
}
