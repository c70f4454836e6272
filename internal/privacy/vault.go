package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/privacy/keys"
	"kurz/internal/privacy/translog"
)

// vaultStore is the vault table as the vault uses it.
type vaultStore interface {
	CreateAccount(ctx context.Context, a *db.AccountRow, v *db.VaultRow, inviteHash []byte, now time.Time) error
	Ensure(ctx context.Context, v *db.VaultRow) (*db.VaultRow, error)
	Get(ctx context.Context, accountID string) (*db.VaultRow, error)
	AccountByEmailIndex(ctx context.Context, index []byte) (string, error)
	Update(ctx context.Context, accountID string, f db.VaultFields, now time.Time) error
	AddSession(ctx context.Context, r *db.VaultSessionRow) error
	Sessions(ctx context.Context, accountID string) ([]*db.VaultSessionRow, error)
	DeleteSessionsBefore(ctx context.Context, cutoff time.Time) (int64, error)
	Destroy(ctx context.Context, accountID string) error
}

// accessLog is the transparency log as the vault writes to it.
type accessLog interface {
	Append(ctx context.Context, e translog.Entry) (uint64, error)
	Checkpoint(ctx context.Context) ([]byte, error)
}

// Vault keeps each account's direct identifiers sealed under that account's data key.
//
// Reading is possible only through Read, which takes an Access and, when the reader is not
// the owner, appends the access to the transparency log before anything is decrypted; if
// the log cannot be written, nothing is returned. No other exported method returns
// plaintext, so a read that skips the log cannot be written with this API.
type Vault struct {
	store vaultStore
	keys  *Keys
	log   accessLog
	now   func() time.Time
	slog  *slog.Logger
}

// NewVault returns the vault.
func NewVault(store vaultStore, k *Keys, log accessLog, now func() time.Time, logger *slog.Logger) *Vault {
	return &Vault{store: store, keys: k, log: log, now: now, slog: logger}
}

// PersonalInput is personal data an owner gives: nil leaves a field alone, "" clears it.
type PersonalInput struct {
	Email     *string
	Phone     *string
	BirthDate *string // YYYY-MM-DD
}

// Personal is decrypted personal data, only ever returned by Read.
type Personal struct {
	Email     string
	Phone     string
	BirthDate string
	Sessions  []SessionOrigin
}

// SessionOrigin is where one log-in came from.
type SessionOrigin struct {
	SessionID string
	IP        string // truncated: /24 for IPv4, /48 for IPv6
	UserAgent string
	At        time.Time
}

// Disclosure is the answer to Read: the fields asked for and, for a read by someone other
// than the owner, the access-log entry that records it.
type Disclosure struct {
	Personal
	Fields   []Field
	Logged   bool
	LogIndex uint64
}

var phoneRE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// CleanPersonal checks and normalises personal data: an address without a display name, a
// phone number in international form (+ and 7 to 15 digits; spaces, dots, dashes and
// brackets are dropped), a birth date as YYYY-MM-DD that is not in the future.
func CleanPersonal(in PersonalInput, now time.Time) (PersonalInput, error) {
	out := PersonalInput{}
	if in.Email != nil {
		e := strings.TrimSpace(*in.Email)
		if e != "" {
			addr, err := mail.ParseAddress(e)
			if err != nil || addr.Address != e || addr.Name != "" || len(e) > 254 || strings.IndexFunc(e, unicode.IsSpace) >= 0 {
				return out, errs.Invalid("email", "invalid_email", "the e-mail address is not valid; write it as name@example.org")
			}
		}
		out.Email = &e
	}
	if in.Phone != nil {
		p := strings.Map(func(r rune) rune {
			if strings.ContainsRune(" .-()\u00a0", r) {
				return -1
			}
			return r
		}, *in.Phone)
		if p != "" && !phoneRE.MatchString(p) {
			return out, errs.Invalid("phone", "invalid_phone", "write the phone number in international form, e.g. +49 30 1234567")
		}
		out.Phone = &p
	}
	if in.BirthDate != nil {
		b := strings.TrimSpace(*in.BirthDate)
		if b != "" {
			t, err := time.Parse(time.DateOnly, b)
			if err != nil || t.Year() < 1900 || t.After(now) {
				return out, errs.Invalid("birth_date", "invalid_birth_date", "the birth date must be a past date written YYYY-MM-DD")
			}
		}
		out.BirthDate = &b
	}
	return out, nil
}

// IsMinor reports whether someone born on birthDate (YYYY-MM-DD) is under 18 at now. An
// unknown or malformed date is not a minor: age is only what the user declares.
func IsMinor(birthDate string, now time.Time) bool {
	b, err := time.Parse(time.DateOnly, birthDate)
	if err != nil {
		return false
	}
	return now.Before(b.AddDate(18, 0, 0))
}

// TruncateIP keeps the network part of an address: /24 of IPv4, /48 of IPv6. It is enough
// to recognise a log-in from an unusual place, not to find a household.
func TruncateIP(ip string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "unknown"
	}
	a = a.Unmap().WithZone("")
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return "unknown"
	}
	return p.String()
}

func fieldAD(accountID string, f Field) []byte { return keys.AssociatedData(accountID, string(f)) }

func sessionAD(accountID string, f Field, sessionID string) []byte {
	return keys.AssociatedData(accountID, string(f), sessionID)
}

// newRow makes a vault row with a fresh data key and the given fields sealed under it.
func (v *Vault) newRow(accountID string, in PersonalInput, now time.Time) (*db.VaultRow, error) {
	dk, err := keys.NewDataKey()
	if err != nil {
		return nil, err
	}
	defer dk.Zero()
	wrapped, err := keys.Wrap(v.keys.master, dk, keys.AssociatedData(accountID))
	if err != nil {
		return nil, err
	}
	f, err := v.seal(dk, accountID, in)
	if err != nil {
		return nil, err
	}
	return &db.VaultRow{AccountID: accountID, WrappedKey: wrapped, Email: f.Email, EmailIndex: f.EmailIndex,
		Phone: f.Phone, BirthDate: f.BirthDate, CreatedAt: now, UpdatedAt: now}, nil
}

// seal encrypts the fields that are set; an empty value becomes an empty (cleared) column.
func (v *Vault) seal(dk keys.DataKey, accountID string, in PersonalInput) (db.VaultFields, error) {
	var out db.VaultFields
	one := func(p *string, f Field) ([]byte, error) {
		if p == nil {
			return nil, nil
		}
		if *p == "" {
			return []byte{}, nil
		}
		return keys.Seal(dk, []byte(*p), fieldAD(accountID, f))
	}
	var err error
	if out.Email, err = one(in.Email, FieldEmail); err != nil {
		return out, err
	}
	if in.Email != nil {
		out.EmailIndex = []byte{}
		if *in.Email != "" {
			out.EmailIndex = v.keys.EmailIndex(*in.Email)
		}
	}
	if out.Phone, err = one(in.Phone, FieldPhone); err != nil {
		return out, err
	}
	if out.BirthDate, err = one(in.BirthDate, FieldBirthDate); err != nil {
		return out, err
	}
	return out, nil
}

// CreateAccount stores a new account with its personal data sealed in the vault, in one
// transaction (and redeems the invite whose hash is given). Store errors come back as is:
// db.ErrDuplicate for a taken username, db.ErrNotFound for a bad invite.
//
// An e-mail address another account registered first is not an error: answering "taken"
// would tell anyone who tries an address whether it has an account here. The address is
// kept, sealed, as this account's own, without the blind index: it cannot be used to log
// in, which stays the first account's (see emailWithoutLogIn).
func (v *Vault) CreateAccount(ctx context.Context, a *db.AccountRow, in PersonalInput, inviteHash []byte) error {
	in, err := CleanPersonal(in, a.CreatedAt)
	if err != nil {
		return err
	}
	row, err := v.newRow(a.ID, in, a.CreatedAt)
	if err != nil {
		return errs.Internal(err)
	}
	err = v.store.CreateAccount(ctx, a, row, inviteHash, a.CreatedAt)
	if errors.Is(err, db.ErrEmailTaken) {
		row.EmailIndex = nil
		err = v.store.CreateAccount(ctx, a, row, inviteHash, a.CreatedAt)
		v.emailWithoutLogIn(a.ID, err)
	}
	return err
}

// emailWithoutLogIn records that an account keeps an e-mail address another account logs
// in with. The log says so to the operator, by account id only; the account itself is told
// nothing, which is the point.
func (v *Vault) emailWithoutLogIn(accountID string, err error) {
	if err == nil {
		v.slog.Info("e-mail address kept without log-in: another account registered it first", "account", accountID)
	}
}

// AccountByEmail finds the account registered with an address, through its blind index.
// An unknown address is errs NotFound.
func (v *Vault) AccountByEmail(ctx context.Context, email string) (string, error) {
	id, err := v.store.AccountByEmailIndex(ctx, v.keys.EmailIndex(email))
	if errors.Is(err, db.ErrNotFound) {
		return "", errs.NotFound("account")
	}
	if err != nil {
		return "", errs.Internal(err)
	}
	return id, nil
}

// row returns the account's vault row, creating an empty one for accounts made before the
// vault existed.
func (v *Vault) row(ctx context.Context, accountID string) (*db.VaultRow, error) {
	r, err := v.store.Get(ctx, accountID)
	if !errors.Is(err, db.ErrNotFound) {
		return r, err
	}
	fresh, err := v.newRow(accountID, PersonalInput{}, v.now())
	if err != nil {
		return nil, err
	}
	return v.store.Ensure(ctx, fresh)
}

func (v *Vault) dataKey(r *db.VaultRow) (keys.DataKey, error) {
	return keys.Unwrap(v.keys.master, r.WrappedKey, keys.AssociatedData(r.AccountID))
}

// Update changes the owner's personal data.
func (v *Vault) Update(ctx context.Context, accountID string, in PersonalInput) error {
	in, err := CleanPersonal(in, v.now())
	if err != nil {
		return err
	}
	r, err := v.row(ctx, accountID)
	if err != nil {
		return errs.Internal(err)
	}
	dk, err := v.dataKey(r)
	if err != nil {
		return errs.Internal(err)
	}
	defer dk.Zero()
	f, err := v.seal(dk, accountID, in)
	if err != nil {
		return errs.Internal(err)
	}
	err = v.store.Update(ctx, accountID, f, v.now())
	if errors.Is(err, db.ErrEmailTaken) {
		// As at sign-up: the change is made, but the address logs in only to the account
		// that registered it first, and nothing here says whether one did.
		f.EmailIndex = []byte{}
		err = v.store.Update(ctx, accountID, f, v.now())
		v.emailWithoutLogIn(accountID, err)
	}
	if err != nil {
		return errs.Internal(err)
	}
	return nil
}

// RecordSession seals where a log-in came from: the IP truncated, the User-Agent as sent.
func (v *Vault) RecordSession(ctx context.Context, accountID, sessionID, ip, userAgent string, at time.Time) error {
	r, err := v.row(ctx, accountID)
	if err != nil {
		return fmt.Errorf("vault row: %w", err)
	}
	dk, err := v.dataKey(r)
	if err != nil {
		return err
	}
	defer dk.Zero()
	sealedIP, err := keys.Seal(dk, []byte(TruncateIP(ip)), sessionAD(accountID, FieldSessionIPs, sessionID))
	if err != nil {
		return err
	}
	sealedUA, err := keys.Seal(dk, []byte(userAgent), sessionAD(accountID, FieldSessionAgents, sessionID))
	if err != nil {
		return err
	}
	return v.store.AddSession(ctx, &db.VaultSessionRow{SessionID: sessionID, AccountID: accountID, IP: sealedIP, UserAgent: sealedUA, CreatedAt: at})
}

// ExpireSessions deletes log-in origins older than retention.
func (v *Vault) ExpireSessions(ctx context.Context, retention time.Duration) (int64, error) {
	return v.store.DeleteSessionsBefore(ctx, v.now().Add(-retention))
}

// Destroy crypto-shreds an account: the wrapped data key and everything sealed under it are
// deleted, so copies of the ciphertext elsewhere (backups) can no longer be opened.
func (v *Vault) Destroy(ctx context.Context, accountID string) error {
	return v.store.Destroy(ctx, accountID)
}

// Pseudonym is how the access log names an account.
func (v *Vault) Pseudonym(accountID string) string { return v.keys.Pseudonym(accountID) }

// Read returns an account's personal data. When a.Actor is not the account itself, the
// access is appended to the transparency log first — actor, role, purpose, fields and the
// account's pseudonym — and the read fails if that append fails.
func (v *Vault) Read(ctx context.Context, accountID string, a Access) (*Disclosure, error) {
	fields, err := checkAccess(accountID, a)
	if err != nil {
		return nil, err
	}
	out := &Disclosure{Fields: fields}
	if a.Actor != accountID {
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = string(f)
		}
		idx, err := v.log.Append(ctx, translog.Entry{At: v.now(), Actor: a.Actor, Role: a.Role, Purpose: a.Purpose,
			Fields: names, Subject: v.keys.Pseudonym(accountID)})
		if err != nil {
			return nil, errs.Internal(fmt.Errorf("log read of personal data: %w", err))
		}
		out.Logged, out.LogIndex = true, idx
		// Sign at once so the owner can verify the entry straight away. The entry is
		// durable already; a failed signature is retried by the next sweep.
		if _, err := v.log.Checkpoint(ctx); err != nil {
			v.slog.Warn("access log checkpoint", "err", err)
		}
	}
	p, err := v.open(ctx, accountID, fields)
	if err != nil {
		return nil, errs.Internal(err)
	}
	out.Personal = *p
	return out, nil
}

func checkAccess(accountID string, a Access) ([]Field, error) {
	if a.Actor == "" {
		return nil, errs.Invalid("actor", "actor_required", "a read of personal data must name who reads it")
	}
	var fields []Field
	for _, f := range a.Fields {
		if !slices.Contains(AllFields, f) {
			return nil, errs.Invalid("fields", "unknown_field", fmt.Sprintf("%q is not a personal-data field", f))
		}
		if !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		fields = slices.Clone(AllFields)
	}
	if a.Actor == accountID {
		return fields, nil
	}
	if !slices.Contains(vocabulary().Roles, a.Role) {
		return nil, errs.Invalid("role", "invalid_role", fmt.Sprintf("a read of someone else's personal data must give the reader's role: one of %v", vocabulary().Roles))
	}
	if !knownPurpose(a.Purpose, false) {
		return nil, errs.Invalid("purpose", "invalid_purpose", fmt.Sprintf("declare why you read this data: one of %v", purposeNames(false)))
	}
	return fields, nil
}

// open decrypts the requested fields. It is the only code that opens personal fields, and
// only Read calls it (a test checks both).
func (v *Vault) open(ctx context.Context, accountID string, fields []Field) (*Personal, error) {
	out := &Personal{}
	r, err := v.store.Get(ctx, accountID)
	if errors.Is(err, db.ErrNotFound) {
		return out, nil // an account from before the vault, which has stored nothing yet
	}
	if err != nil {
		return nil, err
	}
	dk, err := v.dataKey(r)
	if err != nil {
		return nil, err
	}
	defer dk.Zero()
	field := func(sealed []byte, f Field) (string, error) {
		if len(sealed) == 0 || !slices.Contains(fields, f) {
			return "", nil
		}
		b, err := keys.Open(dk, sealed, fieldAD(accountID, f))
		return string(b), err
	}
	if out.Email, err = field(r.Email, FieldEmail); err != nil {
		return nil, err
	}
	if out.Phone, err = field(r.Phone, FieldPhone); err != nil {
		return nil, err
	}
	if out.BirthDate, err = field(r.BirthDate, FieldBirthDate); err != nil {
		return nil, err
	}
	wantIP, wantUA := slices.Contains(fields, FieldSessionIPs), slices.Contains(fields, FieldSessionAgents)
	if !wantIP && !wantUA {
		return out, nil
	}
	rows, err := v.store.Sessions(ctx, accountID)
	if err != nil {
		return nil, err
	}
	for _, s := range rows {
		o := SessionOrigin{SessionID: s.SessionID, At: s.CreatedAt}
		if wantIP {
			b, err := keys.Open(dk, s.IP, sessionAD(accountID, FieldSessionIPs, s.SessionID))
			if err != nil {
				return nil, err
			}
			o.IP = string(b)
		}
		if wantUA {
			b, err := keys.Open(dk, s.UserAgent, sessionAD(accountID, FieldSessionAgents, s.SessionID))
			if err != nil {
				return nil, err
			}
			o.UserAgent = string(b)
		}
		out.Sessions = append(out.Sessions, o)
	}
	return out, nil
}
