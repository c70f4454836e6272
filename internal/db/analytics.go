package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Creator analytics are aggregates folded from the event log: per video and UTC day (with
// its plays by feed), a retention histogram per video and follower changes per account per
// day. The video tables are keyed by creator first (migration 0017), so each question
// names the creator, and a fold dirties few pages. They
// hold no viewer ids. The tailer reads the log after the cursor, works out what the events
// add (package analytics) and writes that and the new cursor in one transaction, so an
// event is folded exactly once even if the process dies half-way.

// analyticsCursor names the tailer's row in analytics_cursor.
const analyticsCursor = "creator"

// VideoDayRow is what one video gained on one day. Folding adds rows; reading sums them.
type VideoDayRow struct {
	VideoID, CreatorID string
	Day                int64 // days since 1970-01-01, UTC
	Views              int64 // play_start events
	Plays              int64 // watch sessions begun
	WatchMS            int64
	Completes          int64
	Likes              int64 // likes less unlikes
	Shares             int64
	Comments           int64
	ByFeed             [len(AnalyticsFeeds)]int64 // plays begun from each of AnalyticsFeeds
}

// AnalyticsFeeds are the feeds traffic is counted by, in the order of VideoDayRow.ByFeed;
// a play from any other counts as "other". Each is a from_<feed> column of analytics_days.
var AnalyticsFeeds = [...]string{"for_you", "following", "trending", "profile", "hashtag", "search", "direct", "other"}

// feedCols are the from_<feed> columns, feedAdd the upsert's SET clause that adds a
// delta's plays to them, and feedSums their sums for reading.
var feedCols, feedAdd, feedSums = func() (string, string, string) {
	cols, add, sums := make([]string, len(AnalyticsFeeds)), make([]string, len(AnalyticsFeeds)), make([]string, len(AnalyticsFeeds))
	for i, f := range AnalyticsFeeds {
		cols[i] = "from_" + f
		add[i] = fmt.Sprintf("from_%s = analytics_days.from_%s + excluded.from_%s", f, f, f)
		sums[i] = fmt.Sprintf("COALESCE(SUM(from_%s), 0)", f)
	}
	return strings.Join(cols, ", "), strings.Join(add, ", "), strings.Join(sums, ", ")
}()

// RetentionRow is a video's retention curve, or what a batch adds to it: Plays[b] counts
// the plays that reached b × 5% of the duration. One row holds the whole curve, so folding
// a play to the end of a video writes one row rather than one per bucket.
type RetentionRow struct {
	VideoID, CreatorID string
	Plays              [RetentionBuckets]int64
}

// FollowerDayRow is an account's follows and unfollows on one day.
type FollowerDayRow struct {
	AccountID          string
	Day                int64
	Follows, Unfollows int64
}

// PlayRow is the play a player has in progress, kept between batches.
type PlayRow struct {
	Viewer     string // a hash of the player's session
	AccountID  string // "" for anonymous players; erasure finds the row by it
	VideoID    string
	CreatorID  string
	DurationMS int64
	FurthestMS int64
	WatchMS    int64
	LastAt     time.Time
}

// AnalyticsDelta is what a batch of events adds to the aggregates.
type AnalyticsDelta struct {
	VideoDays    []VideoDayRow
	Retention    []RetentionRow
	FollowerDays []FollowerDayRow
	Plays        []PlayRow // plays in progress after the batch, inserted or replaced
	EndedPlays   []string  // viewers whose play ended
}

// PlayLoader returns the plays in progress of the given players, by viewer.
type PlayLoader func(ctx context.Context, viewers []string) (map[string]*PlayRow, error)

// FoldFunc turns a batch of events into the aggregates it adds. It may load plays in
// progress; it must not keep the loader past its return. It may run more than once for a
// batch, as its transaction can (see DB.InTx), so it keeps nothing of a run.
type FoldFunc func(ctx context.Context, events []*EventRow, plays PlayLoader) (*AnalyticsDelta, error)

// Analytics is the creator analytics store.
type Analytics struct{ db *DB }

// Analytics returns the creator analytics store.
func (d *DB) Analytics() *Analytics { return &Analytics{db: d} }

// Cursor is the seq of the last event folded.
func (s *Analytics) Cursor(ctx context.Context) (int64, error) {
	var seq int64
	err := s.db.reader().row(ctx, `SELECT seq FROM analytics_cursor WHERE name = ?`, analyticsCursor).Scan(&seq)
	return seq, classify(err)
}

// Pending reports whether the log has events the aggregates do not hold yet. It only reads,
// so an idle tailer does not take the write lock to find out.
func (s *Analytics) Pending(ctx context.Context) (bool, error) {
	var seq int64
	err := s.db.reader().row(ctx, `SELECT seq FROM events WHERE seq > (SELECT seq FROM analytics_cursor WHERE name = ?)
		ORDER BY seq LIMIT 1`, analyticsCursor).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// foldRead, when set (by tests only), runs between reading a fold's batch and its
// transaction.
var foldRead func()

// Fold folds up to limit events after the cursor with fold, writes what they add, forgets
// plays that were idle for playTTL before the batch's last event and moves the cursor, all
// in one transaction. Idleness is measured in log time, so replaying an old log ends the
// same plays as following it live did. It returns
// how many events it folded. Two tailers (two replicas) serialise on the cursor row, and
// the one that comes second folds the events after the first one's batch.
//
// The batch is read before the transaction, from a reader: on SQLite the transaction holds
// the one write lock every append waits for, and reading the events inside it took a fifth
// of the fold. Events are committed in seq order (one writer on SQLite, the appends'
// advisory lock on PostgreSQL), so a reader sees a prefix of the log, and the batch is the
// next one unless another tailer has moved the cursor or an erasure has deleted some of
// its events meanwhile; then it is read again inside.
func (s *Analytics) Fold(ctx context.Context, limit int, playTTL time.Duration, fold FoldFunc) (int, error) {
	var before int64
	if err := s.db.reader().row(ctx, `SELECT seq FROM analytics_cursor WHERE name = ?`, analyticsCursor).Scan(&before); err != nil {
		return 0, classify(err)
	}
	batch := func(q conn, cursor int64) ([]*EventRow, error) {
		return queryAll(ctx, q, scanEvent, `SELECT `+eventCols+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, cursor, limit)
	}
	read, err := batch(s.db.reader(), before)
	if err != nil || len(read) == 0 {
		return 0, err
	}
	if foldRead != nil {
		foldRead()
	}
	n := 0
	err = s.db.InTx(ctx, func(tx *Tx) error {
		n = 0
		// Lock the cursor row first: everything read after this sees the other tailers'
		// and erasers' committed work.
		if _, err := tx.exec(ctx, `UPDATE analytics_cursor SET seq = seq WHERE name = ?`, analyticsCursor); err != nil {
			return err
		}
		var cursor int64
		if err := tx.row(ctx, `SELECT seq FROM analytics_cursor WHERE name = ?`, analyticsCursor).Scan(&cursor); err != nil {
			return classify(err)
		}
		// Erasure deletes events under the same lock without moving the cursor: the batch
		// stands only if none of its events has gone since it was read. Nothing can join
		// it, as later commits have later seqs.
		events, stale := read, cursor != before
		if !stale {
			var left int
			if err := tx.row(ctx, `SELECT COUNT(*) FROM events WHERE seq > ? AND seq <= ?`, cursor, read[len(read)-1].Seq).Scan(&left); err != nil {
				return classify(err)
			}
			stale = left != len(read)
		}
		if stale {
			var err error
			if events, err = batch(tx.conn, cursor); err != nil {
				return err
			}
		}
		if len(events) == 0 {
			return nil
		}
		delta, err := fold(ctx, events, func(ctx context.Context, viewers []string) (map[string]*PlayRow, error) {
			return loadPlays(ctx, tx, viewers)
		})
		if err != nil {
			return err
		}
		if err := writeDelta(ctx, tx, delta); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM analytics_plays WHERE last_at < ?`, ms(events[len(events)-1].At.Add(-playTTL))); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE analytics_cursor SET seq = ? WHERE name = ?`, events[len(events)-1].Seq, analyticsCursor); err != nil {
			return err
		}
		n = len(events)
		return nil
	})
	return n, err
}

const eventCols = `seq, at, client_at, kind, account_id, session_id, idem_key, video_id, creator_id,
	hashtag, target, feed, watch_ms, position_ms, duration_ms, extra`

func scanEvent(sc scanner) (*EventRow, error) {
	var e EventRow
	var at, cat int64
	var acc, idem, vid sql.NullString
	if err := sc.Scan(&e.Seq, &at, &cat, &e.Kind, &acc, &e.SessionID, &idem, &vid, &e.CreatorID, &e.Hashtag, &e.Target,
		&e.Feed, &e.WatchMS, &e.PositionMS, &e.DurationMS, &e.Extra); err != nil {
		return nil, err
	}
	e.At, e.ClientAt, e.AccountID, e.IdemKey, e.VideoID = fromMS(at), fromMS(cat), acc.String, idem.String, vid.String
	return &e, nil
}

func loadPlays(ctx context.Context, tx *Tx, viewers []string) (map[string]*PlayRow, error) {
	out := map[string]*PlayRow{}
	const chunk = 200
	for start := 0; start < len(viewers); start += chunk {
		part := viewers[start:min(start+chunk, len(viewers))]
		q, args := inList(`SELECT viewer, account_id, video_id, creator_id, duration_ms, furthest_ms, watch_ms, last_at
			FROM analytics_plays WHERE 1 = 1`, "viewer", part, nil)
		rows, err := queryAll(ctx, tx.conn, func(sc scanner) (*PlayRow, error) {
			var p PlayRow
			var last int64
			err := sc.Scan(&p.Viewer, &p.AccountID, &p.VideoID, &p.CreatorID, &p.DurationMS, &p.FurthestMS, &p.WatchMS, &last)
			p.LastAt = fromMS(last)
			return &p, err
		}, q, args...)
		if err != nil {
			return nil, err
		}
		for _, p := range rows {
			out[p.Viewer] = p
		}
	}
	return out, nil
}

func writeDelta(ctx context.Context, tx *Tx, d *AnalyticsDelta) error {
	rows := func(n int, row func(i int) []any) [][]any {
		out := make([][]any, n)
		for i := range out {
			out[i] = row(i)
		}
		return out
	}
	err := upsert(ctx, tx, `INSERT INTO analytics_days (creator_id, day, video_id, views, plays, watch_ms, completes, likes, shares, comments, `+
		feedCols+`)`,
		`ON CONFLICT (creator_id, day, video_id) DO UPDATE SET
		views = analytics_days.views + excluded.views, plays = analytics_days.plays + excluded.plays,
		watch_ms = analytics_days.watch_ms + excluded.watch_ms, completes = analytics_days.completes + excluded.completes,
		likes = analytics_days.likes + excluded.likes, shares = analytics_days.shares + excluded.shares,
		comments = analytics_days.comments + excluded.comments, `+feedAdd,
		rows(len(d.VideoDays), func(i int) []any {
			r := d.VideoDays[i]
			out := make([]any, 0, 10+len(r.ByFeed))
			out = append(out, r.CreatorID, r.Day, r.VideoID, r.Views, r.Plays, r.WatchMS, r.Completes, r.Likes, r.Shares, r.Comments)
			for _, n := range r.ByFeed {
				out = append(out, n)
			}
			return out
		}))
	if err != nil {
		return err
	}
	err = upsert(ctx, tx, `INSERT INTO analytics_curves (creator_id, video_id, `+retentionCols+`)`,
		`ON CONFLICT (creator_id, video_id) DO UPDATE SET `+retentionAdd,
		rows(len(d.Retention), func(i int) []any {
			r := d.Retention[i]
			out := make([]any, 0, 2+RetentionBuckets)
			out = append(out, r.CreatorID, r.VideoID)
			for _, n := range r.Plays {
				out = append(out, n)
			}
			return out
		}))
	if err != nil {
		return err
	}
	err = upsert(ctx, tx, `INSERT INTO analytics_follower_days (account_id, day, follows, unfollows)`,
		`ON CONFLICT (account_id, day) DO UPDATE SET follows = analytics_follower_days.follows + excluded.follows,
		unfollows = analytics_follower_days.unfollows + excluded.unfollows`,
		rows(len(d.FollowerDays), func(i int) []any {
			r := d.FollowerDays[i]
			return []any{r.AccountID, r.Day, r.Follows, r.Unfollows}
		}))
	if err != nil {
		return err
	}
	for start := 0; start < len(d.EndedPlays); start += upsertChunk {
		part := d.EndedPlays[start:min(start+upsertChunk, len(d.EndedPlays))]
		q, args := inList(`DELETE FROM analytics_plays WHERE 1 = 1`, "viewer", part, nil)
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return upsert(ctx, tx, `INSERT INTO analytics_plays (viewer, account_id, video_id, creator_id, duration_ms, furthest_ms, watch_ms, last_at)`,
		`ON CONFLICT (viewer) DO UPDATE SET account_id = excluded.account_id,
		video_id = excluded.video_id, creator_id = excluded.creator_id, duration_ms = excluded.duration_ms,
		furthest_ms = excluded.furthest_ms, watch_ms = excluded.watch_ms, last_at = excluded.last_at`,
		rows(len(d.Plays), func(i int) []any {
			p := d.Plays[i]
			return []any{p.Viewer, p.AccountID, p.VideoID, p.CreatorID, p.DurationMS, p.FurthestMS, p.WatchMS, ms(p.LastAt)}
		}))
}

// upsertChunk is how many rows one statement writes.
const upsertChunk = 100

// upsert writes rows with one multi-row INSERT per chunk, so a batch costs a few round trips
// rather than one per row. Keys must be unique within rows (PostgreSQL refuses to update a
// row twice in one statement); the deltas are built from maps, so they are. When rows fill
// more than one chunk, the full-chunk statement is prepared once and run for each of them:
// SQLite would otherwise parse the long statement again for every chunk.
func upsert(ctx context.Context, tx *Tx, insert, onConflict string, rows [][]any) (err error) {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			if cerr := full.Close(); err == nil {
				err = cerr
			}
		}
	}()
	for start := 0; start < len(rows); start += upsertChunk {
		part := rows[start:min(start+upsertChunk, len(rows))]
		args := make([]any, 0, len(part)*len(part[0]))
		for _, r := range part {
			args = append(args, r...)
		}
		if len(part) == upsertChunk && len(rows) >= 2*upsertChunk {
			if full == nil {
				if full, err = tx.tx.PrepareContext(ctx, tx.d.Q(upsertSQL(insert, onConflict, len(part), len(part[0])))); err != nil {
					return err
				}
			}
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.exec(ctx, upsertSQL(insert, onConflict, len(part), len(part[0])), args...); err != nil {
			return err
		}
	}
	return nil
}

// upsertSQL is the statement that writes n rows of cols values each.
func upsertSQL(insert, onConflict string, n, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	var b strings.Builder
	b.WriteString(insert)
	b.WriteString(" VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	b.WriteString(" ")
	b.WriteString(onConflict)
	return b.String()
}

// DayTotals are summed aggregates of one day (or of a whole range, with Day unset).
type DayTotals struct {
	Day                                                       int64
	Views, Plays, WatchMS, Completes, Likes, Shares, Comments int64
}

const sumCols = `COALESCE(SUM(views), 0), COALESCE(SUM(plays), 0), COALESCE(SUM(watch_ms), 0), COALESCE(SUM(completes), 0),
	COALESCE(SUM(likes), 0), COALESCE(SUM(shares), 0), COALESCE(SUM(comments), 0)`

func scanDay(sc scanner) (DayTotals, error) {
	var t DayTotals
	err := sc.Scan(&t.Day, &t.Views, &t.Plays, &t.WatchMS, &t.Completes, &t.Likes, &t.Shares, &t.Comments)
	return t, err
}

// CreatorDays sums a creator's videos per day, for days from..to inclusive, oldest first.
// Days without activity are absent.
func (s *Analytics) CreatorDays(ctx context.Context, creatorID string, from, to int64) ([]DayTotals, error) {
	return queryAll(ctx, s.db.reader(), scanDay, `SELECT day, `+sumCols+` FROM analytics_days
		WHERE creator_id = ? AND day >= ? AND day <= ? GROUP BY day ORDER BY day`, creatorID, from, to)
}

// VideoDays is one video of a creator's aggregates per day, for days from..to inclusive,
// oldest first.
func (s *Analytics) VideoDays(ctx context.Context, creatorID, videoID string, from, to int64) ([]DayTotals, error) {
	return queryAll(ctx, s.db.reader(), scanDay, `SELECT day, `+sumCols+` FROM analytics_days
		WHERE creator_id = ? AND day >= ? AND day <= ? AND video_id = ? GROUP BY day ORDER BY day`, creatorID, from, to, videoID)
}

// FeedPlays is how many plays came from one feed.
type FeedPlays struct {
	Feed  string
	Plays int64
}

// feedPlays reads one row of feedSums: the plays per feed, most first (then by name),
// leaving out feeds without any.
func feedPlays(row *sql.Row) ([]FeedPlays, error) {
	var by [len(AnalyticsFeeds)]int64
	dest := make([]any, len(by))
	for i := range by {
		dest[i] = &by[i]
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	out := []FeedPlays{}
	for i, n := range by {
		if n > 0 {
			out = append(out, FeedPlays{Feed: AnalyticsFeeds[i], Plays: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Plays > out[j].Plays || (out[i].Plays == out[j].Plays && out[i].Feed < out[j].Feed)
	})
	return out, nil
}

// CreatorFeeds sums a creator's plays by feed over days from..to, most plays first.
func (s *Analytics) CreatorFeeds(ctx context.Context, creatorID string, from, to int64) ([]FeedPlays, error) {
	return feedPlays(s.db.reader().row(ctx, `SELECT `+feedSums+` FROM analytics_days
		WHERE creator_id = ? AND day >= ? AND day <= ?`, creatorID, from, to))
}

// VideoFeeds sums one video of a creator's plays by feed over days from..to, most plays
// first.
func (s *Analytics) VideoFeeds(ctx context.Context, creatorID, videoID string, from, to int64) ([]FeedPlays, error) {
	return feedPlays(s.db.reader().row(ctx, `SELECT `+feedSums+` FROM analytics_days
		WHERE creator_id = ? AND day >= ? AND day <= ? AND video_id = ?`, creatorID, from, to, videoID))
}

// VideoTotals is one video's aggregates summed over a range of days.
type VideoTotals struct {
	VideoID string
	DayTotals
}

// TopVideos returns a creator's videos with the most views over days from..to (plays
// break ties), at most limit of them.
func (s *Analytics) TopVideos(ctx context.Context, creatorID string, from, to int64, limit int) ([]VideoTotals, error) {
	return queryAll(ctx, s.db.reader(), func(sc scanner) (VideoTotals, error) {
		var v VideoTotals
		err := sc.Scan(&v.VideoID, &v.Views, &v.Plays, &v.WatchMS, &v.Completes, &v.Likes, &v.Shares, &v.Comments)
		return v, err
	}, `SELECT video_id, `+sumCols+` FROM analytics_days WHERE creator_id = ? AND day >= ? AND day <= ?
		GROUP BY video_id ORDER BY SUM(views) DESC, SUM(plays) DESC, video_id DESC LIMIT ?`, creatorID, from, to, limit)
}

// RetentionBuckets is the number of 5% steps of a video's duration, end included: bucket
// b counts the plays whose furthest position reached b × 5%.
const RetentionBuckets = 21

// retentionCols are the bucket columns of analytics_curves, b0 through b20, and
// retentionAdd the upsert's SET clause that adds a delta's curve to the stored one.
var retentionCols, retentionAdd = func() (string, string) {
	cols, add := make([]string, RetentionBuckets), make([]string, RetentionBuckets)
	for b := range cols {
		cols[b] = fmt.Sprintf("b%d", b)
		add[b] = fmt.Sprintf("b%d = analytics_curves.b%d + excluded.b%d", b, b, b)
	}
	return strings.Join(cols, ", "), strings.Join(add, ", ")
}()

// Retention returns the retention histogram of a creator's video: plays per bucket, 0
// through 20, all zero for a video no play has been folded for.
func (s *Analytics) Retention(ctx context.Context, creatorID, videoID string) ([RetentionBuckets]int64, error) {
	var out [RetentionBuckets]int64
	dest := make([]any, RetentionBuckets)
	for b := range out {
		dest[b] = &out[b]
	}
	err := s.db.reader().row(ctx, `SELECT `+retentionCols+` FROM analytics_curves WHERE creator_id = ? AND video_id = ?`,
		creatorID, videoID).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return [RetentionBuckets]int64{}, nil
	}
	return out, err
}

// FollowerDays is an account's follows and unfollows per day over from..to, oldest first.
func (s *Analytics) FollowerDays(ctx context.Context, accountID string, from, to int64) ([]FollowerDayRow, error) {
	return queryAll(ctx, s.db.reader(), func(sc scanner) (FollowerDayRow, error) {
		r := FollowerDayRow{AccountID: accountID}
		err := sc.Scan(&r.Day, &r.Follows, &r.Unfollows)
		return r, err
	}, `SELECT day, follows, unfollows FROM analytics_follower_days WHERE account_id = ? AND day >= ? AND day <= ? ORDER BY day`,
		accountID, from, to)
}

// EraseAccount removes an account's aggregates (its videos' and its followers') and the
// plays it has in progress, for erasure. It takes the tailer's cursor lock and deletes the
// account's events in the same transaction, so the tailer cannot fold them back between
// this eraser and the event log's own.
func (s *Analytics) EraseAccount(ctx context.Context, accountID string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE analytics_cursor SET seq = seq WHERE name = ?`, analyticsCursor); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM events WHERE account_id = ? OR creator_id = ?`,
			`DELETE FROM analytics_plays WHERE account_id = ? OR creator_id = ?`,
		} {
			if _, err := tx.exec(ctx, q, accountID, accountID); err != nil {
				return err
			}
		}
		for _, q := range []string{
			`DELETE FROM analytics_days WHERE creator_id = ?`,
			`DELETE FROM analytics_curves WHERE creator_id = ?`,
			`DELETE FROM analytics_follower_days WHERE account_id = ?`,
		} {
			if _, err := tx.exec(ctx, q, accountID); err != nil {
				return err
			}
		}
		return nil
	})
}
