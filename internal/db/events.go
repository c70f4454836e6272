package db

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"time"
)

// EventRow is one entry of the engagement log.
type EventRow struct {
	Seq        int64
	At         time.Time // when the server accepted it
	ClientAt   time.Time // when the client says it happened
	Kind       string
	AccountID  string // "" for anonymous viewers
	SessionID  string
	IdemKey    string // "" for server-side events
	VideoID    string
	CreatorID  string
	Hashtag    string
	Target     string
	Feed       string // for_you | following | trending | profile | hashtag | search | direct
	WatchMS    int64
	PositionMS int64
	DurationMS int64
	Extra      string
}

// Events is the append-only event log.
type Events struct{ db *DB }

// Events returns the event log store.
func (d *DB) Events() *Events { return &Events{db: d} }

// Append writes events in one transaction and returns how many were new: an event whose
// idempotency key is already in the log (or earlier in the same batch) is skipped, so a
// client may resend a batch safely. Views are counted here, as the log is written, so the
// counter is derived from the log and exact: the rows come back from a multi-row INSERT …
// ON CONFLICT DO NOTHING RETURNING only if they were inserted, and only those play_starts
// count. On PostgreSQL an advisory lock orders appends, so a reader that follows seq
// never skips an event committed late.
func (s *Events) Append(ctx context.Context, rows []*EventRow) (int, error) {
	added := 0
	err := s.db.InTx(ctx, func(tx *Tx) error {
		added = 0
		if s.db.Dialect == Postgres {
			if _, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(7212012)`); err != nil {
				return err
			}
		}
		views := map[string]int{}
		for start := 0; start < len(rows); start += appendChunk {
			n, err := insertEvents(ctx, tx, rows[start:min(start+appendChunk, len(rows))], views)
			if err != nil {
				return err
			}
			added += n
		}
		return countViews(ctx, tx, views)
	})
	return added, err
}

// appendChunk is how many events one INSERT writes (15 parameters each).
const appendChunk = 200

const eventRowParams = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// insertEvents inserts rows with one statement and adds the new play_starts to views, by
// video. It returns how many rows were inserted.
func insertEvents(ctx context.Context, tx *Tx, rows []*EventRow, views map[string]int) (int, error) {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (at, client_at, kind, account_id, session_id, idem_key, video_id, creator_id,
		hashtag, target, feed, watch_ms, position_ms, duration_ms, extra) VALUES `)
	args := make([]any, 0, len(rows)*15)
	for i, e := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(eventRowParams)
		args = append(args, ms(e.At), ms(e.ClientAt), e.Kind, nullStr(e.AccountID), e.SessionID, nullStr(e.IdemKey), nullStr(e.VideoID),
			e.CreatorID, e.Hashtag, e.Target, e.Feed, e.WatchMS, e.PositionMS, e.DurationMS, e.Extra)
	}
	b.WriteString(` ON CONFLICT DO NOTHING RETURNING kind, video_id`)
	res, err := tx.query(ctx, b.String(), args...)
	if err != nil {
		return 0, classify(err)
	}
	defer res.Close()
	n := 0
	for res.Next() {
		var kind string
		var vid sql.NullString
		if err := res.Scan(&kind, &vid); err != nil {
			return 0, err
		}
		n++
		if kind == "play_start" && vid.String != "" {
			views[vid.String]++
		}
	}
	if err := res.Err(); err != nil {
		return 0, classify(err)
	}
	return n, nil
}

// countViews adds the new views to video_stats, one row per video, in video order so two
// writers lock the rows in the same order.
func countViews(ctx context.Context, tx *Tx, views map[string]int) error {
	if len(views) == 0 {
		return nil
	}
	ids := make([]string, 0, len(views))
	for id := range views {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id, views[id]}
	}
	return upsert(ctx, tx, `INSERT INTO video_stats (video_id, views)`,
		`ON CONFLICT (video_id) DO UPDATE SET views = video_stats.views + excluded.views`, rows)
}

// Since returns up to limit events after seq, in order.
func (s *Events) Since(ctx context.Context, after int64, limit int) ([]*EventRow, error) {
	rows, err := s.db.reader().query(ctx, `SELECT seq, at, client_at, kind, account_id, session_id, idem_key, video_id, creator_id,
		hashtag, target, feed, watch_ms, position_ms, duration_ms, extra FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*EventRow
	for rows.Next() {
		var e EventRow
		var at, cat int64
		var acc, idem, vid sql.NullString
		if err := rows.Scan(&e.Seq, &at, &cat, &e.Kind, &acc, &e.SessionID, &idem, &vid, &e.CreatorID, &e.Hashtag, &e.Target,
			&e.Feed, &e.WatchMS, &e.PositionMS, &e.DurationMS, &e.Extra); err != nil {
			return nil, err
		}
		e.At, e.ClientAt, e.AccountID, e.IdemKey, e.VideoID = fromMS(at), fromMS(cat), acc.String, idem.String, vid.String
		out = append(out, &e)
	}
	return out, rows.Err()
}

// EraseAccount deletes an account's events and the events about its videos (their
// publication carries caption hashtags), for erasure.
func (s *Events) EraseAccount(ctx context.Context, accountID string) error {
	_, err := s.db.writer().exec(ctx, `DELETE FROM events WHERE account_id = ? OR creator_id = ?`, accountID, accountID)
	return err
}

// WatchEvent is one entry of an account's watch history, for its data export.
type WatchEvent struct {
	Kind       string    `json:"kind"`
	VideoID    string    `json:"video_id,omitempty"`
	Target     string    `json:"target,omitempty"`
	Hashtag    string    `json:"hashtag,omitempty"`
	Feed       string    `json:"feed,omitempty"`
	WatchMS    int64     `json:"watch_ms,omitempty"`
	PositionMS int64     `json:"position_ms,omitempty"`
	At         time.Time `json:"at"`
}

// History returns every event an account caused, oldest first.
func (s *Events) History(ctx context.Context, accountID string) ([]WatchEvent, error) {
	rows, err := s.db.reader().query(ctx, `SELECT kind, COALESCE(video_id, ''), target, hashtag, feed, watch_ms, position_ms, client_at
		FROM events WHERE account_id = ? ORDER BY seq`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []WatchEvent{}
	for rows.Next() {
		var e WatchEvent
		var at int64
		if err := rows.Scan(&e.Kind, &e.VideoID, &e.Target, &e.Hashtag, &e.Feed, &e.WatchMS, &e.PositionMS, &at); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
