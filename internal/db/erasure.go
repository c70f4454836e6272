package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrDeletionPending is returned when an account asks to be deleted a second time.
var ErrDeletionPending = errors.New("db: account deletion already pending")

// DeletionRow is an account waiting to be erased.
type DeletionRow struct {
	AccountID   string
	RequestedBy string // "owner", or the id of the administrator who deleted the account
	RequestedAt time.Time
	PurgeAt     time.Time
}

// Erasure is the store of pending account deletions and the final purge of the account.
type Erasure struct{ db *DB }

// Erasure returns the erasure store.
func (d *DB) Erasure() *Erasure { return &Erasure{db: d} }

// Schedule marks an account as deleting, ends all its sessions and records when it is to be
// purged, in one transaction. A second request is ErrDeletionPending unless immediate is
// set, which brings the purge forward instead (an administrator deleting at once). An
// unknown account is ErrNotFound.
func (s *Erasure) Schedule(ctx context.Context, r DeletionRow, immediate bool) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var state string
		if err := tx.row(ctx, `SELECT state FROM accounts WHERE id = ?`, r.AccountID).Scan(&state); err != nil {
			return classify(err)
		}
		var due int64
		err := tx.row(ctx, `SELECT purge_at FROM account_deletions WHERE account_id = ?`, r.AccountID).Scan(&due)
		switch {
		case err == nil && !immediate:
			return ErrDeletionPending
		case err == nil:
			if _, err := tx.exec(ctx, `UPDATE account_deletions SET purge_at = ?, requested_by = ? WHERE account_id = ?`,
				min(due, ms(r.PurgeAt)), r.RequestedBy, r.AccountID); err != nil {
				return err
			}
		case errors.Is(classify(err), ErrNotFound):
			if _, err := tx.exec(ctx, `INSERT INTO account_deletions (account_id, requested_by, requested_at, purge_at) VALUES (?, ?, ?, ?)`,
				r.AccountID, r.RequestedBy, ms(r.RequestedAt), ms(r.PurgeAt)); err != nil {
				return classify(err)
			}
		default:
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE accounts SET state = 'deleting', updated_at = ? WHERE id = ?`, ms(r.RequestedAt), r.AccountID); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DELETE FROM sessions WHERE account_id = ?`, r.AccountID)
		return err
	})
}

// Pending returns an account's pending deletion, or ErrNotFound.
func (s *Erasure) Pending(ctx context.Context, accountID string) (*DeletionRow, error) {
	r := DeletionRow{AccountID: accountID}
	var req, due int64
	err := s.db.reader().row(ctx, `SELECT requested_by, requested_at, purge_at FROM account_deletions WHERE account_id = ?`, accountID).
		Scan(&r.RequestedBy, &req, &due)
	if err != nil {
		return nil, classify(err)
	}
	r.RequestedAt, r.PurgeAt = fromMS(req), fromMS(due)
	return &r, nil
}

// Cancel withdraws a deletion the owner asked for, while its grace period runs, and makes
// the account active again. It returns when the deletion had been asked for, and false when
// there is nothing to cancel: no pending deletion, one an administrator made, or one whose
// grace period is over.
func (s *Erasure) Cancel(ctx context.Context, accountID string, now time.Time) (requestedAt time.Time, cancelled bool, err error) {
	err = s.db.InTx(ctx, func(tx *Tx) error {
		cancelled = false // afresh on every run (see InTx)
		var req int64
		err := tx.row(ctx, `DELETE FROM account_deletions WHERE account_id = ? AND requested_by = 'owner' AND purge_at > ?
			RETURNING requested_at`, accountID, ms(now)).Scan(&req)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		requestedAt, cancelled = fromMS(req), true
		_, err = tx.exec(ctx, `UPDATE accounts SET state = 'active', updated_at = ? WHERE id = ? AND state = 'deleting'`, ms(now), accountID)
		return err
	})
	return requestedAt, cancelled, err
}

// Due lists up to limit deletions whose purge time has come, oldest first.
func (s *Erasure) Due(ctx context.Context, now time.Time, limit int) ([]DeletionRow, error) {
	rows, err := s.db.reader().query(ctx, `SELECT account_id, requested_by, requested_at, purge_at FROM account_deletions
		WHERE purge_at <= ? ORDER BY purge_at, account_id LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DeletionRow
	for rows.Next() {
		var r DeletionRow
		var req, due int64
		if err := rows.Scan(&r.AccountID, &r.RequestedBy, &req, &due); err != nil {
			return nil, err
		}
		r.RequestedAt, r.PurgeAt = fromMS(req), fromMS(due)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PurgeAccount removes the account row and what this package keeps for it: vault row and
// log-in origins, sessions, exports and the pending deletion. Features with their own
// tables erase them first (their erasers run before this). Purging an account that is
// already gone is not an error, so a retried purge finishes.
//
// It sweeps the event log once more too: work that was in flight while the erasers ran (a
// processing job announcing a video it just finished) can have logged an event about the
// account after the events eraser. Once the account row is gone nothing can log another.
func (s *Erasure) PurgeAccount(ctx context.Context, accountID string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM events WHERE account_id = ? OR creator_id = ?`, accountID, accountID); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM vault_sessions WHERE account_id = ?`,
			`DELETE FROM vault WHERE account_id = ?`,
			`DELETE FROM sessions WHERE account_id = ?`,
			`DELETE FROM data_exports WHERE account_id = ?`,
			`DELETE FROM account_deletions WHERE account_id = ?`,
			`DELETE FROM invites WHERE created_by = ?`,
			`DELETE FROM accounts WHERE id = ?`,
		} {
			if _, err := tx.exec(ctx, q, accountID); err != nil {
				return err
			}
		}
		return nil
	})
}

// UploadsOf lists an account's unfinished uploads, for erasure: their partial files live
// outside the database, so they must be found before the rows go with the account.
func (s *Videos) UploadsOf(ctx context.Context, accountID string) ([]*UploadRow, error) {
	return queryAll(ctx, s.db.reader(), func(sc scanner) (*UploadRow, error) {
		var u UploadRow
		var c, e int64
		if err := sc.Scan(&u.ID, &u.AccountID, &u.VideoID, &u.Length, &u.Offset, &c, &e); err != nil {
			return nil, err
		}
		u.CreatedAt, u.ExpiresAt = fromMS(c), fromMS(e)
		return &u, nil
	}, `SELECT id, account_id, video_id, length, "offset", created_at, expires_at FROM uploads WHERE account_id = ? ORDER BY id`, accountID)
}

// VideoIDsOf lists every video of an account, whatever its state and removed or not, for
// erasure: a video a moderator removed still has files to delete.
func (s *Videos) VideoIDsOf(ctx context.Context, accountID string, limit int) ([]string, error) {
	return queryAll(ctx, s.db.reader(), func(sc scanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	}, `SELECT id FROM videos WHERE account_id = ? ORDER BY id LIMIT ?`, accountID, limit)
}

// TableRows calls fn with the text of every row of every table. It is the erasure proof's
// view of PostgreSQL, whose data files are the server's, not ours: a value that survives in
// any column of any table shows up here (bytea as \x hex).
func (d *DB) TableRows(ctx context.Context, fn func(table, row string) error) error {
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if d.Dialect == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := d.read.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		q := `SELECT t::text FROM "` + t + `" t`
		if d.Dialect == SQLite {
			q = `SELECT * FROM "` + t + `"`
		}
		if err := eachRowText(ctx, d.read, q, func(row string) error { return fn(t, row) }); err != nil {
			return fmt.Errorf("table %s: %w", t, err)
		}
	}
	return nil
}

func eachRowText(ctx context.Context, q Querier, query string, fn func(string) error) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		var b strings.Builder
		for _, v := range vals {
			switch x := v.(type) {
			case []byte:
				b.Write(x)
				fmt.Fprintf(&b, " \\x%x", x)
			default:
				fmt.Fprint(&b, x)
			}
			b.WriteString("|")
		}
		if err := fn(b.String()); err != nil {
			return err
		}
	}
	return rows.Err()
}
