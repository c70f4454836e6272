package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Social is the store of the social graph (follows, blocks, mutes), interactions (likes,
// comments, shares) and their counters. Every counter changes in the same transaction as
// the row it counts, and only when that row really changed, so counts stay exact under
// concurrent requests without recounting on read.
type Social struct{ db *DB }

// Social returns the social store.
func (d *DB) Social() *Social { return &Social{db: d} }

// RelationRow is how a viewer stands to another account, read in one query.
type RelationRow struct {
	Following    string // "", "accepted" or "pending": viewer → other
	FollowedBy   string // other → viewer
	Blocking     bool   // viewer blocked other
	BlockedBy    bool   // other blocked viewer
	Muting       bool   // viewer muted other
	FollowsSince time.Time
}

// Relation reads how viewer stands to other.
func (s *Social) Relation(ctx context.Context, viewer, other string) (RelationRow, error) {
	var r RelationRow
	var f, fb sql.NullString
	var blocking, blockedBy, muting int
	err := s.db.reader().row(ctx, `SELECT
		(SELECT state FROM follows WHERE follower_id = ? AND followee_id = ?),
		(SELECT state FROM follows WHERE follower_id = ? AND followee_id = ?),
		(SELECT COUNT(*) FROM blocks WHERE blocker_id = ? AND blocked_id = ?),
		(SELECT COUNT(*) FROM blocks WHERE blocker_id = ? AND blocked_id = ?),
		(SELECT COUNT(*) FROM mutes WHERE muter_id = ? AND muted_id = ?)`,
		viewer, other, other, viewer, viewer, other, other, viewer, viewer, other).Scan(&f, &fb, &blocking, &blockedBy, &muting)
	if err != nil {
		return r, err
	}
	r.Following, r.FollowedBy = f.String, fb.String
	r.Blocking, r.BlockedBy, r.Muting = blocking > 0, blockedBy > 0, muting > 0
	return r, nil
}

func bump(ctx context.Context, tx *Tx, table, key, id, col string, delta int) error {
	if _, err := tx.exec(ctx, `INSERT INTO `+table+` (`+key+`) VALUES (?) ON CONFLICT DO NOTHING`, id); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `UPDATE `+table+` SET `+col+` = `+col+` + ? WHERE `+key+` = ?`, delta, id)
	return err
}

func bumpAccount(ctx context.Context, tx *Tx, id, col string, delta int) error {
	return bump(ctx, tx, "account_stats", "account_id", id, col, delta)
}

func bumpVideo(ctx context.Context, tx *Tx, id, col string, delta int) error {
	return bump(ctx, tx, "video_stats", "video_id", id, col, delta)
}

// Follow records follower → followee as accepted or pending. It returns the resulting state
// and whether anything changed (following twice is a no-op).
func (s *Social) Follow(ctx context.Context, follower, followee string, pending bool, now time.Time) (string, bool, error) {
	state := "accepted"
	if pending {
		state = "pending"
	}
	changed := false
	err := s.db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `INSERT INTO follows (follower_id, followee_id, state, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			follower, followee, state, ms(now))
		if err != nil {
			return classify(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tx.row(ctx, `SELECT state FROM follows WHERE follower_id = ? AND followee_id = ?`, follower, followee).Scan(&state)
		}
		changed = true
		if state == "accepted" {
			return followCounts(ctx, tx, follower, followee, 1)
		}
		return nil
	})
	return state, changed, err
}

func followCounts(ctx context.Context, tx *Tx, follower, followee string, delta int) error {
	if err := bumpAccount(ctx, tx, follower, "following", delta); err != nil {
		return err
	}
	return bumpAccount(ctx, tx, followee, "followers", delta)
}

// Unfollow removes follower → followee (a follow or a pending request) and reports what it was.
func (s *Social) Unfollow(ctx context.Context, follower, followee string) (string, error) {
	var was string
	err := s.db.InTx(ctx, func(tx *Tx) error {
		var err error
		was, err = unfollowTx(ctx, tx, follower, followee)
		return err
	})
	return was, err
}

func unfollowTx(ctx context.Context, tx *Tx, follower, followee string) (string, error) {
	var was string
	err := tx.row(ctx, `DELETE FROM follows WHERE follower_id = ? AND followee_id = ? RETURNING state`, follower, followee).Scan(&was)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if was == "accepted" {
		return was, followCounts(ctx, tx, follower, followee, -1)
	}
	return was, nil
}

// Approve turns a pending request into a follow. ErrNotFound when there is no request.
func (s *Social) Approve(ctx context.Context, followee, follower string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE follows SET state = 'accepted' WHERE follower_id = ? AND followee_id = ? AND state = 'pending'`, follower, followee)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return followCounts(ctx, tx, follower, followee, 1)
	})
}

// AcceptAllPending accepts every pending request, when an account stops being private.
func (s *Social) AcceptAllPending(ctx context.Context, followee string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT follower_id FROM follows WHERE followee_id = ? AND state = 'pending'`, followee)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if _, err := tx.exec(ctx, `UPDATE follows SET state = 'accepted' WHERE follower_id = ? AND followee_id = ?`, id, followee); err != nil {
				return err
			}
			if err := followCounts(ctx, tx, id, followee, 1); err != nil {
				return err
			}
		}
		return nil
	})
}

// Block records blocker → blocked and removes follows both ways, in one transaction.
func (s *Social) Block(ctx context.Context, blocker, blocked string, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, blocker, blocked, ms(now)); err != nil {
			return err
		}
		if _, err := unfollowTx(ctx, tx, blocker, blocked); err != nil {
			return err
		}
		_, err := unfollowTx(ctx, tx, blocked, blocker)
		return err
	})
}

// Unblock removes a block.
func (s *Social) Unblock(ctx context.Context, blocker, blocked string) error {
	_, err := s.db.writer().exec(ctx, `DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?`, blocker, blocked)
	return err
}

// Mute hides muted from muter's feeds and notifications.
func (s *Social) Mute(ctx context.Context, muter, muted string, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `INSERT INTO mutes (muter_id, muted_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, muter, muted, ms(now))
	return err
}

// Unmute removes a mute.
func (s *Social) Unmute(ctx context.Context, muter, muted string) error {
	_, err := s.db.writer().exec(ctx, `DELETE FROM mutes WHERE muter_id = ? AND muted_id = ?`, muter, muted)
	return err
}

// FollowList pages through the accounts following (followers=true) or followed by an
// account, in the given state, by account ID descending.
func (s *Social) FollowList(ctx context.Context, accountID string, followers bool, state, after string, limit int) ([]*AccountRow, error) {
	join, where := "f.follower_id", "f.followee_id"
	if !followers {
		join, where = "f.followee_id", "f.follower_id"
	}
	q := `SELECT a.id, a.username, a.display_name, a.bio, a.avatar_key, a.role, a.private, a.personalised, a.region, a.state,
		a.password_hash, a.created_at, a.updated_at, a.suspended_at
		FROM follows f JOIN accounts a ON a.id = ` + join + `
		WHERE ` + where + ` = ? AND f.state = ? AND a.state = 'active'`
	args := []any{accountID, state}
	if after != "" {
		q += ` AND a.id < ?`
		args = append(args, after)
	}
	q += ` ORDER BY a.id DESC LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.db.reader(), scanAccount, q, args...)
}

// AccountStats are an account's counters.
type AccountStats struct{ Followers, Following, Likes int64 }

// AccountStats reads an account's counters.
func (s *Social) AccountStats(ctx context.Context, id string) (AccountStats, error) {
	var st AccountStats
	err := s.db.reader().row(ctx, `SELECT followers, following, likes FROM account_stats WHERE account_id = ?`, id).
		Scan(&st.Followers, &st.Following, &st.Likes)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	return st, err
}

// VideoStats are a video's counters.
type VideoStats struct{ Likes, Comments, Shares, Views int64 }

// VideoStats reads a video's counters.
func (s *Social) VideoStats(ctx context.Context, id string) (VideoStats, error) {
	var st VideoStats
	err := s.db.reader().row(ctx, `SELECT likes, comments, shares, views FROM video_stats WHERE video_id = ?`, id).
		Scan(&st.Likes, &st.Comments, &st.Shares, &st.Views)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	return st, err
}

// Like records a like once; liking twice changes nothing. It reports whether it was new.
func (s *Social) Like(ctx context.Context, accountID, videoID, ownerID string, now time.Time) (bool, error) {
	added := false
	err := s.db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `INSERT INTO likes (video_id, account_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, videoID, accountID, ms(now))
		if err != nil {
			return classify(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		if err := bumpVideo(ctx, tx, videoID, "likes", 1); err != nil {
			return err
		}
		return bumpAccount(ctx, tx, ownerID, "likes", 1)
	})
	return added, err
}

// Unlike removes a like; unliking twice changes nothing.
func (s *Social) Unlike(ctx context.Context, accountID, videoID, ownerID string) (bool, error) {
	removed := false
	err := s.db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM likes WHERE video_id = ? AND account_id = ?`, videoID, accountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		removed = true
		if err := bumpVideo(ctx, tx, videoID, "likes", -1); err != nil {
			return err
		}
		return bumpAccount(ctx, tx, ownerID, "likes", -1)
	})
	return removed, err
}

// Liked reports whether an account likes a video.
func (s *Social) Liked(ctx context.Context, accountID, videoID string) (bool, error) {
	var n int
	err := s.db.reader().row(ctx, `SELECT COUNT(*) FROM likes WHERE video_id = ? AND account_id = ?`, videoID, accountID).Scan(&n)
	return n > 0, err
}

// Share counts a share.
func (s *Social) Share(ctx context.Context, videoID string) error {
	return s.db.InTx(ctx, func(tx *Tx) error { return bumpVideo(ctx, tx, videoID, "shares", 1) })
}

// AddView counts views; the event log (not yet present) will call it.
func (s *Social) AddView(ctx context.Context, videoID string, n int) error {
	return s.db.InTx(ctx, func(tx *Tx) error { return bumpVideo(ctx, tx, videoID, "views", n) })
}

// EraseAccount takes an account's likes, follows, comments and comment likes off every
// counter and deletes them, so that erasing an account leaves the counts of others exact.
func (s *Social) EraseAccount(ctx context.Context, accountID string) error {
	ids, err := strings1(ctx, s.db.reader(), `SELECT id FROM comments WHERE account_id = ? ORDER BY parent_id IS NULL, id`, accountID)
	if err != nil {
		return err
	}
	for _, id := range ids { // replies first, then top-level comments with what replies remain
		if err := s.DeleteComment(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return s.db.InTx(ctx, func(tx *Tx) error {
		steps := []string{
			`UPDATE comments SET like_count = like_count - 1 WHERE id IN (SELECT comment_id FROM comment_likes WHERE account_id = ?)`,
			`UPDATE video_stats SET likes = likes - 1 WHERE video_id IN (SELECT video_id FROM likes WHERE account_id = ?)`,
			`UPDATE account_stats SET likes = likes - (SELECT COUNT(*) FROM likes l JOIN videos v ON v.id = l.video_id
				WHERE l.account_id = ? AND v.account_id = account_stats.account_id)`,
			`UPDATE account_stats SET followers = followers - 1 WHERE account_id IN (SELECT followee_id FROM follows WHERE follower_id = ? AND state = 'accepted')`,
			`UPDATE account_stats SET following = following - 1 WHERE account_id IN (SELECT follower_id FROM follows WHERE followee_id = ? AND state = 'accepted')`,
			`DELETE FROM comment_likes WHERE account_id = ?`,
			`DELETE FROM likes WHERE account_id = ?`,
			`DELETE FROM follows WHERE follower_id = ? OR followee_id = ?`,
			`DELETE FROM blocks WHERE blocker_id = ? OR blocked_id = ?`,
			`DELETE FROM mutes WHERE muter_id = ? OR muted_id = ?`,
			`DELETE FROM notifications WHERE account_id = ? OR actor_id = ?`,
			`DELETE FROM comment_filters WHERE account_id = ?`,
			`DELETE FROM account_stats WHERE account_id = ?`,
		}
		for _, q := range steps {
			args := []any{accountID}
			if strings.Count(q, "?") == 2 {
				args = append(args, accountID)
			}
			if _, err := tx.exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// Activity is everything an account did in the social graph, for its data export.
type Activity struct {
	Following []ActivityFollow  `json:"following"`
	Followers []ActivityFollow  `json:"followers"`
	Likes     []ActivityLike    `json:"likes"`
	Comments  []ActivityComment `json:"comments"`
	Blocked   []string          `json:"blocked_usernames"`
	Muted     []string          `json:"muted_usernames"`
	Filters   []string          `json:"comment_filter_keywords"`
}

// ActivityFollow is one follow, either way.
type ActivityFollow struct {
	Username string    `json:"username"`
	State    string    `json:"state"`
	Since    time.Time `json:"since"`
}

// ActivityLike is one like.
type ActivityLike struct {
	VideoID string    `json:"video_id"`
	At      time.Time `json:"at"`
}

// ActivityComment is one comment or reply.
type ActivityComment struct {
	ID       string    `json:"id"`
	VideoID  string    `json:"video_id"`
	ParentID string    `json:"parent_id,omitempty"`
	Body     string    `json:"body"`
	At       time.Time `json:"at"`
}

// Activity reads an account's social activity.
func (s *Social) Activity(ctx context.Context, accountID string) (*Activity, error) {
	r := s.db.reader()
	out := &Activity{Following: []ActivityFollow{}, Followers: []ActivityFollow{}, Likes: []ActivityLike{}, Comments: []ActivityComment{}}
	follows := func(q string, dst *[]ActivityFollow) error {
		rows, err := r.query(ctx, q, accountID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f ActivityFollow
			var at int64
			if err := rows.Scan(&f.Username, &f.State, &at); err != nil {
				return err
			}
			f.Since = fromMS(at)
			*dst = append(*dst, f)
		}
		return rows.Err()
	}
	if err := follows(`SELECT a.username, f.state, f.created_at FROM follows f JOIN accounts a ON a.id = f.followee_id WHERE f.follower_id = ? ORDER BY f.created_at`, &out.Following); err != nil {
		return nil, err
	}
	if err := follows(`SELECT a.username, f.state, f.created_at FROM follows f JOIN accounts a ON a.id = f.follower_id WHERE f.followee_id = ? ORDER BY f.created_at`, &out.Followers); err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT video_id, created_at FROM likes WHERE account_id = ? ORDER BY created_at`, accountID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l ActivityLike
		var at int64
		if err := rows.Scan(&l.VideoID, &at); err != nil {
			rows.Close()
			return nil, err
		}
		l.At = fromMS(at)
		out.Likes = append(out.Likes, l)
	}
	rows.Close()
	rows, err = r.query(ctx, `SELECT `+commentCols+` FROM comments WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out.Comments = append(out.Comments, ActivityComment{ID: c.ID, VideoID: c.VideoID, ParentID: c.ParentID, Body: c.Body, At: c.CreatedAt})
	}
	rows.Close()
	if out.Blocked, err = strings1(ctx, r, `SELECT a.username FROM blocks b JOIN accounts a ON a.id = b.blocked_id WHERE b.blocker_id = ? ORDER BY a.username`, accountID); err != nil {
		return nil, err
	}
	if out.Muted, err = strings1(ctx, r, `SELECT a.username FROM mutes m JOIN accounts a ON a.id = m.muted_id WHERE m.muter_id = ? ORDER BY a.username`, accountID); err != nil {
		return nil, err
	}
	if out.Filters, err = s.Filters(ctx, accountID); err != nil {
		return nil, err
	}
	return out, nil
}
