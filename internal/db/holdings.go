package db

import "context"

// Holdings counts what kurz stores about one account, table by table, for the account's
// "what we store about you" page. One read; each count follows an index that starts with
// the account (uploads and invites, small by nature, have none and are read whole).
type Holdings struct{ db *DB }

// Holdings returns the holdings counter.
func (d *DB) Holdings() *Holdings { return &Holdings{db: d} }

// HoldingCounts are the rows and bytes kurz holds about one account.
type HoldingCounts struct {
	Videos           int64 // video records, whatever their state
	VideoFiles       int64 // renditions (the original among them) and posters
	VideoBytes       int64 // bytes of the renditions
	Uploads          int64 // resumable uploads not finished yet
	Comments         int64 // comments and replies written
	Likes            int64 // videos liked
	Following        int64 // accepted follows of others
	Followers        int64 // accepted follows by others
	RequestsSent     int64 // follow requests waiting for others
	RequestsReceived int64 // follow requests waiting for this account
	Blocked          int64 // accounts this account blocked
	Muted            int64 // accounts this account muted
	CommentFilters   int64 // keywords that hold back comments on its videos
	Events           int64 // entries of the event log it caused
	PlaysInProgress  int64 // analytics' open plays of its watching
	Notifications    int64 // notifications received
	AnalyticsDays    int64 // creator analytics rows: video days and follower days
	Invites          int64 // invitations it created or signed up with
}

// Count reads an account's holdings.
func (s *Holdings) Count(ctx context.Context, accountID string) (*HoldingCounts, error) {
	var c HoldingCounts
	const n = 19
	args := make([]any, n)
	for i := range args {
		args[i] = accountID
	}
	err := s.db.reader().row(ctx, `SELECT
		(SELECT COUNT(*) FROM videos WHERE account_id = ?),
		(SELECT COUNT(*) FROM renditions r JOIN videos v ON v.id = r.video_id WHERE v.account_id = ?)
			+ (SELECT COUNT(*) FROM videos WHERE account_id = ? AND poster_key <> ''),
		(SELECT CAST(COALESCE(SUM(r.bytes), 0) AS BIGINT) FROM renditions r JOIN videos v ON v.id = r.video_id WHERE v.account_id = ?),
		(SELECT COUNT(*) FROM uploads WHERE account_id = ?),
		(SELECT COUNT(*) FROM comments WHERE account_id = ?),
		(SELECT COUNT(*) FROM likes WHERE account_id = ?),
		(SELECT COUNT(*) FROM follows WHERE follower_id = ? AND state = 'accepted'),
		(SELECT COUNT(*) FROM follows WHERE followee_id = ? AND state = 'accepted'),
		(SELECT COUNT(*) FROM follows WHERE follower_id = ? AND state = 'pending'),
		(SELECT COUNT(*) FROM follows WHERE followee_id = ? AND state = 'pending'),
		(SELECT COUNT(*) FROM blocks WHERE blocker_id = ?),
		(SELECT COUNT(*) FROM mutes WHERE muter_id = ?),
		(SELECT COUNT(*) FROM comment_filters WHERE account_id = ?),
		(SELECT COUNT(*) FROM events WHERE account_id = ?),
		(SELECT COUNT(*) FROM analytics_plays WHERE account_id = ?),
		(SELECT COUNT(*) FROM notifications WHERE account_id = ?),
		(SELECT COUNT(*) FROM analytics_days WHERE creator_id = ?)
			+ (SELECT COUNT(*) FROM analytics_follower_days WHERE account_id = ?)`,
		args...).Scan(&c.Videos, &c.VideoFiles, &c.VideoBytes, &c.Uploads, &c.Comments, &c.Likes, &c.Following, &c.Followers,
		&c.RequestsSent, &c.RequestsReceived, &c.Blocked, &c.Muted, &c.CommentFilters, &c.Events, &c.PlaysInProgress,
		&c.Notifications, &c.AnalyticsDays)
	if err != nil {
		return nil, err
	}
	// Invitations are few (administrators make them), and their table has no index by
	// account: read apart so the count above stays on indexes.
	err = s.db.reader().row(ctx, `SELECT COUNT(*) FROM invites WHERE created_by = ? OR used_by = ?`, accountID, accountID).Scan(&c.Invites)
	if err != nil {
		return nil, err
	}
	return &c, nil
}
