package social

import (
	"context"
	"time"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/policy"
)

// Group is notifications of one kind about one thing, shown as one line: "alice and 12
// others liked your video".
type Group struct {
	Kind      string
	VideoID   string
	CommentID string
	Actors    []*db.AccountRow // newest first, at most three
	Count     int              // all actors in the group
	Unread    bool
	Latest    time.Time
	LastID    string
}

// Notifications lists the viewer's notifications, grouped. Likes and follows group by
// video (or by kind, for follows); comments, replies and mentions stay one per line.
func (s *Service) Notifications(ctx context.Context, v policy.Viewer, after string, limit int) ([]*Group, string, error) {
	if v.Anonymous() {
		return nil, "", errs.Unauthenticated("login_required", "log in to do this")
	}
	rows, err := s.d.Store.Notifications(ctx, v.AccountID, after, limit*5)
	if err != nil {
		return nil, "", errs.Internal(err)
	}
	var out []*Group
	index := map[string]*Group{}
	next := ""
	for _, n := range rows {
		if !s.notificationVisible(ctx, v, n) {
			next = n.ID
			continue
		}
		key := ""
		switch n.Kind {
		case "like":
			key = "like:" + n.VideoID
		case "follow", "follow_request":
			key = n.Kind
		}
		g := index[key]
		if key == "" || g == nil {
			if len(out) == limit {
				break
			}
			g = &Group{Kind: n.Kind, VideoID: n.VideoID, CommentID: n.CommentID, Latest: n.CreatedAt}
			out = append(out, g)
			if key != "" {
				index[key] = g
			}
		}
		g.Count++
		g.LastID = n.ID
		next = n.ID
		if n.ReadAt.IsZero() {
			g.Unread = true
		}
		if len(g.Actors) < 3 {
			a, err := s.d.Accounts.ByID(ctx, n.ActorID)
			if err != nil {
				return nil, "", errs.Internal(err)
			}
			g.Actors = append(g.Actors, a)
		}
	}
	if len(rows) < limit*5 {
		next = ""
	}
	return out, next, nil
}

// UnreadCount counts the viewer's unread notifications.
func (s *Service) UnreadCount(ctx context.Context, v policy.Viewer) (int, error) {
	if v.Anonymous() {
		return 0, errs.Unauthenticated("login_required", "log in to do this")
	}
	n, err := s.d.Store.UnreadCount(ctx, v.AccountID)
	if err != nil {
		return 0, errs.Internal(err)
	}
	if n == 0 {
		return 0, nil
	}
	// The count must agree with the list, which leaves out what the viewer can no longer
	// see; count the newest unread ones the same way (beyond this many, clients show "99+").
	rows, err := s.d.Store.Notifications(ctx, v.AccountID, "", unreadScan)
	if err != nil {
		return 0, errs.Internal(err)
	}
	visible := 0
	for _, r := range rows {
		if r.ReadAt.IsZero() && s.notificationVisible(ctx, v, r) {
			visible++
		}
	}
	return visible, nil
}

const unreadScan = 500

// notificationVisible reports whether what a notification points at is still visible to
// its recipient: a video made private or removed, or a comment behind a block, takes its
// notifications with it.
func (s *Service) notificationVisible(ctx context.Context, v policy.Viewer, n *db.NotificationRow) bool {
	if n.CommentID != "" {
		if _, _, err := s.comment(ctx, v, n.CommentID); err != nil {
			return false
		}
	}
	if n.VideoID != "" {
		_, t, rel, err := s.video(ctx, v, n.VideoID)
		if err != nil || policy.VideoDecision(v, policy.ViewVideo, t, rel) != nil {
			return false
		}
	}
	return true
}

// MarkRead marks all the viewer's notifications read.
func (s *Service) MarkRead(ctx context.Context, v policy.Viewer) error {
	if v.Anonymous() {
		return errs.Unauthenticated("login_required", "log in to do this")
	}
	if err := s.d.Store.MarkRead(ctx, v.AccountID, s.d.Now()); err != nil {
		return errs.Internal(err)
	}
	return nil
}
