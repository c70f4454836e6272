package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrEmailTaken is returned when an e-mail blind index is already used by another account.
var ErrEmailTaken = fmt.Errorf("%w: e-mail address already registered", ErrDuplicate)

// VaultRow is one account's personal data as stored: a wrapped data key and sealed fields.
// Nothing in it is readable without the master key.
type VaultRow struct {
	AccountID  string
	WrappedKey []byte
	EmailIndex []byte // blind index; nil when no e-mail is set
	Email      []byte // sealed; nil when unset
	Phone      []byte
	BirthDate  []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// VaultSessionRow is where one log-in came from, sealed under the account's data key.
type VaultSessionRow struct {
	SessionID string
	AccountID string
	IP        []byte
	UserAgent []byte
	CreatedAt time.Time
}

// Vault is the personal-data vault store. It only ever sees ciphertext.
type Vault struct{ db *DB }

// Vault returns the vault store.
func (d *DB) Vault() *Vault { return &Vault{db: d} }

const vaultCols = `account_id, wrapped_key, email_index, email, phone, birth_date, created_at, updated_at`

func scanVault(sc interface{ Scan(...any) error }) (*VaultRow, error) {
	var v VaultRow
	var c, u int64
	if err := sc.Scan(&v.AccountID, &v.WrappedKey, &v.EmailIndex, &v.Email, &v.Phone, &v.BirthDate, &c, &u); err != nil {
		return nil, classify(err)
	}
	v.CreatedAt, v.UpdatedAt = fromMS(c), fromMS(u)
	return &v, nil
}

// nullBytes stores an empty slice as NULL, so "no e-mail" never collides in the unique
// blind-index column.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// emailClash tells a duplicate e-mail from a duplicate username when a unique constraint
// fails; the constraint names differ by engine but both mention the column.
func emailClash(err error) error {
	if errors.Is(err, ErrDuplicate) && strings.Contains(err.Error(), "email_index") {
		return ErrEmailTaken
	}
	return err
}

func (s *Vault) insertTx(ctx context.Context, tx *Tx, v *VaultRow) error {
	if len(v.EmailIndex) > 0 {
		var one int
		err := tx.row(ctx, `SELECT 1 FROM vault WHERE email_index = ?`, v.EmailIndex).Scan(&one)
		if err == nil {
			return ErrEmailTaken
		}
		if !errors.Is(classify(err), ErrNotFound) {
			return err
		}
	}
	_, err := tx.exec(ctx, `INSERT INTO vault (`+vaultCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		v.AccountID, v.WrappedKey, nullBytes(v.EmailIndex), nullBytes(v.Email), nullBytes(v.Phone), nullBytes(v.BirthDate),
		ms(v.CreatedAt), ms(v.UpdatedAt))
	return emailClash(classify(err))
}

// CreateAccount inserts an account together with its vault row, and redeems an invite when
// inviteHash is set, all in one transaction: a taken username or e-mail, or a bad invite,
// leaves nothing behind. A taken e-mail is ErrEmailTaken, a taken username ErrDuplicate and
// an unusable invite ErrNotFound.
func (s *Vault) CreateAccount(ctx context.Context, a *AccountRow, v *VaultRow, inviteHash []byte, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if err := s.db.Accounts().CreateTx(ctx, tx, a); err != nil {
			return err
		}
		if err := s.insertTx(ctx, tx, v); err != nil {
			return err
		}
		if inviteHash != nil {
			return s.db.Invites().RedeemTx(ctx, tx, inviteHash, a.ID, now)
		}
		return nil
	})
}

// Ensure inserts v unless the account already has a vault row, and returns the row that is
// stored. Accounts made before the vault existed get theirs on first use; two replicas
// racing agree on the first insert.
func (s *Vault) Ensure(ctx context.Context, v *VaultRow) (*VaultRow, error) {
	if got, err := s.Get(ctx, v.AccountID); !errors.Is(err, ErrNotFound) {
		return got, err
	}
	_, err := s.db.writer().exec(ctx, `INSERT INTO vault (`+vaultCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id) DO NOTHING`,
		v.AccountID, v.WrappedKey, nullBytes(v.EmailIndex), nullBytes(v.Email), nullBytes(v.Phone), nullBytes(v.BirthDate),
		ms(v.CreatedAt), ms(v.UpdatedAt))
	if err != nil {
		return nil, emailClash(classify(err))
	}
	return s.Get(ctx, v.AccountID)
}

// Get returns an account's vault row.
func (s *Vault) Get(ctx context.Context, accountID string) (*VaultRow, error) {
	return scanVault(s.db.reader().row(ctx, `SELECT `+vaultCols+` FROM vault WHERE account_id = ?`, accountID))
}

// AccountByEmailIndex returns the account id holding a blind index.
func (s *Vault) AccountByEmailIndex(ctx context.Context, index []byte) (string, error) {
	var id string
	err := s.db.reader().row(ctx, `SELECT account_id FROM vault WHERE email_index = ?`, index).Scan(&id)
	return id, classify(err)
}

// VaultFields are sealed fields to change; nil leaves a field alone and an empty slice
// clears it. EmailIndex changes together with Email.
type VaultFields struct {
	Email      []byte
	EmailIndex []byte
	Phone      []byte
	BirthDate  []byte
}

// Update changes sealed fields of an existing vault row.
func (s *Vault) Update(ctx context.Context, accountID string, f VaultFields, now time.Time) error {
	set := "updated_at = ?"
	args := []any{ms(now)}
	add := func(col string, v []byte) {
		set += ", " + col + " = ?"
		args = append(args, nullBytes(v))
	}
	if f.Email != nil {
		add("email", f.Email)
		add("email_index", f.EmailIndex)
	}
	if f.Phone != nil {
		add("phone", f.Phone)
	}
	if f.BirthDate != nil {
		add("birth_date", f.BirthDate)
	}
	args = append(args, accountID)
	res, err := s.db.writer().exec(ctx, `UPDATE vault SET `+set+` WHERE account_id = ?`, args...)
	if err != nil {
		return emailClash(classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AddSession stores where a log-in came from.
func (s *Vault) AddSession(ctx context.Context, r *VaultSessionRow) error {
	_, err := s.db.writer().exec(ctx, `INSERT INTO vault_sessions (session_id, account_id, ip, user_agent, created_at) VALUES (?, ?, ?, ?, ?)`,
		r.SessionID, r.AccountID, r.IP, r.UserAgent, ms(r.CreatedAt))
	return classify(err)
}

// Sessions returns an account's stored log-in origins, newest first.
func (s *Vault) Sessions(ctx context.Context, accountID string) ([]*VaultSessionRow, error) {
	rows, err := s.db.reader().query(ctx, `SELECT session_id, account_id, ip, user_agent, created_at FROM vault_sessions
		WHERE account_id = ? ORDER BY created_at DESC, session_id DESC`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*VaultSessionRow
	for rows.Next() {
		var r VaultSessionRow
		var c int64
		if err := rows.Scan(&r.SessionID, &r.AccountID, &r.IP, &r.UserAgent, &c); err != nil {
			return nil, err
		}
		r.CreatedAt = fromMS(c)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// DeleteSessionsBefore removes log-in origins recorded before cutoff and returns how many:
// session IPs are kept for a bounded time only.
func (s *Vault) DeleteSessionsBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.writer().exec(ctx, `DELETE FROM vault_sessions WHERE created_at < ?`, ms(cutoff))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Destroy deletes an account's vault row and log-in origins. With the wrapped key gone,
// any copy of the sealed data (a backup, a replica's old page) can no longer be opened.
func (s *Vault) Destroy(ctx context.Context, accountID string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM vault_sessions WHERE account_id = ?`, accountID); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `DELETE FROM vault WHERE account_id = ?`, accountID)
		return err
	})
}

// Count returns the number of vault rows; start-up uses it to tell a new install from a
// database whose master key went missing.
func (s *Vault) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.reader().row(ctx, `SELECT COUNT(*) FROM vault`).Scan(&n)
	return n, err
}

// Rewrap replaces every wrapped data key and the named instance settings in one
// transaction, for master-key rotation: either everything moves to the new key or nothing
// does. rewrap gets each account id and wrapped key; setting gets each setting's value.
// Both may be called again for the same value, as the transaction can run again (see
// DB.InTx). It returns the number of vault rows rewrapped.
func (s *Vault) Rewrap(ctx context.Context, rewrap func(accountID string, wrapped []byte) ([]byte, error),
	settings map[string]func(value string) (string, error)) (int, error) {
	var n int
	err := s.db.InTx(ctx, func(tx *Tx) error {
		n = 0 // afresh on every run (see InTx)
		rows, err := tx.query(ctx, `SELECT account_id, wrapped_key FROM vault ORDER BY account_id`)
		if err != nil {
			return err
		}
		type kv struct {
			id  string
			key []byte
		}
		var all []kv
		for rows.Next() {
			var r kv
			if err := rows.Scan(&r.id, &r.key); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range all {
			next, err := rewrap(r.id, r.key)
			if err != nil {
				return fmt.Errorf("account %s: %w", r.id, err)
			}
			if _, err := tx.exec(ctx, `UPDATE vault SET wrapped_key = ? WHERE account_id = ?`, next, r.id); err != nil {
				return err
			}
			n++
		}
		for key, fn := range settings {
			var v string
			err := tx.row(ctx, `SELECT value FROM instance_settings WHERE key = ?`, key).Scan(&v)
			if errors.Is(classify(err), ErrNotFound) {
				v = ""
			} else if err != nil {
				return err
			}
			next, err := fn(v)
			if err != nil {
				return fmt.Errorf("setting %s: %w", key, err)
			}
			if err := putSetting(ctx, tx.conn, key, next); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
