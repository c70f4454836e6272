package db

import (
	"context"
	"time"
)

// SessionRow is a log-in: a browser cookie or an API bearer token. Only a hash of the token
// is stored, so a copy of the database does not let anyone act as a user.
type SessionRow struct {
	ID         string
	AccountID  string
	TokenHash  []byte
	Kind       string // browser | token
	Device     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// Sessions is the session store.
type Sessions struct{ db *DB }

// Sessions returns the session store.
func (d *DB) Sessions() *Sessions { return &Sessions{db: d} }

const sessionCols = `id, account_id, token_hash, kind, device, created_at, last_seen_at, expires_at`

func scanSession(sc scanner) (*SessionRow, error) {
	var s SessionRow
	var c, l, e int64
	if err := sc.Scan(&s.ID, &s.AccountID, &s.TokenHash, &s.Kind, &s.Device, &c, &l, &e); err != nil {
		return nil, classify(err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMS(c), fromMS(l), fromMS(e)
	return &s, nil
}

// Create stores a new session.
func (s *Sessions) Create(ctx context.Context, r *SessionRow) error {
	_, err := s.db.writer().exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.AccountID, r.TokenHash, r.Kind, r.Device, ms(r.CreatedAt), ms(r.LastSeenAt), ms(r.ExpiresAt))
	return classify(err)
}

// ByTokenHash finds a live session with its account in one query.
func (s *Sessions) ByTokenHash(ctx context.Context, hash []byte, now time.Time) (*SessionRow, *AccountRow, error) {
	row := s.db.reader().row(ctx, `SELECT s.id, s.account_id, s.token_hash, s.kind, s.device, s.created_at, s.last_seen_at, s.expires_at,
		a.id, a.username, a.display_name, a.bio, a.avatar_key, a.role, a.private, a.personalised, a.region, a.language, a.state,
		a.password_hash, a.created_at, a.updated_at, a.suspended_at
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		WHERE s.token_hash = ? AND s.expires_at > ?`, hash, ms(now))
	var sr SessionRow
	var c, l, e int64
	var ar AccountRow
	var ac, au int64
	var asus nullInt
	err := row.Scan(&sr.ID, &sr.AccountID, &sr.TokenHash, &sr.Kind, &sr.Device, &c, &l, &e,
		&ar.ID, &ar.Username, &ar.DisplayName, &ar.Bio, &ar.AvatarKey, &ar.Role, &ar.Private, &ar.Personalised,
		&ar.Region, &ar.Language, &ar.State, &ar.PasswordHash, &ac, &au, &asus)
	if err != nil {
		return nil, nil, classify(err)
	}
	sr.CreatedAt, sr.LastSeenAt, sr.ExpiresAt = fromMS(c), fromMS(l), fromMS(e)
	ar.CreatedAt, ar.UpdatedAt, ar.SuspendedAt = fromMS(ac), fromMS(au), fromNullMS(asus)
	return &sr, &ar, nil
}

// Touch records use of a session and slides its expiry.
func (s *Sessions) Touch(ctx context.Context, id string, now, expires time.Time) error {
	_, err := s.db.writer().exec(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`, ms(now), ms(expires), id)
	return err
}

// SessionTouch is a use of a session: when it was seen and its new expiry.
type SessionTouch struct {
	ID                string
	LastSeen, Expires time.Time
}

// TouchMany records several uses of sessions in one transaction; neither time of a session
// goes back (another process may have written a later one).
func (s *Sessions) TouchMany(ctx context.Context, ts []SessionTouch) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		for _, t := range ts {
			seen, exp := ms(t.LastSeen), ms(t.Expires)
			if _, err := tx.exec(ctx, `UPDATE sessions SET
				last_seen_at = CASE WHEN last_seen_at < ? THEN ? ELSE last_seen_at END,
				expires_at = CASE WHEN expires_at < ? THEN ? ELSE expires_at END WHERE id = ?`, seen, seen, exp, exp, t.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListByAccount pages through an account's live sessions, newest first.
func (s *Sessions) ListByAccount(ctx context.Context, accountID, after string, limit int, now time.Time) ([]*SessionRow, error) {
	q := `SELECT ` + sessionCols + ` FROM sessions WHERE account_id = ? AND expires_at > ?`
	args := []any{accountID, ms(now)}
	if after != "" {
		q += ` AND id < ?`
		args = append(args, after)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.db.reader(), scanSession, q, args...)
}

// Delete ends one session of an account. Another account's session is ErrNotFound, so one
// user cannot learn or end another's sessions.
func (s *Sessions) Delete(ctx context.Context, accountID, id string) error {
	res, err := s.db.writer().exec(ctx, `DELETE FROM sessions WHERE id = ? AND account_id = ?`, id, accountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteExpired removes sessions past their expiry and returns how many.
func (s *Sessions) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.writer().exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, ms(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
