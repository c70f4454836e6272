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
	return n, nil
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
