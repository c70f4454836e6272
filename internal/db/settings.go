package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

type nullInt = sql.NullInt64

// Settings is the instance settings store: a few keys an administrator changes at run
// time, such as the registration mode.
type Settings struct{ db *DB }

// Settings returns the instance settings store.
func (d *DB) Settings() *Settings { return &Settings{db: d} }

// Get returns a setting, or def when it was never set.
func (s *Settings) Get(ctx context.Context, key, def string) (string, error) {
	var v string
	err := s.db.reader().row(ctx, `SELECT value FROM instance_settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(classify(err), ErrNotFound) {
		return def, nil
	}
	return v, err
}

// Set stores a setting.
func (s *Settings) Set(ctx context.Context, key, value string) error {
	return putSetting(ctx, s.db.writer(), key, value)
}

// putSetting stores a setting through c: the writer, or a transaction's conn so that the
// setting moves with the rest of its work.
func putSetting(ctx context.Context, c conn, key, value string) error {
	_, err := c.exec(ctx, `INSERT INTO instance_settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// InviteRow is a single-use invitation code; only its hash is stored.
type InviteRow struct {
	ID        string
	CodeHash  []byte
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Invites is the invite store.
type Invites struct{ db *DB }

// Invites returns the invite store.
func (d *DB) Invites() *Invites { return &Invites{db: d} }

// Create stores an invite.
func (s *Invites) Create(ctx context.Context, r *InviteRow) error {
	_, err := s.db.writer().exec(ctx, `INSERT INTO invites (id, code_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		r.ID, r.CodeHash, r.CreatedBy, ms(r.CreatedAt), ms(r.ExpiresAt))
	return classify(err)
}

// RedeemTx marks an unused, unexpired invite as used by an account, inside the sign-up
// transaction so that a failed sign-up leaves the invite unused.
func (s *Invites) RedeemTx(ctx context.Context, tx *Tx, codeHash []byte, accountID string, now time.Time) error {
	res, err := tx.exec(ctx, `UPDATE invites SET used_by = ?, used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?`,
		accountID, ms(now), codeHash, ms(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Secret returns the named instance secret, creating it with gen on first use. Replicas
// that start together agree on one value: the first insert wins, the others read it.
func (s *Settings) Secret(ctx context.Context, key string, gen func() (string, error)) (string, error) {
	if v, err := s.Get(ctx, key, ""); err != nil || v != "" {
		return v, err
	}
	v, err := gen()
	if err != nil {
		return "", err
	}
	if _, err := s.db.writer().exec(ctx, `INSERT INTO instance_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, v); err != nil {
		return "", err
	}
	return s.Get(ctx, key, "")
}
