package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AccountRow is the accounts table as stored. Services convert it to their own types.
type AccountRow struct {
	ID           string
	Username     string
	DisplayName  string
	Bio          string
	AvatarKey    string
	Role         string
	Private      bool
	Personalised bool
	Region       string
	Language     string // the language chosen to watch in; "" follows the browser
	State        string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	SuspendedAt  time.Time
}

// Accounts is the account store.
type Accounts struct{ db *DB }

// Accounts returns the account store.
func (d *DB) Accounts() *Accounts { return &Accounts{db: d} }

const accountCols = `id, username, display_name, bio, avatar_key, role, private, personalised, region, language, state,
	password_hash, created_at, updated_at, suspended_at`

func scanAccount(sc scanner) (*AccountRow, error) {
	var a AccountRow
	var created, updated int64
	var suspended sql.NullInt64
	err := sc.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Bio, &a.AvatarKey, &a.Role, &a.Private,
		&a.Personalised, &a.Region, &a.Language, &a.State, &a.PasswordHash, &created, &updated, &suspended)
	if err != nil {
		return nil, classify(err)
	}
	a.CreatedAt, a.UpdatedAt, a.SuspendedAt = fromMS(created), fromMS(updated), fromNullMS(suspended)
	return &a, nil
}

// Create inserts an account. A username taken in any letter case is ErrDuplicate.
func (s *Accounts) Create(ctx context.Context, a *AccountRow) error {
	return s.db.InTx(ctx, func(tx *Tx) error { return s.CreateTx(ctx, tx, a) })
}

// CreateTx inserts an account inside a caller's transaction (sign-up with an invite).
func (s *Accounts) CreateTx(ctx context.Context, tx *Tx, a *AccountRow) error {
	_, err := tx.exec(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Username, a.DisplayName, a.Bio, a.AvatarKey, a.Role, a.Private, a.Personalised, a.Region, a.Language,
		a.State, a.PasswordHash, ms(a.CreatedAt), ms(a.UpdatedAt), nullMS(a.SuspendedAt))
	return classify(err)
}

// ByID finds an account by ID.
func (s *Accounts) ByID(ctx context.Context, id string) (*AccountRow, error) {
	return scanAccount(s.db.reader().row(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
}

// ByUsername finds an account by username, ignoring case.
func (s *Accounts) ByUsername(ctx context.Context, username string) (*AccountRow, error) {
	return scanAccount(s.db.reader().row(ctx, `SELECT `+accountCols+` FROM accounts WHERE lower(username) = lower(?)`, username))
}

// Count returns the number of accounts, so the first one can be made admin.
func (s *Accounts) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.reader().row(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	return n, err
}

// ProfileUpdate holds the profile fields to change; nil means unchanged.
type ProfileUpdate struct {
	DisplayName  *string
	Bio          *string
	Private      *bool
	Personalised *bool
	Language     *string
	AvatarKey    *string
}

// UpdateProfile changes the given fields and returns the new row.
func (s *Accounts) UpdateProfile(ctx context.Context, id string, u ProfileUpdate, now time.Time) (*AccountRow, error) {
	var out *AccountRow
	err := s.db.InTx(ctx, func(tx *Tx) error {
		set := "updated_at = ?"
		args := []any{ms(now)}
		add := func(col string, v any) {
			set += ", " + col + " = ?"
			args = append(args, v)
		}
		if u.DisplayName != nil {
			add("display_name", *u.DisplayName)
		}
		if u.Bio != nil {
			add("bio", *u.Bio)
		}
		if u.Private != nil {
			add("private", *u.Private)
		}
		if u.Personalised != nil {
			add("personalised", *u.Personalised)
		}
		if u.Language != nil {
			add("language", *u.Language)
		}
		if u.AvatarKey != nil {
			add("avatar_key", *u.AvatarKey)
		}
		args = append(args, id)
		res, err := tx.exec(ctx, `UPDATE accounts SET `+set+` WHERE id = ?`, args...)
		if err != nil {
			return classify(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		out, err = scanAccount(tx.row(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
		return err
	})
	return out, err
}

// SetPassword stores a new password hash and ends every other session of the account.
func (s *Accounts) SetPassword(ctx context.Context, id, hash, keepSessionID string, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		_, err = tx.exec(ctx, `DELETE FROM sessions WHERE account_id = ? AND id <> ?`, id, keepSessionID)
		return err
	})
}

// SetState changes the moderation state. Suspension ends every session in the same
// transaction, so a suspended account is locked out at once; and in it a trigger takes what
// the account did off every counter others see, or puts it back on reinstatement (see
// Social).
func (s *Accounts) SetState(ctx context.Context, id, state string, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var suspended sql.NullInt64
		if state == "suspended" {
			suspended = nullMS(now)
		}
		res, err := tx.exec(ctx, `UPDATE accounts SET state = ?, suspended_at = ?, updated_at = ? WHERE id = ?`,
			state, suspended, ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if state != "active" {
			if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE account_id = ?`, id); err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
		}
		return nil
	})
}

// SetRole changes an account's role.
func (s *Accounts) SetRole(ctx context.Context, id, role string, now time.Time) error {
	res, err := s.db.writer().exec(ctx, `UPDATE accounts SET role = ?, updated_at = ? WHERE id = ?`, role, ms(now), id)
	if err != nil {
		return classify(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// List pages through accounts newest first, for administrators. after is the last ID of
// the previous page ("" for the first).
func (s *Accounts) List(ctx context.Context, after string, limit int) ([]*AccountRow, error) {
	q := `SELECT ` + accountCols + ` FROM accounts`
	args := []any{}
	if after != "" {
		q += ` WHERE id < ?`
		args = append(args, after)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.db.reader(), scanAccount, q, args...)
}

// CreateWithInvite inserts an account and redeems its invite in one transaction: either
// both happen or neither. An unknown, used or expired invite is ErrNotFound.
func (s *Accounts) CreateWithInvite(ctx context.Context, a *AccountRow, codeHash []byte, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if err := s.CreateTx(ctx, tx, a); err != nil {
			return err
		}
		return s.db.Invites().RedeemTx(ctx, tx, codeHash, a.ID, now)
	})
}
