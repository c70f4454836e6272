package db

import (
	"context"
	"database/sql"
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
// idempotency key is already in the log is skipped, so a client may resend a batch safely.
// Views are counted here, as the log is written, so the counter is derived from the log
// and exact. On PostgreSQL an advisory lock orders appends, so a reader that follows seq
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
		for _, e := range rows {
			res, err := tx.exec(ctx, `INSERT INTO events (at, client_at, kind, account_id, session_id, idem_key, video_id, creator_id,
				hashtag, target, feed, watch_ms, position_ms, duration_ms, extra)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				ms(e.At), ms(e.ClientAt), e.Kind, nullStr(e.AccountID), e.SessionID, nullStr(e.IdemKey), nullStr(e.VideoID),
				e.CreatorID, e.Hashtag, e.Target, e.Feed, e.WatchMS, e.PositionMS, e.DurationMS, e.Extra)
			if err != nil {
				return classify(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			added++
			if e.Kind == "play_start" && e.VideoID != "" {
				if err := bumpVideo(ctx, tx, e.VideoID, "views", 1); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return added, err
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
