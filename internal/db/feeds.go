package db

import (
	"context"
	"math"
	"sort"
	"time"

	"kurz/internal/id"
)

// Feeds answers the feed queries that are plain SQL: the Following feed and the
// candidates of the Trending feed.
type Feeds struct{ db *DB }

// Feeds returns the feed store.
func (d *DB) Feeds() *Feeds { return &Feeds{db: d} }

// Following lists the newest ready videos of accounts the viewer follows (accepted), that a
// follower may see, newest first.
func (s *Feeds) Following(ctx context.Context, viewerID, after string, limit int) ([]string, error) {
	q := `SELECT v.id FROM follows f
		JOIN videos v ON v.account_id = f.followee_id
		JOIN accounts a ON a.id = v.account_id
		WHERE f.follower_id = ? AND f.state = 'accepted' AND v.state = 'ready' AND v.removed = ?
		AND v.visibility IN ('public', 'followers') AND a.state = 'active'
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = f.follower_id AND m.muted_id = v.account_id)`
	args := []any{viewerID, false}
	if after != "" {
		q += ` AND v.id < ?`
		args = append(args, after)
	}
	q += ` ORDER BY v.id DESC LIMIT ?`
	args = append(args, limit)
	return strings1(ctx, s.db.reader(), q, args...)
}

// TrendingVideo is one video of a region's Trending ranking.
type TrendingVideo struct {
	ID       string
	Language string
	Score    float64
}

// trendingWindow is how long after it became ready a video can trend.
const trendingWindow = 14 * 24 * time.Hour

// Trending ranks the public ready videos of a region's accounts from the last two weeks by
// decayed engagement rate: (2·likes + 3·comments + 4·shares) / (views + 10), halved for
// every day of age, best first (ties to the newer video). The rate (not the raw count) lets
// a small creator's well-liked video rise; the ten views of the denominator keep a video
// with one view and one like from outranking every proven one, and a video nobody engaged
// with scores 0, so fresh uploads without a reaction do not crowd the tab (For You's
// exploration is where they find their first audience); the decay keeps the page fresh. It reads every
// such video, so it is meant to be computed now and then and shared (feed does), not per
// request. The scan runs on the videos_ready index from the ID of the window's start less
// madeBeforeReady, the longest a video may have been made (its upload begun: IDs sort by
// that) before it became ready.
func (s *Feeds) Trending(ctx context.Context, region string, now time.Time, madeBeforeReady time.Duration) ([]TrendingVideo, error) {
	rows, err := s.db.reader().query(ctx, `SELECT v.id, v.ready_at, COALESCE(st.likes, 0), COALESCE(st.comments, 0),
		COALESCE(st.shares, 0), COALESCE(st.views, 0), v.language
		FROM videos v JOIN accounts a ON a.id = v.account_id
		LEFT JOIN video_stats st ON st.video_id = v.id
		WHERE v.state = 'ready' AND v.id >= ? AND v.removed = ? AND v.visibility = 'public' AND a.state = 'active' AND a.region = ?
		AND v.ready_at > ?`, id.Floor(now.Add(-trendingWindow-madeBeforeReady)), false, region, ms(now.Add(-trendingWindow)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []TrendingVideo
	for rows.Next() {
		var t TrendingVideo
		var ready, likes, comments, shares, views int64
		if err := rows.Scan(&t.ID, &ready, &likes, &comments, &shares, &views, &t.Language); err != nil {
			return nil, err
		}
		age := now.Sub(fromMS(ready)).Hours() / 24
		rate := float64(2*likes+3*comments+4*shares) / float64(views+10)
		t.Score = rate * math.Pow(0.5, max(age, 0))
		all = append(all, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Score != all[j].Score {
			return all[i].Score > all[j].Score
		}
		return all[i].ID > all[j].ID
	})
	return all, nil
}

// Marks returns what the viewer marked not interested (creators, videos, hashtags), for
// taking a mark back. Marks and their undoing (not_interested_undo) are read in log order,
// so the last word on each counts. The feeds themselves ask the recommender, which holds
// the same marks.
func (s *Feeds) Marks(ctx context.Context, viewerID string) (creators, videos, hashtags map[string]bool, err error) {
	creators, videos, hashtags = map[string]bool{}, map[string]bool{}, map[string]bool{}
	rows, err := s.db.reader().query(ctx, `SELECT kind, target, creator_id, COALESCE(video_id, ''), hashtag FROM events
		WHERE account_id = ? AND kind IN ('not_interested', 'not_interested_undo') ORDER BY seq`, viewerID)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, target, creator, video, tag string
		if err := rows.Scan(&kind, &target, &creator, &video, &tag); err != nil {
			return nil, nil, nil, err
		}
		set, key := videos, video
		switch target {
		case "creator":
			set, key = creators, creator
		case "hashtag":
			set, key = hashtags, tag
		}
		if kind == "not_interested" {
			set[key] = true
		} else {
			delete(set, key)
		}
	}
	return creators, videos, hashtags, rows.Err()
}

// Hidden returns the accounts whose videos never appear in the viewer's feeds: blocked
// either way, or muted.
func (s *Feeds) Hidden(ctx context.Context, viewerID string) (map[string]bool, error) {
	ids, err := strings1(ctx, s.db.reader(), `SELECT blocked_id FROM blocks WHERE blocker_id = ?
		UNION SELECT blocker_id FROM blocks WHERE blocked_id = ?
		UNION SELECT muted_id FROM mutes WHERE muter_id = ?`, viewerID, viewerID, viewerID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
