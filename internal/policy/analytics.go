package policy

import "kurz/internal/errs"

// ViewAnalytics is reading the analytics of an account or of one of its videos.
const ViewAnalytics Action = "view_analytics"

// AnalyticsDecision answers whether v may read the analytics of what ownerID owns. They are
// the creator's business alone: not even moderators and administrators, whose work is the
// content rather than its audience, may read them. To everyone else a video's analytics
// do not exist (NotFound, like any hidden thing); anonymous callers are asked to log in.
func AnalyticsDecision(v Viewer, a Action, ownerID string) error {
	if v.Anonymous() {
		return needLogin()
	}
	if a == ViewAnalytics && v.AccountID == ownerID {
		return nil
	}
	if a == ViewAnalytics {
		return errs.NotFound("video")
	}
	return errs.Forbidden("unknown_action", "this action is not allowed")
}
