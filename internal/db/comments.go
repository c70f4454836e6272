package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// CommentRow is a comment or a reply (ParentID set).
type CommentRow struct {
	ID         string
	VideoID    string
	AccountID  string
	ParentID   string
	Body       string
	Filtered   bool
	LikeCount  int64
	ReplyCount int64
	CreatedAt  time.Time
}

const commentCols = `id, video_id, account_id, parent_id, body, filtered, like_count, reply_count, created_at`

func scanComment(sc scanner) (*CommentRow, error) {
	var c CommentRow
	var parent sql.NullString
	var at int64
	if err := sc.Scan(&c.ID, &c.VideoID, &c.AccountID, &parent, &c.Body, &c.Filtered, &c.LikeCount, &c.ReplyCount, &at); err != nil {
		return nil, classify(err)
	}
	c.ParentID, c.CreatedAt = parent.String, fromMS(at)
	return &c, nil
}

// AddComment stores a comment and counts it on its video (and its parent, for a reply), as
// far as an anonymous visitor would see it: by an active account, not held, under a parent
// that is so too.
func (s *Social) AddComment(ctx context.Context, c *CommentRow) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var parent *CommentRow
		authors := []string{c.AccountID}
		if c.ParentID != "" {
			p, err := scanComment(tx.row(ctx, `SELECT `+commentCols+` FROM comments WHERE id = ?`, c.ParentID))
			if err != nil {
				return err
			}
			parent, authors = p, append(authors, p.AccountID)
		}
		active, err := activeAccounts(ctx, tx, authors...)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO comments (`+commentCols+`) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?)`,
			c.ID, c.VideoID, c.AccountID, nullStr(c.ParentID), c.Body, c.Filtered, ms(c.CreatedAt))
		if err != nil {
			return classify(err)
		}
		own := counted(active[c.AccountID], !c.Filtered)
		if parent == nil {
			return bumpVideo(ctx, tx, c.VideoID, "comments", own)
		}
		if err := bumpReplies(ctx, tx, parent.ID, own); err != nil {
			return err
		}
		return bumpVideo(ctx, tx, c.VideoID, "comments", own*counted(active[parent.AccountID], !parent.Filtered))
	})
}

func bumpReplies(ctx context.Context, tx *Tx, commentID string, delta int) error {
	if delta == 0 {
		return nil
	}
	_, err := tx.exec(ctx, `UPDATE comments SET reply_count = reply_count + ? WHERE id = ?`, delta, commentID)
	return err
}

// Comment finds a comment.
func (s *Social) Comment(ctx context.Context, id string) (*CommentRow, error) {
	return scanComment(s.db.reader().row(ctx, `SELECT `+commentCols+` FROM comments WHERE id = ?`, id))
}

// DeleteComment removes a comment with its replies and takes off the counters what of them
// they counted.
func (s *Social) DeleteComment(ctx context.Context, id string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		c, err := scanComment(tx.row(ctx, `SELECT `+commentCols+` FROM comments WHERE id = ?`, id))
		if err != nil {
			return err
		}
		var parent *CommentRow
		authors := []string{c.AccountID}
		if c.ParentID != "" {
			if parent, err = scanComment(tx.row(ctx, `SELECT `+commentCols+` FROM comments WHERE id = ?`, c.ParentID)); err != nil {
				return err
			}
			authors = append(authors, parent.AccountID)
		}
		active, err := activeAccounts(ctx, tx, authors...)
		if err != nil {
			return err
		}
		// The reply count as the delete leaves it: replies added or recounted meanwhile
		// changed the row before the delete could lock it.
		var replies int
		err = tx.row(ctx, `DELETE FROM comments WHERE id = ? RETURNING reply_count`, id).Scan(&replies)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		own := counted(active[c.AccountID], !c.Filtered)
		if parent == nil {
			return bumpVideo(ctx, tx, c.VideoID, "comments", -own*(1+replies))
		}
		if err := bumpReplies(ctx, tx, parent.ID, -own); err != nil {
			return err
		}
		return bumpVideo(ctx, tx, c.VideoID, "comments", -own*counted(active[parent.AccountID], !parent.Filtered))
	})
}

// Comments pages through a video's comments (parentID "") or a comment's replies, oldest
// first for replies and newest first for top-level comments, as TikTok shows them.
func (s *Social) Comments(ctx context.Context, videoID, parentID, after string, limit int) ([]*CommentRow, error) {
	q := `SELECT ` + commentCols + ` FROM comments WHERE video_id = ?`
	args := []any{videoID}
	order := " ORDER BY id DESC"
	if parentID == "" {
		q += ` AND parent_id IS NULL`
		if after != "" {
			q += ` AND id < ?`
			args = append(args, after)
		}
	} else {
		q += ` AND parent_id = ?`
		args = append(args, parentID)
		order = " ORDER BY id"
		if after != "" {
			q += ` AND id > ?`
			args = append(args, after)
		}
	}
	q += order + ` LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.db.reader(), scanComment, q, args...)
}

// LikeComment likes a comment once.
func (s *Social) LikeComment(ctx context.Context, accountID, commentID string, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		active, err := activeAccounts(ctx, tx, accountID)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `INSERT INTO comment_likes (comment_id, account_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, commentID, accountID, ms(now))
		if err != nil {
			return classify(err)
		}
		if n, _ := res.RowsAffected(); n > 0 && active[accountID] {
			_, err = tx.exec(ctx, `UPDATE comments SET like_count = like_count + 1 WHERE id = ?`, commentID)
		}
		return err
	})
}

// UnlikeComment removes a comment like.
func (s *Social) UnlikeComment(ctx context.Context, accountID, commentID string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		active, err := activeAccounts(ctx, tx, accountID)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM comment_likes WHERE comment_id = ? AND account_id = ?`, commentID, accountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 && active[accountID] {
			_, err = tx.exec(ctx, `UPDATE comments SET like_count = like_count - 1 WHERE id = ?`, commentID)
		}
		return err
	})
}

// CommentLiked reports which of the comments an account likes.
func (s *Social) CommentLiked(ctx context.Context, accountID, commentID string) (bool, error) {
	var n int
	err := s.db.reader().row(ctx, `SELECT COUNT(*) FROM comment_likes WHERE comment_id = ? AND account_id = ?`, commentID, accountID).Scan(&n)
	return n > 0, err
}

// Pin makes a comment the video's pinned one, replacing any other.
func (s *Social) Pin(ctx context.Context, videoID, commentID string) error {
	_, err := s.db.writer().exec(ctx, `INSERT INTO pinned_comments (video_id, comment_id) VALUES (?, ?)
		ON CONFLICT (video_id) DO UPDATE SET comment_id = excluded.comment_id`, videoID, commentID)
	return err
}

// Unpin removes the pinned comment.
func (s *Social) Unpin(ctx context.Context, videoID string) error {
	_, err := s.db.writer().exec(ctx, `DELETE FROM pinned_comments WHERE video_id = ?`, videoID)
	return err
}

// Pinned returns the pinned comment ID of a video, or "".
func (s *Social) Pinned(ctx context.Context, videoID string) (string, error) {
	var id string
	err := s.db.reader().row(ctx, `SELECT comment_id FROM pinned_comments WHERE video_id = ?`, videoID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// SetFilters replaces an account's comment keyword filters.
func (s *Social) SetFilters(ctx context.Context, accountID string, keywords []string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM comment_filters WHERE account_id = ?`, accountID); err != nil {
			return err
		}
		for _, k := range keywords {
			if _, err := tx.exec(ctx, `INSERT INTO comment_filters (account_id, keyword) VALUES (?, ?) ON CONFLICT DO NOTHING`, accountID, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Filters returns an account's comment keyword filters.
func (s *Social) Filters(ctx context.Context, accountID string) ([]string, error) {
	return strings1(ctx, s.db.reader(), `SELECT keyword FROM comment_filters WHERE account_id = ? ORDER BY keyword`, accountID)
}

// SetCommentPolicy stores who may comment on a video.
func (s *Social) SetCommentPolicy(ctx context.Context, videoID, policy string) error {
	_, err := s.db.writer().exec(ctx, `UPDATE videos SET comment_policy = ? WHERE id = ?`, policy, videoID)
	return err
}

// CommentPolicy reads who may comment on a video.
func (s *Social) CommentPolicy(ctx context.Context, videoID string) (string, error) {
	var p string
	err := s.db.reader().row(ctx, `SELECT comment_policy FROM videos WHERE id = ?`, videoID).Scan(&p)
	return p, classify(err)
}

// NotificationRow is one notification.
type NotificationRow struct {
	ID        string
	AccountID string
	Kind      string
	ActorID   string
	VideoID   string
	CommentID string
	CreatedAt time.Time
	ReadAt    time.Time
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Notify stores a notification.
func (s *Social) Notify(ctx context.Context, n *NotificationRow) error {
	_, err := s.db.writer().exec(ctx, `INSERT INTO notifications (id, account_id, kind, actor_id, video_id, comment_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, n.ID, n.AccountID, n.Kind, n.ActorID, nullStr(n.VideoID), nullStr(n.CommentID), ms(n.CreatedAt))
	return err
}

// Notifications pages through an account's notifications, newest first, leaving out actors
// the account muted or blocked and actors blocked from seeing it.
func (s *Social) Notifications(ctx context.Context, accountID, after string, limit int) ([]*NotificationRow, error) {
	q := `SELECT n.id, n.account_id, n.kind, n.actor_id, n.video_id, n.comment_id, n.created_at, n.read_at FROM notifications n
		JOIN accounts a ON a.id = n.actor_id AND a.state = 'active'
		WHERE n.account_id = ?
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = n.account_id AND m.muted_id = n.actor_id)
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = n.account_id AND b.blocked_id = n.actor_id)
			OR (b.blocker_id = n.actor_id AND b.blocked_id = n.account_id))`
	args := []any{accountID}
	if after != "" {
		q += ` AND n.id < ?`
		args = append(args, after)
	}
	q += ` ORDER BY n.id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.reader().query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*NotificationRow
	for rows.Next() {
		var n NotificationRow
		var v, c sql.NullString
		var at int64
		var read sql.NullInt64
		if err := rows.Scan(&n.ID, &n.AccountID, &n.Kind, &n.ActorID, &v, &c, &at, &read); err != nil {
			return nil, err
		}
		n.VideoID, n.CommentID, n.CreatedAt, n.ReadAt = v.String, c.String, fromMS(at), fromNullMS(read)
		out = append(out, &n)
	}
	return out, rows.Err()
}

// UnreadCount counts unread notifications that Notifications would show.
func (s *Social) UnreadCount(ctx context.Context, accountID string) (int, error) {
	var n int
	err := s.db.reader().row(ctx, `SELECT COUNT(*) FROM notifications n JOIN accounts a ON a.id = n.actor_id AND a.state = 'active'
		WHERE n.account_id = ? AND n.read_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = n.account_id AND m.muted_id = n.actor_id)
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = n.account_id AND b.blocked_id = n.actor_id)
			OR (b.blocker_id = n.actor_id AND b.blocked_id = n.account_id))`, accountID).Scan(&n)
	return n, err
}

// MarkRead marks every notification of an account read.
func (s *Social) MarkRead(ctx context.Context, accountID string, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `UPDATE notifications SET read_at = ? WHERE account_id = ? AND read_at IS NULL`, ms(now), accountID)
	return err
}

// DeleteNotifications removes notifications that an undone action created (an unlike, an
// unfollow), so they do not linger.
func (s *Social) DeleteNotifications(ctx context.Context, accountID, kind, actorID, videoID string) error {
	q := `DELETE FROM notifications WHERE account_id = ? AND kind = ? AND actor_id = ?`
	args := []any{accountID, kind, actorID}
	if videoID != "" {
		q += ` AND video_id = ?`
		args = append(args, videoID)
	}
	_, err := s.db.writer().exec(ctx, q, args...)
	return err
}

// CommentFact is what decides whether comments show to a viewer: their author, whether
// they are held, and how the viewer stands to the author. It stands for Count comments with
// these facts under one parent ("" for top-level comments) on the video VideoID, whose
// stored reply counts sum to Replies; or, among CommentFacts' parents, for one top-level
// comment, ID.
type CommentFact struct {
	ID, ParentID        string
	VideoID             string
	AuthorID            string
	AuthorRole          string
	AuthorState         string
	AuthorPrivate       bool
	Filtered            bool
	Blocking, BlockedBy bool // the viewer blocked the author; the author blocked the viewer
	Count, Replies      int64
}

// CommentScope names the comments of a video that may show differently to a viewer than to
// an anonymous visitor, whom the stored counters count for.
type CommentScope struct {
	Viewer   string // "" for nobody
	Blocks   bool   // comments by accounts across a block with the viewer
	OwnHeld  bool   // the viewer's own held comments
	AllHeld  bool   // every held comment (the viewer made the video)
	Inactive bool   // comments by accounts that are not active
}

// CommentFacts returns the comments of a video in scope, grouped by parent, author and held
// flag, and the top-level comments that the replies among them answer, one by one. Each part
// of the scope is found through an index — comments by account and video, held comments by
// video, inactive accounts — so it costs what the viewer's blocks, its own comments, the
// video's held comments or the inactive accounts' comments on it number, never the video's
// comments.
func (s *Social) CommentFacts(ctx context.Context, videoID string, sc CommentScope) (groups, parents []CommentFact, err error) {
	return s.CommentFactsMany(ctx, map[string]CommentScope{videoID: sc})
}

// commentFactsBatch bounds the videos of one CommentFactsMany query; each part of a scope
// lists them all.
const commentFactsBatch = 100

// CommentFactsMany is CommentFacts for a page of videos, each in its own scope (all for one
// viewer), in one query per batch of videos plus one for the parents: what a page costs
// is what its videos would cost one by one, in two queries instead of two per video.
func (s *Social) CommentFactsMany(ctx context.Context, scopes map[string]CommentScope) (groups, parents []CommentFact, err error) {
	ids := make([]string, 0, len(scopes))
	viewer := ""
	for id, sc := range scopes {
		if len(ids) > 0 && sc.Viewer != viewer {
			return nil, nil, fmt.Errorf("db: comment facts for two viewers (%q, %q) in one query", viewer, sc.Viewer)
		}
		viewer = sc.Viewer
		ids = append(ids, id)
	}
	// Sorted, so that a page asks the same statement each time (SQLite caches them).
	slices.Sort(ids)
	for len(ids) > 0 {
		n := min(len(ids), commentFactsBatch)
		more, err := s.commentGroups(ctx, viewer, ids[:n], scopes)
		if err != nil {
			return nil, nil, err
		}
		groups, ids = append(groups, more...), ids[n:]
	}
	var pids []any
	seen := map[string]bool{}
	for _, g := range groups {
		if g.ParentID != "" && !seen[g.ParentID] {
			seen[g.ParentID] = true
			pids = append(pids, g.ParentID)
		}
	}
	for len(pids) > 0 {
		n := min(len(pids), maxBatch)
		more, err := queryAll(ctx, s.db.reader(), scanParentFact, `SELECT c.id, c.video_id, c.account_id, a.role, a.state, a.private, c.filtered,
			EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = c.account_id),
			EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = c.account_id AND b.blocked_id = ?), 1, c.reply_count
			FROM comments c JOIN accounts a ON a.id = c.account_id WHERE c.id IN (`+strings.TrimSuffix(strings.Repeat("?, ", n), ", ")+`)`,
			append([]any{viewer, viewer}, pids[:n]...)...)
		if err != nil {
			return nil, nil, err
		}
		parents, pids = append(parents, more...), pids[n:]
	}
	return groups, parents, nil
}

// commentGroups reads the groups of CommentFactsMany for the videos of ids (sorted), which
// share one viewer; the videos with the same scope share the parts that find them.
func (s *Social) commentGroups(ctx context.Context, viewer string, ids []string, scopes map[string]CommentScope) ([]CommentFact, error) {
	var order []CommentScope
	byScope := map[CommentScope][]string{}
	for _, id := range ids {
		sc := scopes[id]
		if _, ok := byScope[sc]; !ok {
			order = append(order, sc)
		}
		byScope[sc] = append(byScope[sc], id)
	}
	var parts []string
	var args []any
	for _, sc := range order {
		in, vids := idList(byScope[sc])
		add := func(where string, extra ...any) {
			parts = append(parts, `SELECT c.id, c.video_id, c.parent_id, c.account_id, c.filtered, c.reply_count FROM comments c WHERE `+
				where+` AND c.video_id IN (`+in+`)`)
			args = append(append(args, extra...), vids...)
		}
		if sc.Blocks && sc.Viewer != "" {
			add(`c.account_id IN (SELECT blocked_id FROM blocks WHERE blocker_id = ? UNION SELECT blocker_id FROM blocks WHERE blocked_id = ?)`,
				sc.Viewer, sc.Viewer)
		}
		if sc.OwnHeld && sc.Viewer != "" {
			add(`c.account_id = ? AND c.filtered`, sc.Viewer)
		}
		if sc.AllHeld {
			add(`c.filtered`)
		}
		if sc.Inactive {
			add(`c.account_id IN (SELECT id FROM accounts WHERE state <> 'active')`)
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	// The parts select rows, each through its index, and overlap (a blocked account's held
	// comments): UNION keeps each comment once; then they are grouped. (Grouping inside the
	// parts would tempt SQLite into the video's index, for its order.)
	return queryAll(ctx, s.db.reader(), scanCommentFact, `SELECT g.video_id, g.parent_id, g.account_id, a.role, a.state, a.private, g.filtered,
		EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = g.account_id),
		EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = g.account_id AND b.blocked_id = ?), g.n, g.replies
		FROM (SELECT r.video_id, r.parent_id, r.account_id, r.filtered, COUNT(*) AS n, CAST(SUM(r.reply_count) AS BIGINT) AS replies
			FROM (`+strings.Join(parts, " UNION ")+`) r GROUP BY r.video_id, r.parent_id, r.account_id, r.filtered) g
		JOIN accounts a ON a.id = g.account_id`, append([]any{viewer, viewer}, args...)...)
}

// scanCommentFact reads a group, whose first columns are its video and parent.
func scanCommentFact(sc scanner) (CommentFact, error) {
	var f CommentFact
	var parent sql.NullString
	err := sc.Scan(&f.VideoID, &parent, &f.AuthorID, &f.AuthorRole, &f.AuthorState, &f.AuthorPrivate, &f.Filtered,
		&f.Blocking, &f.BlockedBy, &f.Count, &f.Replies)
	f.ParentID = parent.String
	return f, err
}

// scanParentFact reads one top-level comment, whose first columns are its ID and video.
func scanParentFact(sc scanner) (CommentFact, error) {
	var f CommentFact
	err := sc.Scan(&f.ID, &f.VideoID, &f.AuthorID, &f.AuthorRole, &f.AuthorState, &f.AuthorPrivate, &f.Filtered,
		&f.Blocking, &f.BlockedBy, &f.Count, &f.Replies)
	return f, err
}
