// Package social is the social fabric: follows and follow requests, blocks and mutes,
// likes, comments and replies, shares, and the notifications they cause. Every decision
// about who may see or do what is asked of package policy, with the relationship this
// package knows.
package social

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/policy"
)

type store interface {
	Relation(ctx context.Context, viewer, other string) (db.RelationRow, error)
	Relations(ctx context.Context, viewer string, others []string) (map[string]db.RelationRow, error)
	Follow(ctx context.Context, follower, followee string, pending bool, now time.Time) (string, bool, error)
	Unfollow(ctx context.Context, follower, followee string) (string, error)
	Approve(ctx context.Context, followee, follower string) error
	AcceptAllPending(ctx context.Context, followee string) error
	Block(ctx context.Context, blocker, blocked string, now time.Time) (db.Ended, error)
	Unblock(ctx context.Context, blocker, blocked string) error
	Mute(ctx context.Context, muter, muted string, now time.Time) error
	Unmute(ctx context.Context, muter, muted string) error
	FollowList(ctx context.Context, accountID string, followers bool, state, blockedID, after string, limit int) ([]*db.AccountRow, error)
	AccountStats(ctx context.Context, id string) (db.AccountStats, error)
	VideoStats(ctx context.Context, id string) (db.VideoStats, error)
	VideoStatsMany(ctx context.Context, ids []string) (map[string]db.VideoStats, error)
	FollowFacts(ctx context.Context, accountID, viewer string) ([]db.FollowFact, error)
	CommentFacts(ctx context.Context, videoID string, sc db.CommentScope) (groups, parents []db.CommentFact, err error)
	CommentFactsMany(ctx context.Context, scopes map[string]db.CommentScope) (groups, parents []db.CommentFact, err error)
	Like(ctx context.Context, accountID, videoID, ownerID string, now time.Time) (bool, error)
	Unlike(ctx context.Context, accountID, videoID, ownerID string) (bool, error)
	Liked(ctx context.Context, accountID, videoID string) (bool, error)
	LikedMany(ctx context.Context, accountID string, ids []string) (map[string]bool, error)
	Share(ctx context.Context, videoID string) error
	AddComment(ctx context.Context, c *db.CommentRow) error
	Comment(ctx context.Context, id string) (*db.CommentRow, error)
	DeleteComment(ctx context.Context, id string) error
	Comments(ctx context.Context, videoID, parentID, after string, limit int) ([]*db.CommentRow, error)
	LikeComment(ctx context.Context, accountID, commentID string, now time.Time) error
	UnlikeComment(ctx context.Context, accountID, commentID string) error
	CommentLiked(ctx context.Context, accountID, commentID string) (bool, error)
	Pin(ctx context.Context, videoID, commentID string) error
	Unpin(ctx context.Context, videoID string) error
	Pinned(ctx context.Context, videoID string) (string, error)
	SetFilters(ctx context.Context, accountID string, keywords []string) error
	Filters(ctx context.Context, accountID string) ([]string, error)
	SetCommentPolicy(ctx context.Context, videoID, policy string) error
	CommentPolicy(ctx context.Context, videoID string) (string, error)
	Notify(ctx context.Context, n *db.NotificationRow) error
	Notifications(ctx context.Context, accountID, after string, limit int) ([]*db.NotificationRow, error)
	UnreadCount(ctx context.Context, accountID string) (int, error)
	MarkRead(ctx context.Context, accountID string, now time.Time) error
	DeleteNotifications(ctx context.Context, accountID, kind, actorID, videoID string) error
	EraseAccount(ctx context.Context, accountID string) error
}

type accountStore interface {
	ByID(ctx context.Context, id string) (*db.AccountRow, error)
	ByUsername(ctx context.Context, username string) (*db.AccountRow, error)
}

type videoStore interface {
	ByID(ctx context.Context, id string) (*db.VideoRow, error)
}

// EventLog records server-side actions in the engagement log (the feed service).
type EventLog interface {
	ServerEvent(ctx context.Context, kind, accountID, videoID, creatorID string, durationMS int64, extra any)
}

// Deps are what the service needs.
type Deps struct {
	Events     EventLog // may be nil
	Store      store
	Accounts   accountStore
	Videos     videoStore
	NewID      func() string
	Now        func() time.Time
	MaxComment int
	MaxFilters int
	PublicURL  string
	Log        *slog.Logger
}

// Service is the social service.
type Service struct{ d Deps }

// New returns the service.
func New(d Deps) *Service { return &Service{d: d} }

// SetEventLog connects the engagement log after construction (the feed service needs this
// service's relations, and this service records into the feed's log).
func (s *Service) SetEventLog(l EventLog) { s.d.Events = l }

// Relation tells how viewer stands to owner, in policy's words. It implements
// video.Relations.
func (s *Service) Relation(ctx context.Context, viewer, owner string) (policy.Relation, error) {
	if viewer == "" || viewer == owner {
		return policy.Relation{}, nil
	}
	r, err := s.d.Store.Relation(ctx, viewer, owner)
	if err != nil {
		return policy.Relation{}, err
	}
	return relationOf(r), nil
}

// Relations is Relation of viewer to each of owners at once, by owner ID, in one query.
func (s *Service) Relations(ctx context.Context, viewer string, owners []string) (map[string]policy.Relation, error) {
	out := make(map[string]policy.Relation, len(owners))
	var others []string
	for _, o := range owners {
		if viewer == "" || viewer == o {
			out[o] = policy.Relation{}
		} else if _, ok := out[o]; !ok {
			out[o] = policy.Relation{}
			others = append(others, o)
		}
	}
	if len(others) == 0 {
		return out, nil
	}
	rows, err := s.d.Store.Relations(ctx, viewer, others)
	if err != nil {
		return nil, err
	}
	for id, r := range rows {
		out[id] = relationOf(r)
	}
	return out, nil
}

func relationOf(r db.RelationRow) policy.Relation {
	return policy.Relation{
		Follower: r.Following == "accepted",
		Pending:  r.Following == "pending",
		Friend:   r.Following == "accepted" && r.FollowedBy == "accepted",
		Blocked:  r.BlockedBy,
		Blocking: r.Blocking,
		Muting:   r.Muting,
	}
}

func targetOf(a *db.AccountRow) policy.Account {
	return policy.Account{ID: a.ID, Role: policy.Role(a.Role), State: policy.State(a.State), Private: a.Private}
}

// account finds an account by username and the viewer's relation to it, checking that the
// viewer may see it at all.
func (s *Service) account(ctx context.Context, v policy.Viewer, username string) (*db.AccountRow, policy.Relation, error) {
	a, err := s.d.Accounts.ByUsername(ctx, username)
	if errors.Is(err, db.ErrNotFound) {
		return nil, policy.Relation{}, errs.NotFound("account")
	}
	if err != nil {
		return nil, policy.Relation{}, errs.Internal(err)
	}
	rel, err := s.Relation(ctx, v.AccountID, a.ID)
	if err != nil {
		return nil, rel, errs.Internal(err)
	}
	if err := policy.ProfileDecision(v, targetOf(a), rel); err != nil {
		return nil, rel, err
	}
	return a, rel, nil
}

// Profile is an account's counters as the viewer sees them and the viewer's relationship to
// it.
type Profile struct {
	Viewer     string // the viewer's account ID, "" when anonymous
	Account    *db.AccountRow
	Stats      db.AccountStats // what the viewer's lists show: see accountStats
	Relation   policy.Relation
	FollowsYou bool
}

// Profile returns what a profile page shows about an account.
func (s *Service) Profile(ctx context.Context, v policy.Viewer, username string) (*Profile, error) {
	a, rel, err := s.account(ctx, v, username)
	if err != nil {
		return nil, err
	}
	st, err := s.accountStats(ctx, v, a.ID)
	if err != nil {
		return nil, err
	}
	p := &Profile{Viewer: v.AccountID, Account: a, Stats: st, Relation: rel}
	if !v.Anonymous() && v.AccountID != a.ID {
		back, err := s.Relation(ctx, a.ID, v.AccountID)
		if err != nil {
			return nil, errs.Internal(err)
		}
		p.FollowsYou = back.Follower
	}
	return p, nil
}

// Follow follows an account, or asks to when it is private. It returns "accepted" or
// "pending".
func (s *Service) Follow(ctx context.Context, v policy.Viewer, username string) (string, error) {
	a, rel, err := s.account(ctx, v, username)
	if err != nil {
		return "", err
	}
	if err := policy.RelationDecision(v, policy.FollowAccount, targetOf(a), rel); err != nil {
		return "", err
	}
	state, changed, err := s.d.Store.Follow(ctx, v.AccountID, a.ID, a.Private, s.d.Now())
	if errors.Is(err, db.ErrBlocked) {
		// A block committed after the check above: answer as the check would now.
		if a, rel, err := s.account(ctx, v, username); err != nil {
			return "", err
		} else if err := policy.RelationDecision(v, policy.FollowAccount, targetOf(a), rel); err != nil {
			return "", err
		}
		return "", errs.Conflict("blocked", "this account cannot be followed right now")
	}
	if err != nil {
		return "", errs.Internal(err)
	}
	if changed {
		kind := "follow"
		if state == "pending" {
			kind = "follow_request"
		}
		s.notify(ctx, a.ID, kind, v.AccountID, "", "")
		if state == "accepted" {
			s.event(ctx, "follow", v.AccountID, "", a.ID, 0)
		}
	}
	return state, nil
}

// Unfollow stops following, or withdraws a request. Doing it twice is a no-op.
func (s *Service) Unfollow(ctx context.Context, v policy.Viewer, username string) error {
	if v.Anonymous() {
		return errs.Unauthenticated("login_required", "log in to do this")
	}
	a, _, err := s.account(ctx, v, username)
	if err != nil {
		return err
	}
	was, err := s.d.Store.Unfollow(ctx, v.AccountID, a.ID)
	if err != nil {
		return errs.Internal(err)
	}
	if was == "accepted" {
		s.event(ctx, "unfollow", v.AccountID, "", a.ID, 0)
	}
	if was != "" {
		_ = s.d.Store.DeleteNotifications(ctx, a.ID, map[string]string{"accepted": "follow", "pending": "follow_request"}[was], v.AccountID, "")
	}
	return nil
}

// Decide approves or declines a follow request made to the viewer.
func (s *Service) Decide(ctx context.Context, v policy.Viewer, username string, approve bool) error {
	if v.Anonymous() {
		return errs.Unauthenticated("login_required", "log in to do this")
	}
	requester, err := s.d.Accounts.ByUsername(ctx, username)
	if errors.Is(err, db.ErrNotFound) || (err == nil && requester.State != string(policy.StateActive)) {
		return errs.NotFound("follow request")
	}
	if err != nil {
		return errs.Internal(err)
	}
	rel, err := s.Relation(ctx, requester.ID, v.AccountID)
	if err != nil {
		return errs.Internal(err)
	}
	if !rel.Pending {
		return errs.NotFound("follow request")
	}
	if approve {
		switch err := s.d.Store.Approve(ctx, v.AccountID, requester.ID); {
		case errors.Is(err, db.ErrNotFound): // withdrawn or decided meanwhile
			return errs.NotFound("follow request")
		case err != nil:
			return errs.Internal(err)
		}
		// An approved request is a follow from then on: the log hears of it like any other.
		s.event(ctx, "follow", requester.ID, "", v.AccountID, 0)
		s.notify(ctx, requester.ID, "follow_approved", v.AccountID, "", "")
		return nil
	}
	_, err = s.d.Store.Unfollow(ctx, requester.ID, v.AccountID)
	if err != nil {
		return errs.Internal(err)
	}
	_ = s.d.Store.DeleteNotifications(ctx, v.AccountID, "follow_request", requester.ID, "")
	return nil
}

// PrivacyChanged accepts waiting requests when an account stops being private. Each one is
// approved on its own so that each enters the event log as a follow, like an approval; the
// final sweep accepts the requests of accounts that are not active (suspended, being
// deleted), which the listing leaves out and whose follows count for nothing meanwhile.
func (s *Service) PrivacyChanged(ctx context.Context, accountID string, private bool) error {
	if private {
		return nil
	}
	for {
		// Approved requests leave the pending list, so the first page is always the next.
		page, err := s.d.Store.FollowList(ctx, accountID, true, "pending", "", "", 500)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			switch err := s.d.Store.Approve(ctx, accountID, r.ID); {
			case err == nil:
				s.event(ctx, "follow", r.ID, "", accountID, 0)
			case !errors.Is(err, db.ErrNotFound): // not found: withdrawn meanwhile
				return err
			}
		}
	}
	return s.d.Store.AcceptAllPending(ctx, accountID)
}

// Block blocks or unblocks an account. Blocking ends follows both ways. A viewer may block
// an account that already blocked them, so the block holds whatever the other side does.
func (s *Service) Block(ctx context.Context, v policy.Viewer, username string, block bool) error {
	if v.Anonymous() {
		return errs.Unauthenticated("login_required", "log in to do this")
	}
	a, err := s.d.Accounts.ByUsername(ctx, username)
	if errors.Is(err, db.ErrNotFound) {
		return errs.NotFound("account")
	}
	if err != nil {
		return errs.Internal(err)
	}
	// Suspended accounts are hidden from members: answer as if missing. (An account that
	// blocked the viewer may still be blocked back, so its own block does not hide it here.)
	if policy.AccountDecision(v.Member(), policy.ViewProfile, targetOf(a)) != nil {
		return errs.NotFound("account")
	}
	if a.ID == v.AccountID {
		return errs.Invalid("username", "cannot_target_yourself", "you cannot block your own account")
	}
	if !block {
		if err := s.d.Store.Unblock(ctx, v.AccountID, a.ID); err != nil {
			return errs.Internal(err)
		}
		return nil
	}
	// A block ends the follows both ways; the log hears of each as an unfollow, so follower
	// counts in analytics and the recommender's follows agree with the graph. Only the
	// follows this block deleted are logged: one that an unfollow racing it deleted is
	// that unfollow's to log, and one that a racing follow added is deleted here.
	was, err := s.d.Store.Block(ctx, v.AccountID, a.ID, s.d.Now())
	if err != nil {
		return errs.Internal(err)
	}
	if was.Following == "accepted" {
		s.event(ctx, "unfollow", v.AccountID, "", a.ID, 0)
	}
	if was.FollowedBy == "accepted" {
		s.event(ctx, "unfollow", a.ID, "", v.AccountID, 0)
	}
	return nil
}

// Mute mutes or unmutes an account. The muted account is not told.
func (s *Service) Mute(ctx context.Context, v policy.Viewer, username string, mute bool) error {
	a, rel, err := s.account(ctx, v, username)
	if err != nil {
		return err
	}
	if err := policy.RelationDecision(v, policy.BlockAccount, targetOf(a), rel); err != nil {
		return err
	}
	if mute {
		err = s.d.Store.Mute(ctx, v.AccountID, a.ID, s.d.Now())
	} else {
		err = s.d.Store.Unmute(ctx, v.AccountID, a.ID)
	}
	if err != nil {
		return errs.Internal(err)
	}
	return nil
}

// FollowList lists an account's followers or followings, if the viewer may see them.
func (s *Service) FollowList(ctx context.Context, v policy.Viewer, username string, followers bool, after string, limit int) ([]*db.AccountRow, error) {
	a, rel, err := s.account(ctx, v, username)
	if err != nil {
		return nil, err
	}
	if err := policy.RelationDecision(v, policy.ViewFollowLists, targetOf(a), rel); err != nil {
		return nil, err
	}
	// The accounts that blocked a member viewer never show to it (policy.Listed): the query
	// leaves them out, so that they cannot cut a page short however many they are.
	blockedID := ""
	if !v.Anonymous() && !policy.Listed(v, policy.Account{State: policy.StateActive}, policy.Relation{Blocked: true}) {
		blockedID = v.AccountID
	}
	// Whatever else the viewer may not see is dropped after reading, and the page filled
	// from further on, so that a page comes back short only at the end of the list (a full
	// page is what tells the client that more may follow).
	var out []*db.AccountRow
	for len(out) < limit {
		want := limit - len(out)
		rows, err := s.d.Store.FollowList(ctx, a.ID, followers, "accepted", blockedID, after, want)
		if err != nil {
			return nil, errs.Internal(err)
		}
		vis, err := s.visibleAccounts(ctx, v, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, vis...)
		if len(rows) < want {
			break
		}
		after = rows[len(rows)-1].ID
	}
	return out, nil
}

// visibleAccounts keeps the accounts a list shows to the viewer (policy.Listed, which the
// counts beside the list count too): never one that blocked the viewer.
func (s *Service) visibleAccounts(ctx context.Context, v policy.Viewer, rows []*db.AccountRow) ([]*db.AccountRow, error) {
	var out []*db.AccountRow
	for _, r := range rows {
		rel, err := s.Relation(ctx, v.AccountID, r.ID)
		if err != nil {
			return nil, errs.Internal(err)
		}
		if policy.Listed(v, targetOf(r), rel) {
			out = append(out, r)
		}
	}
	return out, nil
}

// FollowRequests lists the requests waiting for the viewer's approval.
func (s *Service) FollowRequests(ctx context.Context, v policy.Viewer, after string, limit int) ([]*db.AccountRow, error) {
	if v.Anonymous() {
		return nil, errs.Unauthenticated("login_required", "log in to do this")
	}
	rows, err := s.d.Store.FollowList(ctx, v.AccountID, true, "pending", "", after, limit)
	if err != nil {
		return nil, errs.Internal(err)
	}
	return rows, nil
}

// video loads a video with its policy target and the viewer's relation to its owner.
func (s *Service) video(ctx context.Context, v policy.Viewer, videoID string) (*db.VideoRow, policy.Video, policy.Relation, error) {
	if !id.Valid(videoID) {
		return nil, policy.Video{}, policy.Relation{}, errs.NotFound("video")
	}
	row, err := s.d.Videos.ByID(ctx, videoID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, policy.Video{}, policy.Relation{}, errs.NotFound("video")
	}
	if err != nil {
		return nil, policy.Video{}, policy.Relation{}, errs.Internal(err)
	}
	owner, err := s.d.Accounts.ByID(ctx, row.AccountID)
	if err != nil {
		return nil, policy.Video{}, policy.Relation{}, errs.Internal(err)
	}
	rel, err := s.Relation(ctx, v.AccountID, row.AccountID)
	if err != nil {
		return nil, policy.Video{}, policy.Relation{}, errs.Internal(err)
	}
	t := policy.Video{ID: row.ID, OwnerID: row.AccountID, Visibility: row.Visibility, Ready: row.State == "ready",
		Removed: row.Removed, OwnerState: policy.State(owner.State)}
	return row, t, rel, nil
}

// VideoCounts are a video's counters as the viewer sees them and the viewer's own
// interactions with it.
type VideoCounts struct {
	db.VideoStats
	Liked     bool
	Following bool
}

// Counts returns a video's counters for a viewer who may see the video: the comment count
// counts the comments and replies the viewer's comment list shows (see commentCounts).
func (s *Service) Counts(ctx context.Context, v policy.Viewer, videoID, ownerID string) (VideoCounts, error) {
	var rel policy.Relation
	if !v.Anonymous() {
		var err error
		if rel, err = s.Relation(ctx, v.AccountID, ownerID); err != nil {
			return VideoCounts{}, errs.Internal(err)
		}
	}
	return s.CountsWithRelation(ctx, v, videoID, ownerID, rel)
}

// Like likes or unlikes a video; both are idempotent.
func (s *Service) Like(ctx context.Context, v policy.Viewer, videoID string, like bool) (VideoCounts, error) {
	row, t, rel, err := s.video(ctx, v, videoID)
	if err != nil {
		return VideoCounts{}, err
	}
	if err := policy.InteractDecision(v, t, rel); err != nil {
		return VideoCounts{}, err
	}
	if like {
		added, err := s.d.Store.Like(ctx, v.AccountID, videoID, row.AccountID, s.d.Now())
		if err != nil {
			return VideoCounts{}, errs.Internal(err)
		}
		if added {
			s.notify(ctx, row.AccountID, "like", v.AccountID, videoID, "")
			s.event(ctx, "like", v.AccountID, videoID, row.AccountID, row.DurationMS)
		}
	} else {
		removed, err := s.d.Store.Unlike(ctx, v.AccountID, videoID, row.AccountID)
		if err != nil {
			return VideoCounts{}, errs.Internal(err)
		}
		if removed {
			_ = s.d.Store.DeleteNotifications(ctx, row.AccountID, "like", v.AccountID, videoID)
			s.event(ctx, "unlike", v.AccountID, videoID, row.AccountID, row.DurationMS)
		}
	}
	return s.Counts(ctx, v, videoID, row.AccountID)
}

// Share counts a share and returns the URL to share.
func (s *Service) Share(ctx context.Context, v policy.Viewer, videoID string) (string, error) {
	row, t, rel, err := s.video(ctx, v, videoID)
	if err != nil {
		return "", err
	}
	if err := policy.InteractDecision(v, t, rel); err != nil {
		return "", err
	}
	if err := s.d.Store.Share(ctx, videoID); err != nil {
		return "", errs.Internal(err)
	}
	s.event(ctx, "share", v.AccountID, videoID, row.AccountID, row.DurationMS)
	return s.d.PublicURL + "/v/" + videoID, nil
}

// SetCommentPolicy sets who may comment on the viewer's video.
func (s *Service) SetCommentPolicy(ctx context.Context, v policy.Viewer, videoID, p string) error {
	_, t, rel, err := s.video(ctx, v, videoID)
	if err != nil {
		return err
	}
	if err := policy.VideoDecision(v, policy.EditVideo, t, rel); err != nil {
		return err
	}
	if !policy.ValidCommentPolicy(p) {
		return errs.Invalid("who_can_comment", "invalid_comment_policy", "who_can_comment must be everyone, followers, friends or nobody")
	}
	if err := s.d.Store.SetCommentPolicy(ctx, videoID, p); err != nil {
		return errs.Internal(err)
	}
	return nil
}

// CommentPolicy returns who may comment on a video the viewer can see.
func (s *Service) CommentPolicy(ctx context.Context, videoID string) (string, error) {
	p, err := s.d.Store.CommentPolicy(ctx, videoID)
	if err != nil {
		return "", errs.Internal(err)
	}
	return p, nil
}

// cleanComment checks a comment's text.
func (s *Service) cleanComment(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return "", errs.Invalid("body", "empty_comment", "write something before sending")
	}
	if !utf8.ValidString(body) {
		return "", errs.Invalid("body", "invalid_text", "the comment is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(body); n > s.d.MaxComment {
		return "", errs.Invalid("body", "too_long", fmt.Sprintf("a comment can have at most %d characters (this has %d)", s.d.MaxComment, n))
	}
	for _, r := range body {
		if unicode.IsControl(r) && r != '\n' || r == '\u202e' || r == '\u202d' {
			return "", errs.Invalid("body", "invalid_text", "the comment contains control characters")
		}
	}
	return body, nil
}

func (s *Service) notify(ctx context.Context, to, kind, actor, videoID, commentID string) {
	if to == actor {
		return
	}
	err := s.d.Store.Notify(ctx, &db.NotificationRow{ID: s.d.NewID(), AccountID: to, Kind: kind, ActorID: actor,
		VideoID: videoID, CommentID: commentID, CreatedAt: s.d.Now()})
	if err != nil {
		s.d.Log.Warn("notify", "kind", kind, "err", err)
	}
}

// EraseAccount removes an account's social traces with exact counters, for erasure.
func (s *Service) EraseAccount(ctx context.Context, accountID string) error {
	return s.d.Store.EraseAccount(ctx, accountID)
}

func (s *Service) event(ctx context.Context, kind, accountID, videoID, creatorID string, durationMS int64) {
	if s.d.Events != nil {
		s.d.Events.ServerEvent(ctx, kind, accountID, videoID, creatorID, durationMS, nil)
	}
}
