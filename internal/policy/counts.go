package policy

// What a list shows and what the count beside it counts are the same decision. The stored
// counters count what an anonymous visitor sees (Listed and CommentShown for the zero Viewer
// and Relation); CountScope says which things can show differently to a viewer, so that
// package social corrects a count by deciding only those.

// Listed answers whether an account shows to v in a list of accounts (followers,
// following), and so counts in the number beside the list. Lists show active accounts only,
// to staff as well, and never an account that blocked a member viewer.
func Listed(v Viewer, a Account, rel Relation) bool {
	return a.State == StateActive && ProfileDecision(v, a, rel) == nil
}

// Comment is what decides whether a comment shows, on a video the viewer may see.
type Comment struct {
	Author       Account
	Held         bool   // held back by the creator's keyword filter
	VideoOwnerID string // the creator
}

// CommentShown answers whether v sees a comment on a video v may see, and so whether it
// counts in the video's comment count and its parent's reply count for v. A held comment
// shows only to its author and the creator; a comment never shows when its author is hidden
// from v (suspended, or blocked v) or v blocked its author. The replies of a comment that
// does not show do not show either.
func CommentShown(v Viewer, c Comment, rel Relation) bool {
	if c.Held && (v.Anonymous() || v.AccountID != c.Author.ID && v.AccountID != c.VideoOwnerID) {
		return false
	}
	return ProfileDecision(v, c.Author, rel) == nil && !rel.Blocking
}

// CountScope names the things that may show differently to a viewer than to an anonymous
// visitor: outside them, Listed and CommentShown answer for the viewer as for the visitor.
type CountScope struct {
	Blocks   bool // accounts across a block with the viewer, and their comments
	OwnHeld  bool // the viewer's own held comments
	AllHeld  bool // every held comment on the video
	Inactive bool // comments by accounts that are not active
}

// CountScopeOf returns the scope for v looking at counts about a video of videoOwnerID ("" for
// counts about an account).
func CountScopeOf(v Viewer, videoOwnerID string) CountScope {
	if v.Anonymous() {
		return CountScope{}
	}
	return CountScope{Blocks: true, OwnHeld: true, AllHeld: videoOwnerID != "" && v.AccountID == videoOwnerID, Inactive: v.staff()}
}
