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

// Social is the store of the social graph (follows, blocks, mutes), interactions (likes,
// comments, shares) and their counters. Every counter changes in the same transaction as
// the row it counts, and only when that row really changed, so counts stay exact under
// concurrent requests without recounting on read.
//
// The counters count what an anonymous visitor would see: only what active accounts did,
// and no comment held back by the creator's keyword filter (nor the replies under one).
// Precisely:
//   - account_stats.followers: accepted follows by active accounts;
//   - account_stats.following: accepted follows of active accounts;
//   - account_stats.likes and video_stats.likes: likes by active accounts;
//   - comments.like_count: comment likes by active accounts;
//   - comments.reply_count: replies by active accounts that are not held;
//   - video_stats.comments: top-level comments by active accounts that are not held, each
//     with its reply_count.
//
// A write counts its row by the states of the accounts involved, read in its transaction
// (activeAccounts). When an account stops or starts being active, a trigger (migration
// 0009) moves everything it did off or onto the counters in the same transaction as the
// state change, whatever code changed the state (suspension, deletion, its cancellation).
// Viewers who see more or less than an anonymous visitor get the difference at read time
// from package social, bounded by their own blocks and comments.
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

// Relations is Relation of viewer to each of others at once, by their ID, in one query per
// batch of maxBatch IDs (each part a seek on a primary key); an ID that names no account
// is missing, as Relation finds nothing for it.
func (s *Social) Relations(ctx context.Context, viewer string, others []string) (map[string]RelationRow, error) {
	out := make(map[string]RelationRow, len(others))
	for len(others) > 0 {
		n := min(len(others), maxBatch)
		in, args := idList(others[:n])
		others = others[n:]
		type row struct {
			id string
			r  RelationRow
		}
		rows, err := queryAll(ctx, s.db.reader(), func(sc scanner) (row, error) {
			var r row
			rd := relationDest{r: &r.r}
			err := sc.Scan(append([]any{&r.id}, rd.dest()...)...)
			rd.done()
			return r, err
		}, `SELECT a.id, `+relationCols+` FROM accounts a WHERE a.id IN (`+in+`)`, relationArgs(viewer, args)...)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.id] = r.r
		}
	}
	return out, nil
}

// relationCols are the viewer's relation to the account aliased a, as RelationRow holds it:
// five columns whose five parameters are the viewer (relationArgs), scanned by relationDest.
const relationCols = `(SELECT state FROM follows WHERE follower_id = ? AND followee_id = a.id),
	(SELECT state FROM follows WHERE follower_id = a.id AND followee_id = ?),
	EXISTS (SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = a.id),
	EXISTS (SELECT 1 FROM blocks WHERE blocker_id = a.id AND blocked_id = ?),
	EXISTS (SELECT 1 FROM mutes WHERE muter_id = ? AND muted_id = a.id)`

// relationArgs puts relationCols' parameters before a query's own args.
func relationArgs(viewer string, args []any) []any {
	return append([]any{viewer, viewer, viewer, viewer, viewer}, args...)
}

// relationDest scans relationCols into r; call done after the scan.
type relationDest struct {
	r     *RelationRow
	f, fb sql.NullString
}

func (d *relationDest) dest() []any {
	return []any{&d.f, &d.fb, &d.r.Blocking, &d.r.BlockedBy, &d.r.Muting}
}

func (d *relationDest) done() { d.r.Following, d.r.FollowedBy = d.f.String, d.fb.String }

// activeAccounts reads which of the accounts are active, inside tx, before it changes any
// counter. On PostgreSQL it holds a share lock on their rows until the transaction ends: a
// concurrent change of state (whose trigger moves what the account did off or onto the
// counters) either waits for this transaction and then sees its row, or runs first and this
// one reads the new state. Either way a row is counted exactly when its accounts are active
// at commit. SQLite has one writer, so the read alone is enough. Rows are locked in ID
// order, so two writes that lock the same accounts take them in the same order.
func activeAccounts(ctx context.Context, tx *Tx, ids ...string) (map[string]bool, error) {
	return lockAccounts(ctx, tx, "FOR SHARE", ids...)
}

// lockAccounts is activeAccounts with the lock it takes on PostgreSQL named: FOR SHARE, or
// FOR NO KEY UPDATE for a change that the share lockers must wait for (see Block).
func lockAccounts(ctx context.Context, tx *Tx, lock string, ids ...string) (map[string]bool, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	// Every row is locked and the state filtered here: a state condition in the query could
	// skip locking a row whose state a concurrent transaction is changing.
	q := `SELECT id, state FROM accounts WHERE id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + `) ORDER BY id`
	if tx.d.Dialect == Postgres {
		q += ` ` + lock
	}
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]bool, len(ids))
	for rows.Next() {
		var id, state string
		if err := rows.Scan(&id, &state); err != nil {
			return nil, err
		}
		out[id] = state == "active"
	}
	return out, rows.Err()
}

// counted is 1 when every flag holds, 0 otherwise: the share of a row in a counter.
func counted(flags ...bool) int {
	for _, f := range flags {
		if !f {
			return 0
		}
	}
	return 1
}

func bump(ctx context.Context, tx *Tx, table, key, id, col string, delta int) error {
	if delta == 0 {
		return nil
	}
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
	want := "accepted"
	if pending {
		want = "pending"
	}
	var state string
	var changed bool
	err := s.db.InTx(ctx, func(tx *Tx) error {
		state, changed = want, false // afresh on every run (see InTx)
		active, err := activeAccounts(ctx, tx, follower, followee)
		if err != nil {
			return err
		}
		// The service checked for a block before this transaction; one that committed since
		// must still win. On PostgreSQL a block holds both accounts' rows against the share
		// lock just taken, so it either committed before this read or waits for this
		// transaction and then deletes the follow (see Block).
		var blocked bool
		if err := tx.row(ctx, `SELECT EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?))`,
			follower, followee, followee, follower).Scan(&blocked); err != nil {
			return classify(err)
		}
		if blocked {
			return ErrBlocked
		}
		// On PostgreSQL a follow that conflicts may be deleted by an unfollow or a block
		// that commits between the insert and the read; the insert is then tried again.
		for attempt := 0; ; attempt++ {
			res, err := tx.exec(ctx, `INSERT INTO follows (follower_id, followee_id, state, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				follower, followee, state, ms(now))
			if err != nil {
				return classify(err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				break
			}
			var was string
			err = tx.row(ctx, `SELECT state FROM follows WHERE follower_id = ? AND followee_id = ?`, follower, followee).Scan(&was)
			if errors.Is(err, sql.ErrNoRows) && attempt < 3 {
				continue
			}
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("follow %s → %s: deleted and recreated under the insert four times", follower, followee)
			}
			state = was
			return err
		}
		changed = true
		if state == "accepted" {
			return followCounts(ctx, tx, follower, followee, 1, active)
		}
		return nil
	})
	return state, changed, err
}

// followCounts counts an accepted follow on the followee's followers (when the follower is
// active) and the follower's following (when the followee is), in ID order.
func followCounts(ctx context.Context, tx *Tx, follower, followee string, delta int, active map[string]bool) error {
	bumps := []struct{ id, col, other string }{{follower, "following", followee}, {followee, "followers", follower}}
	if follower > followee {
		bumps[0], bumps[1] = bumps[1], bumps[0]
	}
	for _, b := range bumps {
		if err := bumpAccount(ctx, tx, b.id, b.col, delta*counted(active[b.other])); err != nil {
			return err
		}
	}
	return nil
}

// Unfollow removes follower → followee (a follow or a pending request) and reports what it was.
func (s *Social) Unfollow(ctx context.Context, follower, followee string) (string, error) {
	var was string
	err := s.db.InTx(ctx, func(tx *Tx) error {
		active, err := activeAccounts(ctx, tx, follower, followee)
		if err != nil {
			return err
		}
		was, err = unfollowTx(ctx, tx, follower, followee, active)
		return err
	})
	return was, err
}

func unfollowTx(ctx context.Context, tx *Tx, follower, followee string, active map[string]bool) (string, error) {
	var was string
	err := tx.row(ctx, `DELETE FROM follows WHERE follower_id = ? AND followee_id = ? RETURNING state`, follower, followee).Scan(&was)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if was == "accepted" {
		return was, followCounts(ctx, tx, follower, followee, -1, active)
	}
	return was, nil
}

// Approve turns a pending request into a follow. ErrNotFound when there is no request.
func (s *Social) Approve(ctx context.Context, followee, follower string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		active, err := activeAccounts(ctx, tx, follower, followee)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE follows SET state = 'accepted' WHERE follower_id = ? AND followee_id = ? AND state = 'pending'`, follower, followee)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return followCounts(ctx, tx, follower, followee, 1, active)
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
		if len(ids) == 0 {
			return nil
		}
		active, err := activeAccounts(ctx, tx, append(ids, followee)...)
		if err != nil {
			return err
		}
		followers := 0
		for _, id := range ids {
			if _, err := tx.exec(ctx, `UPDATE follows SET state = 'accepted' WHERE follower_id = ? AND followee_id = ?`, id, followee); err != nil {
				return err
			}
			followers += counted(active[id])
			if err := bumpAccount(ctx, tx, id, "following", counted(active[followee])); err != nil {
				return err
			}
		}
		return bumpAccount(ctx, tx, followee, "followers", followers)
	})
}

// Ended is what a block ended: the follow (or request) of the blocker to the blocked
// account and the one of the blocked account to the blocker, each "", "accepted" or
// "pending".
type Ended struct{ Following, FollowedBy string }

// Block records blocker → blocked and removes follows both ways, in one transaction, and
// says which it removed: those, and only those, are the unfollows to log. On PostgreSQL it
// locks both accounts' rows FOR NO KEY UPDATE, which a Follow's share lock on them
// conflicts with: a follow that began first commits before the block deletes it, and one
// that begins later sees the block and is refused.
func (s *Social) Block(ctx context.Context, blocker, blocked string, now time.Time) (Ended, error) {
	var ended Ended
	err := s.db.InTx(ctx, func(tx *Tx) error {
		ended = Ended{} // afresh on every run (see InTx)
		active, err := lockAccounts(ctx, tx, "FOR NO KEY UPDATE", blocker, blocked)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, blocker, blocked, ms(now)); err != nil {
			return err
		}
		if ended.Following, err = unfollowTx(ctx, tx, blocker, blocked, active); err != nil {
			return err
		}
		ended.FollowedBy, err = unfollowTx(ctx, tx, blocked, blocker, active)
		return err
	})
	return ended, err
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

// pruneBatch is how many notifications one DELETE of PruneNotifications removes, so that no
// single statement holds the write lock for long.
const pruneBatch = 1000

// PruneNotifications deletes the notifications created before before and returns how many.
func (s *Social) PruneNotifications(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.db.writer().exec(ctx, `DELETE FROM notifications WHERE id IN
			(SELECT id FROM notifications WHERE created_at < ? LIMIT ?)`, ms(before), pruneBatch)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// Unmute removes a mute.
func (s *Social) Unmute(ctx context.Context, muter, muted string) error {
	_, err := s.db.writer().exec(ctx, `DELETE FROM mutes WHERE muter_id = ? AND muted_id = ?`, muter, muted)
	return err
}

// FollowList pages through the accounts following (followers=true) or followed by an
// account, in the given state, by account ID descending. With blockedID set it leaves out
// the accounts that blocked that account (a viewer they are hidden from), at the cost of one
// primary-key probe of blocks per row read.
func (s *Social) FollowList(ctx context.Context, accountID string, followers bool, state, blockedID, after string, limit int) ([]*AccountRow, error) {
	q, args := followListQuery(accountID, followers, state, blockedID, after, limit)
	return queryAll(ctx, s.db.reader(), scanAccount, q, args...)
}

// followListQuery is FollowList's query. It orders and bounds by the follows column, so an
// index hands over the page in order from the cursor on (the primary key for the following
// list, follows_followee_page for the followers) instead of every follow of the account
// being read and sorted; the same bound on a.id lets PostgreSQL's merge join start at the
// cursor on both sides. The two columns are equal through the join, so the order is the
// account ID's either way.
func followListQuery(accountID string, followers bool, state, blockedID, after string, limit int) (string, []any) {
	join, where := "f.follower_id", "f.followee_id"
	if !followers {
		join, where = "f.followee_id", "f.follower_id"
	}
	q := `SELECT ` + prefixCols("a", accountCols) + `
		FROM follows f JOIN accounts a ON a.id = ` + join + `
		WHERE ` + where + ` = ? AND f.state = ? AND a.state = 'active'`
	args := []any{accountID, state}
	if blockedID != "" {
		q += ` AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ` + join + ` AND b.blocked_id = ?)`
		args = append(args, blockedID)
	}
	if after != "" {
		q += ` AND ` + join + ` < ? AND a.id < ?`
		args = append(args, after, after)
	}
	q += ` ORDER BY ` + join + ` DESC LIMIT ?`
	args = append(args, limit)
	return q, args
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

// FollowFact is an account across a block with a viewer, how it stands to the viewer, and
// whether it follows a given account or is followed by it (accepted follows only).
type FollowFact struct {
	ID, Role, State     string
	Private             bool
	Follower, Followee  bool
	Blocking, BlockedBy bool // the viewer blocked it; it blocked the viewer
}

// FollowFacts returns the accounts across a block with viewer that follow accountID or that
// accountID follows: the only accounts that a follower list can show differently to viewer
// than to an anonymous visitor. It costs what the viewer's blocks number.
func (s *Social) FollowFacts(ctx context.Context, accountID, viewer string) ([]FollowFact, error) {
	facts, err := queryAll(ctx, s.db.reader(), func(sc scanner) (FollowFact, error) {
		var f FollowFact
		err := sc.Scan(&f.ID, &f.Role, &f.State, &f.Private, &f.Follower, &f.Followee, &f.Blocking, &f.BlockedBy)
		return f, err
	}, `SELECT a.id, a.role, a.state, a.private,
		EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = a.id AND f.followee_id = ? AND f.state = 'accepted'),
		EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ? AND f.followee_id = a.id AND f.state = 'accepted'),
		EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = a.id),
		EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = a.id AND b.blocked_id = ?)
		FROM accounts a WHERE a.id IN (SELECT blocked_id FROM blocks WHERE blocker_id = ? UNION SELECT blocker_id FROM blocks WHERE blocked_id = ?)`,
		accountID, accountID, viewer, viewer, viewer, viewer)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(facts, func(f FollowFact) bool { return !f.Follower && !f.Followee }), nil
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

// VideoStatsMany reads the counters of a page of videos, by video ID, in one query per batch
// of maxBatch IDs; a video without counters is missing, as VideoStats gives it zero.
func (s *Social) VideoStatsMany(ctx context.Context, ids []string) (map[string]VideoStats, error) {
	out := make(map[string]VideoStats, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), maxBatch)
		in, args := idList(ids[:n])
		ids = ids[n:]
		type row struct {
			id string
			st VideoStats
		}
		rows, err := queryAll(ctx, s.db.reader(), func(sc scanner) (row, error) {
			var r row
			err := sc.Scan(&r.id, &r.st.Likes, &r.st.Comments, &r.st.Shares, &r.st.Views)
			return r, err
		}, `SELECT video_id, likes, comments, shares, views FROM video_stats WHERE video_id IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.id] = r.st
		}
	}
	return out, nil
}

// Like records a like once; liking twice changes nothing. It reports whether it was new.
func (s *Social) Like(ctx context.Context, accountID, videoID, ownerID string, now time.Time) (bool, error) {
	var added bool
	err := s.db.InTx(ctx, func(tx *Tx) error {
		added = false // afresh on every run (see InTx)
		active, err := activeAccounts(ctx, tx, accountID)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `INSERT INTO likes (video_id, account_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, videoID, accountID, ms(now))
		if err != nil {
			return classify(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		return likeCounts(ctx, tx, videoID, ownerID, counted(active[accountID]))
	})
	return added, err
}

// Unlike removes a like; unliking twice changes nothing.
func (s *Social) Unlike(ctx context.Context, accountID, videoID, ownerID string) (bool, error) {
	var removed bool
	err := s.db.InTx(ctx, func(tx *Tx) error {
		removed = false // afresh on every run (see InTx)
		active, err := activeAccounts(ctx, tx, accountID)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM likes WHERE video_id = ? AND account_id = ?`, videoID, accountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		removed = true
		return likeCounts(ctx, tx, videoID, ownerID, -counted(active[accountID]))
	})
	return removed, err
}

func likeCounts(ctx context.Context, tx *Tx, videoID, ownerID string, delta int) error {
	if err := bumpVideo(ctx, tx, videoID, "likes", delta); err != nil {
		return err
	}
	return bumpAccount(ctx, tx, ownerID, "likes", delta)
}

// Liked reports whether an account likes a video.
func (s *Social) Liked(ctx context.Context, accountID, videoID string) (bool, error) {
	var n int
	err := s.db.reader().row(ctx, `SELECT COUNT(*) FROM likes WHERE video_id = ? AND account_id = ?`, videoID, accountID).Scan(&n)
	return n > 0, err
}

// LikedMany reports which of a page of videos an account likes: the set of their IDs, in
// one query per batch of maxBatch IDs (each a seek on the likes' primary key).
func (s *Social) LikedMany(ctx context.Context, accountID string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(ids) > 0 {
		n := min(len(ids), maxBatch)
		in, args := idList(ids[:n])
		ids = ids[n:]
		err := pairs(ctx, s.db.reader(), `SELECT video_id, account_id FROM likes WHERE account_id = ? AND video_id IN (`+in+`)`,
			append([]any{accountID}, args...), func(id, _ string) { out[id] = true })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
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
// An account that is not active (deleting, suspended) was taken off the counters when its
// state changed, so then only its rows go.
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
		active, err := activeAccounts(ctx, tx, accountID)
		if err != nil {
			return err
		}
		var steps []string
		if active[accountID] {
			steps = append(steps,
				`UPDATE comments SET like_count = like_count - 1 WHERE id IN (SELECT comment_id FROM comment_likes WHERE account_id = ?)`,
				`UPDATE video_stats SET likes = likes - 1 WHERE video_id IN (SELECT video_id FROM likes WHERE account_id = ?)`,
				`UPDATE account_stats SET likes = likes - (SELECT COUNT(*) FROM likes l JOIN videos v ON v.id = l.video_id
					WHERE l.account_id = ? AND v.account_id = account_stats.account_id)
				WHERE account_id IN (SELECT v.account_id FROM likes l JOIN videos v ON v.id = l.video_id WHERE l.account_id = ?)`,
				`UPDATE account_stats SET followers = followers - 1 WHERE account_id IN (SELECT followee_id FROM follows WHERE follower_id = ? AND state = 'accepted')`,
				`UPDATE account_stats SET following = following - 1 WHERE account_id IN (SELECT follower_id FROM follows WHERE followee_id = ? AND state = 'accepted')`)
		}
		steps = append(steps,
			`DELETE FROM comment_likes WHERE account_id = ?`,
			`DELETE FROM likes WHERE account_id = ?`,
			`DELETE FROM follows WHERE follower_id = ? OR followee_id = ?`,
			`DELETE FROM blocks WHERE blocker_id = ? OR blocked_id = ?`,
			`DELETE FROM mutes WHERE muter_id = ? OR muted_id = ?`,
			`DELETE FROM notifications WHERE account_id = ? OR actor_id = ?`,
			`DELETE FROM comment_filters WHERE account_id = ?`,
			`DELETE FROM account_stats WHERE account_id = ?`)
		for _, q := range steps {
			args := make([]any, strings.Count(q, "?"))
			for i := range args {
				args[i] = accountID
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
