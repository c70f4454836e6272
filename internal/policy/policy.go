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
