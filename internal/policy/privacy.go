package policy

import "kurz/internal/errs"

// Privacy actions: reading someone's personal data, erasing and exporting accounts, and the
// owner's own privacy pages.
const (
	ReadPersonalData Action = "read_personal_data" // staff read of another account's vault data, with a declared purpose
	ManageOwnPrivacy Action = "manage_own_privacy" // see and change one's personal data, access log and exports; delete one's account
	EraseAccountNow  Action = "erase_account_now"  // administrator erasure without a grace period
)

// PrivacyDecision answers privacy actions on a target account. Reading personal data is for
// the owner and for moderators and administrators, whose every read is logged where the
// owner can see it; erasing at once is for administrators, not on their own account.
func PrivacyDecision(v Viewer, a Action, target Account) error {
	if v.Anonymous() {
		return needLogin()
	}
	switch a {
	case ReadPersonalData:
		if v.AccountID == target.ID || v.staff() {
			return nil
		}
		return errs.Forbidden("staff_only", "only moderators and administrators can read someone's personal data")
	case ManageOwnPrivacy:
		if v.AccountID == target.ID {
			return nil
		}
		return errs.Forbidden("not_owner", "you can only do this for your own account")
	case EraseAccountNow:
		if v.Role != RoleAdmin {
			return errs.Forbidden("admin_only", "only an administrator can do this")
		}
		if v.AccountID == target.ID {
			return errs.Forbidden("not_yourself", "administrators delete their own account like everyone else, with a grace period")
		}
		return nil
	}
	return errs.Forbidden("unknown_action", "this action is not allowed")
}
