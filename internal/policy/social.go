package policy

import "kurz/internal/errs"

// Social actions.
const (
	FollowAccount   Action = "follow_account"
	ViewFollowLists Action = "view_follow_lists"
	BlockAccount    Action = "block_account"
	CommentVideo    Action = "comment_video"
	InteractVideo   Action = "interact_video" // like, share
	DeleteComment   Action = "delete_comment"
	PinComment      Action = "pin_comment"
)

// Comment policies: who may comment on a video.
const (
	CommentsEveryone  = "everyone"
	CommentsFollowers = "followers"
	CommentsFriends   = "friends"
	CommentsNobody    = "nobody"
)

// ValidCommentPolicy reports whether p is a comment policy.
func ValidCommentPolicy(p string) bool {
	switch p {
	case CommentsEveryone, CommentsFollowers, CommentsFriends, CommentsNobody:
		return true
	}
	return false
}

// ProfileDecision is ViewProfile with the relationship: a blocked viewer cannot find the
// account that blocked them.
func ProfileDecision(v Viewer, target Account, rel Relation) error {
	if err := AccountDecision(v, ViewProfile, target); err != nil {
		return err
	}
	if rel.Blocked && !v.staff() {
		return errs.NotFound("account")
	}
	return nil
}

// RelationDecision answers actions between the viewer and another account.
func RelationDecision(v Viewer, a Action, target Account, rel Relation) error {
	if err := ProfileDecision(v, target, rel); err != nil {
		return err
	}
	self := !v.Anonymous() && v.AccountID == target.ID
	switch a {
	case FollowAccount, BlockAccount:
		if v.Anonymous() {
			return needLogin()
		}
		if self {
			return errs.Invalid("username", "cannot_target_yourself", "you cannot do this to your own account")
		}
		if target.State != StateActive {
			return errs.NotFound("account")
		}
		if a == FollowAccount && rel.Blocking {
			return errs.Forbidden("blocking", "you blocked this account; unblock it to follow")
		}
		return nil
	case ViewFollowLists:
		if !target.Private || self || rel.Follower || v.staff() {
			return nil
		}
		return errs.Forbidden("private_account", "this account is private; follow it to see who it follows and who follows it")
	}
	return errs.Forbidden("unknown_action", "this action is not allowed")
}

// CommentTarget is what a comment decision needs to know about the video.
type CommentTarget struct {
	Video         Video
	AllowComments bool
	Policy        string // who may comment
}

// CommentDecision answers whether v may comment on the video.
func CommentDecision(v Viewer, t CommentTarget, rel Relation) error {
	if v.Anonymous() {
		return needLogin()
	}
	// Staff may view anything to moderate it, but they comment as members do.
	if err := VideoDecision(v.Member(), ViewVideo, t.Video, rel); err != nil {
		return err
	}
	if v.AccountID == t.Video.OwnerID {
		return nil
	}
	off := errs.Forbidden("comments_off", "the creator turned comments off for this video")
	switch {
	case !t.AllowComments || t.Policy == CommentsNobody:
		return off
	case t.Policy == CommentsFollowers && !rel.Follower:
		return errs.Forbidden("comments_followers_only", "only the creator's followers can comment on this video")
	case t.Policy == CommentsFriends && !rel.Friend:
		return errs.Forbidden("comments_friends_only", "only the creator's friends can comment on this video")
	}
	return nil
}

// InteractDecision answers likes and shares: whoever can see a video may like or share it.
func InteractDecision(v Viewer, vid Video, rel Relation) error {
	if v.Anonymous() {
		return needLogin()
	}
	return VideoDecision(v.Member(), ViewVideo, vid, rel)
}

// CommentModeration answers deleting and pinning a comment: its author may delete it, the
// video's creator may delete or pin any comment on it, staff may delete any.
func CommentModeration(v Viewer, a Action, authorID, videoOwnerID string) error {
	if v.Anonymous() {
		return needLogin()
	}
	switch a {
	case DeleteComment:
		if v.AccountID == authorID || v.AccountID == videoOwnerID || v.staff() {
			return nil
		}
		return errs.Forbidden("not_your_comment", "you can delete only your own comments or comments on your videos")
	case PinComment:
		if v.AccountID == videoOwnerID {
			return nil
		}
		return errs.Forbidden("not_owner", "only the creator can pin a comment")
	}
	return errs.Forbidden("unknown_action", "this action is not allowed")
}
