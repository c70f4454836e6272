// Package policy is the one place that decides who may see or do what. Services describe
// the viewer and the target; policy answers. Nothing else in kurz compares roles or
// account states to make an access decision.
package policy

import "kurz/internal/errs"

// Role is an account's role.
type Role string

const (
	RoleUser      Role = "user"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// ValidRole reports whether r is a role.
func ValidRole(r string) bool {
	switch Role(r) {
	case RoleUser, RoleModerator, RoleAdmin:
		return true
	}
	return false
}

// State is an account's moderation state.
type State string

const (
	StateActive    State = "active"
	StateSuspended State = "suspended"
	StateDeleting  State = "deleting"
)

// Viewer is who is asking. The zero Viewer is anonymous.
type Viewer struct {
	AccountID string
	Role      Role
}

// Anonymous reports whether nobody is logged in.
func (v Viewer) Anonymous() bool { return v.AccountID == "" }

func (v Viewer) staff() bool { return v.Role == RoleModerator || v.Role == RoleAdmin }

// Member is the viewer without staff powers: what moderation lets staff see, they may
// not like, share or comment on.
func (v Viewer) Member() Viewer {
	if v.staff() {
		v.Role = RoleUser
	}
	return v
}

// Account is the target account of a decision.
type Account struct {
	ID      string
	Role    Role
	State   State
	Private bool
}

// Action names something a viewer wants to do.
type Action string

const (
	ViewProfile        Action = "view_profile"        // see an account's public profile
	EditProfile        Action = "edit_profile"        // change display name, bio, avatar, flags
	ManageInstance     Action = "manage_instance"     // registration mode, invites
	ListAccounts       Action = "list_accounts"       // the admin account list
	SuspendAccount     Action = "suspend_account"     // suspend or reinstate
	ChangeRole         Action = "change_role"         // promote or demote
	ManageOwnSessions  Action = "manage_own_sessions" // list and revoke one's sessions
	ViewOpenAPI        Action = "view_openapi"
	ViewInstanceConfig Action = "view_instance"
)

// AccountDecision answers whether v may do a on target. A denial is a domain error: hidden
// things are NotFound (so their existence does not leak), visible-but-forbidden things are
// Forbidden, and anonymous viewers asked to log in are Unauthenticated.
func AccountDecision(v Viewer, a Action, target Account) error {
	switch a {
	case ViewProfile:
		if target.State == StateActive || v.staff() || v.AccountID == target.ID {
			return nil
		}
		return errs.NotFound("account")
	case EditProfile, ManageOwnSessions:
		if v.Anonymous() {
			return needLogin()
		}
		if v.AccountID == target.ID {
			return nil
		}
		return errs.Forbidden("not_owner", "you can only change your own account")
	case SuspendAccount, ChangeRole:
		if v.Anonymous() {
			return needLogin()
		}
		if v.Role != RoleAdmin {
			return errs.Forbidden("admin_only", "only an administrator can do this")
		}
		if v.AccountID == target.ID {
			return errs.Forbidden("not_yourself", "administrators cannot do this to their own account")
		}
		return nil
	}
	return errs.Forbidden("unknown_action", "this action is not allowed")
}

// InstanceDecision answers instance-wide actions that have no target account.
func InstanceDecision(v Viewer, a Action) error {
	switch a {
	case ViewOpenAPI, ViewInstanceConfig:
		return nil
	case ManageInstance, ListAccounts:
		if v.Anonymous() {
			return needLogin()
		}
		if v.Role == RoleAdmin {
			return nil
		}
		return errs.Forbidden("admin_only", "only an administrator can do this")
	}
	return errs.Forbidden("unknown_action", "this action is not allowed")
}

func needLogin() error {
	return errs.Unauthenticated("login_required", "log in to do this")
}

// Video is the target of a video decision.
type Video struct {
	ID         string
	OwnerID    string
	Visibility string // public | followers | private
	Ready      bool   // processed and playable
	Removed    bool   // taken down by moderation
	OwnerState State
}

// Relation is how the viewer stands to the video's owner. The social graph fills it; until
// a relationship exists every field is false.
type Relation struct {
	Follower bool // an accepted follower (a pending request is not one)
	Pending  bool // the viewer asked to follow and waits for approval
	Friend   bool // they follow each other
	Blocked  bool // the owner blocked the viewer
	Blocking bool // the viewer blocked the owner
	Muting   bool // the viewer muted the owner (hides them from the viewer's feeds only)
}

// Video actions.
const (
	ViewVideo   Action = "view_video"   // see the video, its metadata and its media files
	EditVideo   Action = "edit_video"   // caption, visibility, permissions
	DeleteVideo Action = "delete_video" // delete it and its files
	UploadVideo Action = "upload_video" // create a new video
)

// VideoDecision answers whether v may do a on vid. Everything hidden answers NotFound, so a
// guessed ID reveals nothing.
func VideoDecision(v Viewer, a Action, vid Video, rel Relation) error {
	owner := !v.Anonymous() && v.AccountID == vid.OwnerID
	switch a {
	case ViewVideo:
		switch {
		case v.staff():
			return nil
		case vid.Removed || vid.OwnerState != StateActive:
			return errs.NotFound("video")
		case owner:
			return nil
		case rel.Blocked || rel.Blocking || !vid.Ready:
			return errs.NotFound("video")
		case vid.Visibility == "public":
			return nil
		case vid.Visibility == "followers" && rel.Follower:
			return nil
		}
		return errs.NotFound("video")
	case EditVideo, DeleteVideo:
		if v.Anonymous() {
			return needLogin()
		}
		if a == EditVideo && vid.Removed && !v.staff() {
			return errs.NotFound("video") // taken down: the creator may delete it, not change it
		}
		if owner || (a == DeleteVideo && v.staff()) {
			return nil
		}
		if err := VideoDecision(v, ViewVideo, vid, rel); err != nil {
			return err // do not confirm that a hidden video exists
		}
		return errs.Forbidden("not_owner", "only the creator can change this video")
	case UploadVideo:
		if v.Anonymous() {
			return needLogin()
		}
		return nil
	}
	return errs.Forbidden("unknown_action", "this action is not allowed")
}
