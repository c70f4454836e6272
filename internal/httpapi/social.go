package httpapi

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"kurz/internal/auth"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/social"
)

var socialOperations = []operation{
	{method: "post", path: "/api/v1/accounts/{username}/follow", summary: "Follow an account (a request, when it is private)", tag: "social", auth: true, response: "FollowState", status: "200", errors: []string{"403", "404"}},
	{method: "delete", path: "/api/v1/accounts/{username}/follow", summary: "Unfollow, or withdraw a follow request", tag: "social", auth: true, status: "204", errors: []string{"404"}},
	{method: "get", path: "/api/v1/accounts/{username}/followers", summary: "Followers (hidden from non-followers of a private account)", tag: "social", response: "Account", paginated: true, status: "200", errors: []string{"403", "404"}},
	{method: "get", path: "/api/v1/accounts/{username}/following", summary: "Accounts followed (hidden from non-followers of a private account)", tag: "social", response: "Account", paginated: true, status: "200", errors: []string{"403", "404"}},
	{method: "get", path: "/api/v1/me/follow-requests", summary: "Follow requests waiting for your approval", tag: "social", auth: true, response: "Account", paginated: true, status: "200"},
	{method: "post", path: "/api/v1/me/follow-requests/{username}", summary: "Approve a follow request", tag: "social", auth: true, status: "204", errors: []string{"404"}},
	{method: "delete", path: "/api/v1/me/follow-requests/{username}", summary: "Decline a follow request", tag: "social", auth: true, status: "204", errors: []string{"404"}},
	{method: "post", path: "/api/v1/accounts/{username}/block", summary: "Block an account: it can no longer see, find, follow, comment on or mention you; follows both ways end", tag: "social", auth: true, status: "204", errors: []string{"404"}},
	{method: "delete", path: "/api/v1/accounts/{username}/block", summary: "Unblock", tag: "social", auth: true, status: "204", errors: []string{"404"}},
	{method: "post", path: "/api/v1/accounts/{username}/mute", summary: "Mute: hide an account from your feeds and notifications, without telling it", tag: "social", auth: true, status: "204", errors: []string{"404"}},
	{method: "delete", path: "/api/v1/accounts/{username}/mute", summary: "Unmute", tag: "social", auth: true, status: "204", errors: []string{"404"}},
	{method: "post", path: "/api/v1/videos/{id}/like", summary: "Like a video (idempotent)", tag: "social", auth: true, response: "Counts", status: "200", errors: []string{"404"}},
	{method: "delete", path: "/api/v1/videos/{id}/like", summary: "Unlike a video (idempotent)", tag: "social", auth: true, response: "Counts", status: "200", errors: []string{"404"}},
	{method: "post", path: "/api/v1/videos/{id}/share", summary: "Record a share; returns the URL to share", tag: "social", auth: true, response: "Share", status: "200", errors: []string{"404"}},
	{method: "put", path: "/api/v1/videos/{id}/comment-policy", summary: "Who can comment: everyone, followers, friends or nobody (creator)", tag: "social", auth: true, request: "CommentPolicy", status: "204", errors: []string{"403", "404"}},
	{method: "get", path: "/api/v1/videos/{id}/comments", summary: "Top-level comments, newest first, with the pinned one flagged", tag: "social", response: "Comment", paginated: true, status: "200", errors: []string{"404"}},
	{method: "post", path: "/api/v1/videos/{id}/comments", summary: "Comment, or reply with parent_id (one level of replies)", tag: "social", auth: true, request: "NewComment", response: "Comment", status: "201", errors: []string{"403", "404"}},
	{method: "get", path: "/api/v1/comments/{id}/replies", summary: "Replies to a comment, oldest first", tag: "social", response: "Comment", paginated: true, status: "200", errors: []string{"404"}},
	{method: "delete", path: "/api/v1/comments/{id}", summary: "Delete a comment (its author, or the video's creator)", tag: "social", auth: true, status: "204", errors: []string{"403", "404"}},
	{method: "post", path: "/api/v1/comments/{id}/like", summary: "Like a comment", tag: "social", auth: true, status: "204", errors: []string{"404"}},
	{method: "delete", path: "/api/v1/comments/{id}/like", summary: "Unlike a comment", tag: "social", auth: true, status: "204", errors: []string{"404"}},
	{method: "put", path: "/api/v1/videos/{id}/pin", summary: "Pin a comment on your video (replaces any pinned one)", tag: "social", auth: true, request: "Pin", status: "204", errors: []string{"403", "404"}},
	{method: "delete", path: "/api/v1/videos/{id}/pin", summary: "Unpin", tag: "social", auth: true, status: "204", errors: []string{"403", "404"}},
	{method: "get", path: "/api/v1/me/comment-filters", summary: "Your comment keyword filters", tag: "social", auth: true, response: "Filters", status: "200"},
	{method: "put", path: "/api/v1/me/comment-filters", summary: "Replace your comment keyword filters", tag: "social", auth: true, request: "Filters", response: "Filters", status: "200"},
	{method: "get", path: "/api/v1/notifications", summary: "Your notifications, grouped (\"alice and 12 others liked your video\")", tag: "notifications", auth: true, response: "NotificationGroup", paginated: true, status: "200"},
	{method: "get", path: "/api/v1/notifications/unread", summary: "How many notifications are unread", tag: "notifications", auth: true, response: "Unread", status: "200"},
	{method: "post", path: "/api/v1/notifications/read", summary: "Mark every notification read", tag: "notifications", auth: true, status: "204"},
}

func socialSchemas() map[string]any {
	integer := map[string]any{"type": "integer"}
	return map[string]any{
		"FollowState": obj([]string{"state"}, map[string]any{"state": map[string]any{"type": "string", "enum": []string{"accepted", "pending"}}}),
		"Counts": obj(nil, map[string]any{"likes": integer, "comments": integer, "shares": integer, "views": integer,
			"liked": boolean("you like it"), "following": boolean("you follow its creator")}),
		"Share":         obj([]string{"url"}, map[string]any{"url": str("")}),
		"CommentPolicy": obj([]string{"who_can_comment"}, map[string]any{"who_can_comment": map[string]any{"type": "string", "enum": []string{"everyone", "followers", "friends", "nobody"}}}),
		"NewComment":    obj([]string{"body"}, map[string]any{"body": str("at most 500 characters"), "parent_id": str("reply to this comment")}),
		"Comment": obj([]string{"id", "body"}, map[string]any{"id": str(""), "video_id": str(""), "parent_id": str(""), "body": str(""),
			"author": ref("Account"), "likes": integer, "replies": integer, "liked": boolean(""), "pinned": boolean(""),
			"held": boolean("held back by the creator's keyword filter; only you and the creator see it"), "created_at": timeSchema}),
		"Pin":     obj([]string{"comment_id"}, map[string]any{"comment_id": str("")}),
		"Filters": obj([]string{"keywords"}, map[string]any{"keywords": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}),
		"NotificationGroup": obj([]string{"kind"}, map[string]any{"kind": str("like, comment, reply, mention, follow, follow_request, follow_approved"),
			"actors": map[string]any{"type": "array", "items": ref("Account")}, "count": integer, "video_id": str(""), "comment_id": str(""),
			"unread": boolean(""), "text": str("e.g. \"alice and 12 others liked your video\""), "created_at": timeSchema}),
		"Unread": obj([]string{"unread"}, map[string]any{"unread": integer}),
	}
}

func (s *Server) routesSocial() {
	s.handle("POST /api/v1/accounts/{username}/follow", loggedIn, s.follow)
	s.handle("DELETE /api/v1/accounts/{username}/follow", loggedIn, s.unfollow)
	s.handle("GET /api/v1/accounts/{username}/followers", anyone, s.followList(true))
	s.handle("GET /api/v1/accounts/{username}/following", anyone, s.followList(false))
	s.handle("GET /api/v1/me/follow-requests", loggedIn, s.followRequests)
	s.handle("POST /api/v1/me/follow-requests/{username}", loggedIn, s.decideRequest(true))
	s.handle("DELETE /api/v1/me/follow-requests/{username}", loggedIn, s.decideRequest(false))
	s.handle("POST /api/v1/accounts/{username}/block", loggedIn, s.block(true))
	s.handle("DELETE /api/v1/accounts/{username}/block", loggedIn, s.block(false))
	s.handle("POST /api/v1/accounts/{username}/mute", loggedIn, s.mute(true))
	s.handle("DELETE /api/v1/accounts/{username}/mute", loggedIn, s.mute(false))
	s.handle("POST /api/v1/videos/{id}/like", loggedIn, s.like(true))
	s.handle("DELETE /api/v1/videos/{id}/like", loggedIn, s.like(false))
	s.handle("POST /api/v1/videos/{id}/share", loggedIn, s.share)
	s.handle("PUT /api/v1/videos/{id}/comment-policy", loggedIn, s.commentPolicy)
	s.handle("GET /api/v1/videos/{id}/comments", anyone, s.listComments)
	s.handle("POST /api/v1/videos/{id}/comments", loggedIn, s.addComment)
	s.handle("GET /api/v1/comments/{id}/replies", anyone, s.listReplies)
	s.handle("DELETE /api/v1/comments/{id}", loggedIn, s.deleteComment)
	s.handle("POST /api/v1/comments/{id}/like", loggedIn, s.likeComment(true))
	s.handle("DELETE /api/v1/comments/{id}/like", loggedIn, s.likeComment(false))
	s.handle("PUT /api/v1/videos/{id}/pin", loggedIn, s.pin)
	s.handle("DELETE /api/v1/videos/{id}/pin", loggedIn, s.unpin)
	s.handle("GET /api/v1/me/comment-filters", loggedIn, s.getFilters)
	s.handle("PUT /api/v1/me/comment-filters", loggedIn, s.putFilters)
	s.handle("GET /api/v1/notifications", loggedIn, s.notifications)
	s.handle("GET /api/v1/notifications/unread", loggedIn, s.unread)
	s.handle("POST /api/v1/notifications/read", loggedIn, s.markRead)
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) follow(w http.ResponseWriter, r *http.Request, c *call) error {
	state, err := s.d.Social.Follow(r.Context(), c.viewer(), r.PathValue("username"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": state})
	return nil
}

func (s *Server) unfollow(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.d.Social.Unfollow(r.Context(), c.viewer(), r.PathValue("username")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) accountRowsOut(rows []*db.AccountRow) []accountJSON {
	out := make([]accountJSON, len(rows))
	for i, a := range rows {
		out[i] = s.accountOut(accountFromDB(a))
	}
	return out
}

func (s *Server) followList(followers bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		after, limit, err := s.page(r)
		if err != nil {
			return err
		}
		rows, err := s.d.Social.FollowList(r.Context(), c.viewer(), r.PathValue("username"), followers, after, limit)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, makeList(s.accountRowsOut(rows), limit, func(a accountJSON) string { return a.ID }))
		return nil
	}
}

func (s *Server) followRequests(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := s.page(r)
	if err != nil {
		return err
	}
	rows, err := s.d.Social.FollowRequests(r.Context(), c.viewer(), after, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, makeList(s.accountRowsOut(rows), limit, func(a accountJSON) string { return a.ID }))
	return nil
}

func (s *Server) decideRequest(approve bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if err := s.d.Social.Decide(r.Context(), c.viewer(), r.PathValue("username"), approve); err != nil {
			return err
		}
		return noContent(w)
	}
}

func (s *Server) block(block bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if err := s.d.Social.Block(r.Context(), c.viewer(), r.PathValue("username"), block); err != nil {
			return err
		}
		return noContent(w)
	}
}

func (s *Server) mute(mute bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if err := s.d.Social.Mute(r.Context(), c.viewer(), r.PathValue("username"), mute); err != nil {
			return err
		}
		return noContent(w)
	}
}

type countsJSON struct {
	Likes     int64 `json:"likes"`
	Comments  int64 `json:"comments"`
	Shares    int64 `json:"shares"`
	Views     int64 `json:"views"`
	Liked     bool  `json:"liked"`
	Following bool  `json:"following"`
}

func countsOut(c social.VideoCounts) countsJSON {
	return countsJSON{Likes: c.Likes, Comments: c.Comments, Shares: c.Shares, Views: c.Views, Liked: c.Liked, Following: c.Following}
}

func (s *Server) like(like bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		counts, err := s.d.Social.Like(r.Context(), c.viewer(), r.PathValue("id"), like)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, countsOut(counts))
		return nil
	}
}

func (s *Server) share(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.d.Social.Share(r.Context(), c.viewer(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": u})
	return nil
}

func (s *Server) commentPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		WhoCanComment string `json:"who_can_comment"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	if err := s.d.Social.SetCommentPolicy(r.Context(), c.viewer(), r.PathValue("id"), in.WhoCanComment); err != nil {
		return err
	}
	return noContent(w)
}

type commentJSON struct {
	ID        string       `json:"id"`
	VideoID   string       `json:"video_id"`
	ParentID  string       `json:"parent_id,omitempty"`
	Body      string       `json:"body"`
	Author    *accountJSON `json:"author"`
	Likes     int64        `json:"likes"`
	Replies   int64        `json:"replies"`
	Liked     bool         `json:"liked"`
	Pinned    bool         `json:"pinned"`
	Held      bool         `json:"held,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
}

func (s *Server) commentOut(cm *social.Comment) commentJSON {
	a := s.accountOut(accountFromDB(cm.Author))
	return commentJSON{ID: cm.ID, VideoID: cm.VideoID, ParentID: cm.ParentID, Body: cm.Body, Author: &a, Likes: cm.LikeCount,
		Replies: cm.Replies, Liked: cm.Liked, Pinned: cm.Pinned, Held: cm.Filtered, CreatedAt: cm.CreatedAt}
}

func (s *Server) comments(w http.ResponseWriter, r *http.Request, c *call, videoID, parentID string) error {
	after, limit, err := s.page(r)
	if err != nil {
		return err
	}
	list, err := s.d.Social.Comments(r.Context(), c.viewer(), videoID, parentID, after, limit)
	if err != nil {
		return err
	}
	out := make([]commentJSON, len(list))
	for i, cm := range list {
		out[i] = s.commentOut(cm)
	}
	writeJSON(w, http.StatusOK, makeList(out, limit, func(x commentJSON) string { return x.ID }))
	return nil
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.comments(w, r, c, r.PathValue("id"), "")
}

func (s *Server) listReplies(w http.ResponseWriter, r *http.Request, c *call) error {
	cid, err := pathID(r, "comment")
	if err != nil {
		return err
	}
	parent, err := s.d.Social.CommentVideo(r.Context(), cid)
	if err != nil {
		return err
	}
	return s.comments(w, r, c, parent, cid)
}

func (s *Server) addComment(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Body     string `json:"body"`
		ParentID string `json:"parent_id"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	cm, err := s.d.Social.AddComment(r.Context(), c.viewer(), r.PathValue("id"), in.ParentID, in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.commentOut(cm))
	return nil
}

func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.d.Social.DeleteComment(r.Context(), c.viewer(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) likeComment(like bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if err := s.d.Social.LikeComment(r.Context(), c.viewer(), r.PathValue("id"), like); err != nil {
			return err
		}
		return noContent(w)
	}
}

func (s *Server) pin(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		CommentID string `json:"comment_id"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	if in.CommentID == "" {
		return errs.Invalid("comment_id", "missing_comment", "name the comment to pin")
	}
	if err := s.d.Social.Pin(r.Context(), c.viewer(), r.PathValue("id"), in.CommentID); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) unpin(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.d.Social.Pin(r.Context(), c.viewer(), r.PathValue("id"), ""); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) getFilters(w http.ResponseWriter, r *http.Request, c *call) error {
	k, err := s.d.Social.Filters(r.Context(), c.viewer())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]string{"keywords": nonNil(k)})
	return nil
}

func (s *Server) putFilters(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Keywords []string `json:"keywords"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	k, err := s.d.Social.SetFilters(r.Context(), c.viewer(), in.Keywords)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]string{"keywords": nonNil(k)})
	return nil
}

type notificationJSON struct {
	Kind      string        `json:"kind"`
	Actors    []accountJSON `json:"actors"`
	Count     int           `json:"count"`
	VideoID   string        `json:"video_id,omitempty"`
	CommentID string        `json:"comment_id,omitempty"`
	Unread    bool          `json:"unread"`
	Text      string        `json:"text"`
	CreatedAt time.Time     `json:"created_at"`
}

var notificationVerb = map[string]string{
	"like": "liked your video", "comment": "commented on your video", "reply": "replied to your comment",
	"mention": "mentioned you", "follow": "started following you", "follow_request": "asked to follow you",
	"follow_approved": "approved your follow request",
}

func (s *Server) notifications(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := s.page(r)
	if err != nil {
		return err
	}
	groups, next, err := s.d.Social.Notifications(r.Context(), c.viewer(), after, limit)
	if err != nil {
		return err
	}
	out := list[notificationJSON]{Items: []notificationJSON{}}
	for _, g := range groups {
		n := notificationJSON{Kind: g.Kind, Actors: s.accountRowsOut(g.Actors), Count: g.Count, VideoID: g.VideoID,
			CommentID: g.CommentID, Unread: g.Unread, CreatedAt: g.Latest}
		who := ""
		if len(g.Actors) > 0 {
			who = g.Actors[0].Username
		}
		switch {
		case g.Count == 2:
			who += " and 1 other"
		case g.Count > 2:
			who += " and " + itoa(g.Count-1) + " others"
		}
		n.Text = who + " " + notificationVerb[g.Kind]
		out.Items = append(out.Items, n)
	}
	if next != "" {
		out.NextCursor = encodeCursor(next)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) unread(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := s.d.Social.UnreadCount(r.Context(), c.viewer())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"unread": n})
	return nil
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.d.Social.MarkRead(r.Context(), c.viewer()); err != nil {
		return err
	}
	return noContent(w)
}

func accountFromDB(r *db.AccountRow) *auth.Account { return auth.FromRow(r) }

func itoa(n int) string { return strconv.Itoa(n) }

func encodeCursor(lastID string) string { return base64.RawURLEncoding.EncodeToString([]byte(lastID)) }

// profileJSON is an account with its counters and the viewer's relationship to it.
type profileJSON struct {
	accountJSON
	Counts       profileCounts     `json:"counts"`
	Relationship *relationshipJSON `json:"relationship,omitempty"`
}

type profileCounts struct {
	Followers int64 `json:"followers"`
	Following int64 `json:"following"`
	Likes     int64 `json:"likes"`
}

// relationshipJSON is only for logged-in viewers looking at someone else. "blocked_by" is
// never sent: a blocked viewer cannot see the profile at all.
type relationshipJSON struct {
	Following  bool `json:"following"`
	Requested  bool `json:"requested"`
	FollowedBy bool `json:"followed_by"`
	Friends    bool `json:"friends"`
	Blocking   bool `json:"blocking"`
	Muting     bool `json:"muting"`
}

func (s *Server) profileOut(p *social.Profile) profileJSON {
	out := profileJSON{accountJSON: s.accountOut(accountFromDB(p.Account)),
		Counts: profileCounts{Followers: p.Stats.Followers, Following: p.Stats.Following, Likes: p.Stats.Likes}}
	if p.Viewer != "" && p.Viewer != p.Account.ID {
		out.Relationship = &relationshipJSON{Following: p.Relation.Follower, Requested: p.Relation.Pending, FollowedBy: p.FollowsYou,
			Friends: p.Relation.Friend, Blocking: p.Relation.Blocking, Muting: p.Relation.Muting}
	}
	return out
}
