package social

import (
	"context"
	"errors"
	"strings"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/policy"
	"kurz/internal/video"
)

// Comment is a comment as the viewer sees it.
type Comment struct {
	*db.CommentRow
	Author  *db.AccountRow
	Liked   bool
	Pinned  bool
	Replies int64 // the replies the viewer sees (the stored ReplyCount counts an anonymous visitor's)
}

// AddComment comments on a video, or replies to a comment (one level: a reply to a reply
// joins its thread). Mentions notify, except accounts that blocked the author.
func (s *Service) AddComment(ctx context.Context, v policy.Viewer, videoID, parentID, body string) (*Comment, error) {
	row, t, rel, err := s.video(ctx, v, videoID)
	if err != nil {
		return nil, err
	}
	cp, err := s.d.Store.CommentPolicy(ctx, videoID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	if err := policy.CommentDecision(v, policy.CommentTarget{Video: t, AllowComments: row.AllowComments, Policy: cp}, rel); err != nil {
		return nil, err
	}
	body, err = s.cleanComment(body)
	if err != nil {
		return nil, err
	}
	var parent *db.CommentRow
	if parentID != "" {
		if !id.Valid(parentID) {
			return nil, errs.NotFound("comment")
		}
		parent, err = s.d.Store.Comment(ctx, parentID)
		if errors.Is(err, db.ErrNotFound) || (err == nil && parent.VideoID != videoID) {
			return nil, errs.NotFound("comment")
		}
		if err != nil {
			return nil, errs.Internal(err)
		}
		if parent.ParentID != "" {
			parent, err = s.d.Store.Comment(ctx, parent.ParentID)
			if err != nil {
				return nil, errs.Internal(err)
			}
		}
	}
	filters, err := s.d.Store.Filters(ctx, row.AccountID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	c := &db.CommentRow{ID: s.d.NewID(), VideoID: videoID, AccountID: v.AccountID, Body: body, CreatedAt: s.d.Now(),
		Filtered: v.AccountID != row.AccountID && matchesFilter(body, filters)}
	if parent != nil {
		c.ParentID = parent.ID
	}
	if err := s.d.Store.AddComment(ctx, c); err != nil {
		return nil, errs.Internal(err)
	}
	s.event(ctx, "comment", v.AccountID, videoID, row.AccountID, row.DurationMS)
	if !c.Filtered {
		kind, to := "comment", row.AccountID
		if parent != nil {
			kind, to = "reply", parent.AccountID
			if parent.AccountID != row.AccountID {
				s.notify(ctx, row.AccountID, "comment", v.AccountID, videoID, c.ID)
			}
		}
		s.notify(ctx, to, kind, v.AccountID, videoID, c.ID)
		_, mentions := video.ParseCaption(body)
		for _, m := range mentions {
			s.mention(ctx, v, m, videoID, c.ID)
		}
	}
	author, err := s.d.Accounts.ByID(ctx, v.AccountID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	return &Comment{CommentRow: c, Author: author}, nil
}

// mention notifies a mentioned account unless it blocked the author (or the author blocked
// it) or cannot see the video.
func (s *Service) mention(ctx context.Context, author policy.Viewer, username, videoID, commentID string) {
	a, err := s.d.Accounts.ByUsername(ctx, username)
	if err != nil || a.ID == author.AccountID {
		return
	}
	mentioned := policy.Viewer{AccountID: a.ID, Role: policy.Role(a.Role)}
	if _, t, rel, err := s.video(ctx, mentioned, videoID); err != nil || policy.VideoDecision(mentioned, policy.ViewVideo, t, rel) != nil {
		return
	}
	back, err := s.Relation(ctx, a.ID, author.AccountID)
	if err != nil || back.Blocking || back.Blocked {
		return
	}
	s.notify(ctx, a.ID, "mention", author.AccountID, videoID, commentID)
}

// NotifyCaptionMentions notifies the accounts a new video's caption mentions.
func (s *Service) NotifyCaptionMentions(ctx context.Context, author policy.Viewer, videoID string, usernames []string) {
	for _, u := range usernames {
		s.mention(ctx, author, u, videoID, "")
	}
}

func matchesFilter(body string, filters []string) bool {
	low := strings.ToLower(body)
	for _, f := range filters {
		if f != "" && strings.Contains(low, f) {
			return true
		}
	}
	return false
}

// Comments lists a video's comments (parentID "") or a thread's replies. Comments by
// accounts the viewer cannot see (blocks, suspensions) are left out, and filtered comments
// show only to their author and the creator.
func (s *Service) Comments(ctx context.Context, v policy.Viewer, videoID, parentID, after string, limit int) ([]*Comment, error) {
	if parentID != "" {
		// A thread is reachable only through a parent comment the viewer can see; anything
		// else answers exactly like a missing comment.
		p, vid, err := s.comment(ctx, v, parentID)
		if err != nil {
			return nil, err
		}
		if vid.ID != videoID || p.ParentID != "" {
			return nil, errs.NotFound("comment")
		}
	}
	row, t, rel, err := s.video(ctx, v, videoID)
	if err != nil {
		return nil, err
	}
	if err := policy.VideoDecision(v, policy.ViewVideo, t, rel); err != nil {
		return nil, err
	}
	pinned, err := s.d.Store.Pinned(ctx, videoID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	var counts commentDelta // replies have no replies
	if parentID == "" {
		if counts, err = s.commentCounts(ctx, v, videoID, row.AccountID); err != nil {
			return nil, err
		}
	}
	var out []*Comment
	if parentID == "" && pinned != "" {
		// The pinned comment leads the first page, however old, and is left out of the pages
		// after. A first page ends with it only when it is all that page shows; the cursor
		// made of it then asks for the rest of the comments from the top.
		switch after {
		case pinned:
			after = ""
		case "":
			p, err := s.pinnedFirst(ctx, v, row, pinned)
			if err != nil {
				return nil, err
			}
			if p != nil {
				p.Replies += counts.replies[p.ID]
				out = append(out, p)
			}
		}
	}
	// Pages are filled by reading ahead, so hidden comments do not shorten them.
	for len(out) < limit {
		rows, err := s.d.Store.Comments(ctx, videoID, parentID, after, limit)
		if err != nil {
			return nil, errs.Internal(err)
		}
		for _, c := range rows {
			// The page ends at the row that fills it: the rows after it are the next page's,
			// from the cursor the API makes of this page's last comment.
			if len(out) == limit {
				break
			}
			after = c.ID
			if parentID == "" && c.ID == pinned {
				continue
			}
			vis, err := s.commentVisible(ctx, v, row, c)
			if err != nil {
				return nil, err
			}
			if vis != nil {
				vis.Replies += counts.replies[c.ID]
				out = append(out, vis)
			}
		}
		if len(rows) < limit {
			break
		}
	}
	return out, nil
}

// pinnedFirst returns a video's pinned comment as v sees it, or nil when it does not show
// to v or is gone.
func (s *Service) pinnedFirst(ctx context.Context, v policy.Viewer, vid *db.VideoRow, pinned string) (*Comment, error) {
	c, err := s.d.Store.Comment(ctx, pinned)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	if c.VideoID != vid.ID || c.ParentID != "" {
		return nil, nil
	}
	vis, err := s.commentVisible(ctx, v, vid, c)
	if err != nil || vis == nil {
		return nil, err
	}
	vis.Pinned = true
	return vis, nil
}

// commentVisible returns the comment as v sees it, or nil when it does not show to v
// (policy.CommentShown, which the comment counts count too).
func (s *Service) commentVisible(ctx context.Context, v policy.Viewer, vid *db.VideoRow, c *db.CommentRow) (*Comment, error) {
	if c.Filtered && v.AccountID != c.AccountID && v.AccountID != vid.AccountID {
		return nil, nil // decided without reading the author; CommentShown agrees
	}
	author, err := s.d.Accounts.ByID(ctx, c.AccountID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	rel, err := s.Relation(ctx, v.AccountID, author.ID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	if !policy.CommentShown(v, policy.Comment{Author: targetOf(author), Held: c.Filtered, VideoOwnerID: vid.AccountID}, rel) {
		return nil, nil
	}
	out := &Comment{CommentRow: c, Author: author, Replies: c.ReplyCount}
	if !v.Anonymous() {
		if out.Liked, err = s.d.Store.CommentLiked(ctx, v.AccountID, c.ID); err != nil {
			return nil, errs.Internal(err)
		}
	}
	return out, nil
}

// comment loads a comment that the viewer can see, with its video.
func (s *Service) comment(ctx context.Context, v policy.Viewer, commentID string) (*db.CommentRow, *db.VideoRow, error) {
	if !id.Valid(commentID) {
		return nil, nil, errs.NotFound("comment")
	}
	c, err := s.d.Store.Comment(ctx, commentID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, errs.NotFound("comment")
	}
	if err != nil {
		return nil, nil, errs.Internal(err)
	}
	row, t, rel, err := s.video(ctx, v, c.VideoID)
	if err != nil {
		return nil, nil, errs.NotFound("comment")
	}
	if err := policy.VideoDecision(v, policy.ViewVideo, t, rel); err != nil {
		return nil, nil, errs.NotFound("comment")
	}
	vis, err := s.commentVisible(ctx, v, row, c)
	if err != nil {
		return nil, nil, err
	}
	if vis == nil {
		return nil, nil, errs.NotFound("comment")
	}
	return c, row, nil
}

// DeleteComment deletes a comment (and its replies).
func (s *Service) DeleteComment(ctx context.Context, v policy.Viewer, commentID string) error {
	c, vid, err := s.comment(ctx, v, commentID)
	if err != nil {
		return err
	}
	if err := policy.CommentModeration(v, policy.DeleteComment, c.AccountID, vid.AccountID); err != nil {
		return err
	}
	if err := s.d.Store.DeleteComment(ctx, c.ID); err != nil && !errors.Is(err, db.ErrNotFound) {
		return errs.Internal(err)
	}
	return nil
}

// LikeComment likes or unlikes a comment.
func (s *Service) LikeComment(ctx context.Context, v policy.Viewer, commentID string, like bool) error {
	if v.Anonymous() {
		return errs.Unauthenticated("login_required", "log in to do this")
	}
	c, _, err := s.comment(ctx, v.Member(), commentID) // staff like comments as members do
	if err != nil {
		return err
	}
	if like {
		err = s.d.Store.LikeComment(ctx, v.AccountID, c.ID, s.d.Now())
	} else {
		err = s.d.Store.UnlikeComment(ctx, v.AccountID, c.ID)
	}
	if err != nil {
		return errs.Internal(err)
	}
	return nil
}

// Pin pins a top-level comment on the viewer's own video; an empty commentID unpins.
func (s *Service) Pin(ctx context.Context, v policy.Viewer, videoID, commentID string) error {
	_, t, rel, err := s.video(ctx, v, videoID)
	if err != nil {
		return err
	}
	if err := policy.VideoDecision(v, policy.ViewVideo, t, rel); err != nil {
		return err
	}
	if err := policy.CommentModeration(v, policy.PinComment, "", t.OwnerID); err != nil {
		return err
	}
	if commentID == "" {
		if err := s.d.Store.Unpin(ctx, videoID); err != nil {
			return errs.Internal(err)
		}
		return nil
	}
	c, _, err := s.comment(ctx, v, commentID)
	if err != nil {
		return err
	}
	if c.VideoID != videoID || c.ParentID != "" {
		return errs.Invalid("comment_id", "not_pinnable", "only a top-level comment on this video can be pinned")
	}
	if err := s.d.Store.Pin(ctx, videoID, c.ID); err != nil {
		return errs.Internal(err)
	}
	return nil
}

// SetFilters replaces the viewer's comment keyword filters: comments containing one of them
// on the viewer's videos are held back from everyone but their author and the viewer.
func (s *Service) SetFilters(ctx context.Context, v policy.Viewer, keywords []string) ([]string, error) {
	if v.Anonymous() {
		return nil, errs.Unauthenticated("login_required", "log in to do this")
	}
	if len(keywords) > s.d.MaxFilters {
		return nil, errs.Invalid("keywords", "too_many", "too many filter keywords")
	}
	var clean []string
	for _, k := range keywords {
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" {
			continue
		}
		if len(k) > 50 {
			return nil, errs.Invalid("keywords", "too_long", "a filter keyword can have at most 50 characters")
		}
		clean = append(clean, k)
	}
	if err := s.d.Store.SetFilters(ctx, v.AccountID, clean); err != nil {
		return nil, errs.Internal(err)
	}
	return s.d.Store.Filters(ctx, v.AccountID)
}

// Filters returns the viewer's comment keyword filters.
func (s *Service) Filters(ctx context.Context, v policy.Viewer) ([]string, error) {
	if v.Anonymous() {
		return nil, errs.Unauthenticated("login_required", "log in to do this")
	}
	return s.d.Store.Filters(ctx, v.AccountID)
}

// CommentVideo returns the video a comment belongs to; callers then list through the
// checks of Comments.
func (s *Service) CommentVideo(ctx context.Context, commentID string) (string, error) {
	c, err := s.d.Store.Comment(ctx, commentID)
	if errors.Is(err, db.ErrNotFound) {
		return "", errs.NotFound("comment")
	}
	if err != nil {
		return "", errs.Internal(err)
	}
	return c.VideoID, nil
}
