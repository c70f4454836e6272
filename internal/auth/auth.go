// Package auth owns accounts and how people prove who they are: sign-up, passwords
// (argon2id), browser sessions and API tokens, CSRF tokens, throttling, profiles and the
// administrator's account controls. Authorization decisions are asked of package policy.
package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"kurz/internal/avatar"
	"kurz/internal/blob"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/lang"
	"kurz/internal/policy"
	"kurz/internal/privacy"
)

// Account is an account as the rest of kurz sees it: no password hash.
type Account struct {
	ID           string
	Username     string
	DisplayName  string
	Bio          string
	AvatarKey    string // blob key prefix; "" when none
	Role         policy.Role
	Private      bool
	Personalised bool
	Region       string
	Language     string // the language chosen to watch in; "" follows the browser
	State        policy.State
	CreatedAt    time.Time
}

// Viewer is the account as policy sees it.
func (a *Account) Viewer() policy.Viewer { return policy.Viewer{AccountID: a.ID, Role: a.Role} }

// Target is the account as a policy target.
func (a *Account) Target() policy.Account {
	return policy.Account{ID: a.ID, Role: a.Role, State: a.State, Private: a.Private}
}

// Session is a log-in as shown to its owner.
type Session struct {
	ID         string
	Kind       string // browser | token
	Device     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// Principal is an authenticated request's identity.
type Principal struct {
	Account *Account
	Session *Session
}

// Client describes where a request comes from.
type Client struct {
	IP        string
	UserAgent string
}

// Registration modes.
const (
	RegistrationOpen   = "open"
	RegistrationInvite = "invite"
	RegistrationClosed = "closed"
)

// Limits are the user-facing limits auth enforces (named config values).
type Limits struct {
	MinPassword, MaxPassword int
	MaxDisplayName, MaxBio   int
	MaxAvatarPixels          int
	SessionTTL               time.Duration
}

// Stores are the tables auth reads and writes, as small interfaces defined here.
type accountStore interface {
	ByID(ctx context.Context, id string) (*db.AccountRow, error)
	ByUsername(ctx context.Context, username string) (*db.AccountRow, error)
	Count(ctx context.Context) (int, error)
	UpdateProfile(ctx context.Context, id string, u db.ProfileUpdate, now time.Time) (*db.AccountRow, error)
	SetPassword(ctx context.Context, id, hash, keepSessionID string, now time.Time) error
	SetState(ctx context.Context, id, state string, now time.Time) error
	SetRole(ctx context.Context, id, role string, now time.Time) error
	List(ctx context.Context, after string, limit int) ([]*db.AccountRow, error)
}

type sessionStore interface {
	Create(ctx context.Context, r *db.SessionRow) error
	ByTokenHash(ctx context.Context, hash []byte, now time.Time) (*db.SessionRow, *db.AccountRow, error)
	Touch(ctx context.Context, id string, now, expires time.Time) error
	TouchMany(ctx context.Context, ts []db.SessionTouch) error
	ListByAccount(ctx context.Context, accountID, after string, limit int, now time.Time) ([]*db.SessionRow, error)
	Delete(ctx context.Context, accountID, id string) error
}

type settingStore interface {
	Get(ctx context.Context, key, def string) (string, error)
	Set(ctx context.Context, key, value string) error
}

type inviteStore interface {
	Create(ctx context.Context, r *db.InviteRow) error
}

// vault is where personal data goes: the e-mail address and birth date given at sign-up,
// and the IP and User-Agent of every log-in. Accounts are created through it so that the
// account and its vault row exist together or not at all.
type vault interface {
	CreateAccount(ctx context.Context, a *db.AccountRow, in privacy.PersonalInput, inviteHash []byte) error
	AccountByEmail(ctx context.Context, email string) (string, error)
	RecordSession(ctx context.Context, accountID, sessionID, ip, userAgent string, at time.Time) error
}

// deletionStore cancels an account deletion when its owner logs in during the grace period.
type deletionStore interface {
	Cancel(ctx context.Context, accountID string, now time.Time) (requestedAt time.Time, cancelled bool, err error)
}

// Deps are what the service needs, handed over by main.
type Deps struct {
	Accounts  accountStore
	Sessions  sessionStore
	Settings  settingStore
	Invites   inviteStore
	Vault     vault
	Deletions deletionStore
	// Restored, if set, hears of an account whose deletion its owner cancelled, and since
	// when it had been pending: what the account did meanwhile was kept from others.
	Restored    func(ctx context.Context, accountID string, pendingSince time.Time)
	Blobs       blob.Store
	NewID       func() string
	Now         func() time.Time
	Hasher      Hasher
	Limits      Limits
	Region      string
	DefaultMode string // registration mode until an admin sets one
	Secret      []byte // keys CSRF tokens
	Log         *slog.Logger
	// Throttles, one per kind of attempt.
	LoginPerIP, LoginPerAccount, SignupPerIP *Throttle
}

// Service is the account and session service.
type Service struct {
	d Deps
	// dummyHash is verified against when an account does not exist, so that a log-in for an
	// unknown name costs as much as one with a wrong password and names cannot be probed.
	dummyHash string
	touches   touches
}

// New returns the service.
func New(d Deps) (*Service, error) {
	h, err := d.Hasher.Hash("kurz-timing-equaliser")
	if err != nil {
		return nil, err
	}
	return &Service{d: d, dummyHash: h}, nil
}

var usernameRE = regexp.MustCompile(`^[a-z0-9_.]{3,24}$`)

// reserved are names that would be confusing or dangerous as profile URLs or as
// impersonation of the service.
var reserved = map[string]bool{
	"admin": true, "administrator": true, "api": true, "settings": true, "root": true, "system": true,
	"kurz": true, "support": true, "help": true, "about": true, "login": true, "logout": true,
	"signup": true, "register": true, "upload": true, "explore": true, "search": true, "feed": true,
	"following": true, "foryou": true, "for_you": true, "trending": true, "notifications": true,
	"inbox": true, "messages": true, "tag": true, "tags": true, "hashtag": true, "video": true,
	"videos": true, "user": true, "users": true, "account": true, "accounts": true, "static": true,
	"assets": true, "media": true, "embed": true, "oembed": true, "privacy": true, "terms": true,
	"security": true, "moderator": true, "mod": true, "staff": true, "official": true, "null": true,
	"undefined": true, "www": true, "mail": true, "healthz": true, "readyz": true, "metrics": true,
	"well-known": true, "me": true, "new": true, "live": true, "analytics": true, "ranking": true,
}

// NormalizeUsername lower-cases a username and checks its shape, so "Alice" and "alice" are
// one name.
func NormalizeUsername(raw string) (string, error) {
	u := strings.ToLower(strings.TrimSpace(raw))
	if !usernameRE.MatchString(u) {
		return "", errs.Invalid("username", "invalid_username",
			"a username is 3 to 24 characters: letters a-z, digits, _ and .")
	}
	if strings.HasPrefix(u, ".") || strings.HasSuffix(u, ".") || strings.Contains(u, "..") {
		return "", errs.Invalid("username", "invalid_username", "a username cannot start or end with a dot or have two dots in a row")
	}
	if reserved[u] {
		return "", errs.Invalid("username", "username_reserved", "this username is reserved; choose another")
	}
	return u, nil
}

func (s *Service) checkPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < s.d.Limits.MinPassword {
		return errs.Invalid("password", "weak_password", fmt.Sprintf("a password needs at least %d characters", s.d.Limits.MinPassword))
	}
	if n > s.d.Limits.MaxPassword {
		return errs.Invalid("password", "password_too_long", fmt.Sprintf("a password can have at most %d characters", s.d.Limits.MaxPassword))
	}
	if strings.TrimSpace(pw) == "" || allSame(pw) {
		return errs.Invalid("password", "weak_password", "this password is too easy to guess")
	}
	return nil
}

func allSame(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}

// SignUpInput is a new account request.
type SignUpInput struct {
	Username    string
	Password    string
	DisplayName string
	InviteCode  string
	TokenLogin  bool   // return an API token instead of a browser session
	Email       string // optional; kept sealed in the vault, usable to log in
	BirthDate   string // optional, YYYY-MM-DD; accounts of minors start private
}

// RegistrationMode returns the current registration mode.
func (s *Service) RegistrationMode(ctx context.Context) (string, error) {
	return s.d.Settings.Get(ctx, "registration", s.d.DefaultMode)
}

// SignUp creates an account and logs it in. The token is returned once and never stored.
func (s *Service) SignUp(ctx context.Context, in SignUpInput, c Client) (*Account, *Session, string, error) {
	if ok, wait := s.d.SignupPerIP.Allow(c.IP); !ok {
		return nil, nil, "", errs.TooMany(wait)
	}
	username, err := NormalizeUsername(in.Username)
	if err != nil {
		return nil, nil, "", err
	}
	if err := s.checkPassword(in.Password); err != nil {
		return nil, nil, "", err
	}
	if strings.Contains(strings.ToLower(in.Password), username) {
		return nil, nil, "", errs.Invalid("password", "weak_password", "a password must not contain the username")
	}
	display, err := s.cleanText("display_name", in.DisplayName, s.d.Limits.MaxDisplayName, false)
	if err != nil {
		return nil, nil, "", err
	}
	now := s.d.Now()
	personal, err := privacy.CleanPersonal(personalInput(in.Email, in.BirthDate), now)
	if err != nil {
		return nil, nil, "", err
	}
	mode, err := s.RegistrationMode(ctx)
	if err != nil {
		return nil, nil, "", errs.Internal(err)
	}
	switch mode {
	case RegistrationClosed:
		return nil, nil, "", errs.Forbidden("registration_closed", "this instance is not taking new accounts")
	case RegistrationInvite:
		if in.InviteCode == "" {
			return nil, nil, "", errs.Forbidden("invite_required", "this instance needs an invite code to sign up")
		}
	}
	hash, err := s.d.Hasher.Hash(in.Password)
	if err != nil {
		return nil, nil, "", errs.Internal(err)
	}
	row := &db.AccountRow{
		ID: s.d.NewID(), Username: username, DisplayName: display, Role: string(policy.RoleUser),
		Personalised: true, Region: s.d.Region, State: string(policy.StateActive), PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now,
		// Minors start private: only approved followers see what they post.
		Private: personal.BirthDate != nil && privacy.IsMinor(*personal.BirthDate, now),
	}
	var invite []byte
	if mode == RegistrationInvite {
		invite = hashToken(in.InviteCode)
	}
	// An e-mail address another account registered is no error here (the vault keeps it
	// without log-in), so sign-up never says which addresses have accounts. Usernames are
	// public anyway: a taken one is said so.
	err = s.d.Vault.CreateAccount(ctx, row, personal, invite)
	switch {
	case errors.Is(err, db.ErrDuplicate):
		return nil, nil, "", errs.Conflict("username_taken", "this username is taken; choose another")
	case errors.Is(err, db.ErrNotFound) && invite != nil:
		return nil, nil, "", errs.Forbidden("invalid_invite", "this invite code is unknown, used or expired")
	case err != nil:
		return nil, nil, "", errs.Internal(err)
	}
	acc := accountFromRow(row)
	sess, token, err := s.startSession(ctx, acc.ID, in.TokenLogin, c)
	if err != nil {
		return nil, nil, "", err
	}
	s.d.Log.Info("account created", "account", acc.ID)
	return acc, sess, token, nil
}

// CreateAccount makes an account directly with a role; the CLI's `user create` uses it to
// bootstrap an administrator, whatever the registration mode.
func (s *Service) CreateAccount(ctx context.Context, username, password string, role policy.Role) (*Account, error) {
	u, err := NormalizeUsername(username)
	if err != nil {
		return nil, err
	}
	if err := s.checkPassword(password); err != nil {
		return nil, err
	}
	if !policy.ValidRole(string(role)) {
		return nil, errs.Invalid("role", "invalid_role", "role must be user, moderator or admin")
	}
	hash, err := s.d.Hasher.Hash(password)
	if err != nil {
		return nil, errs.Internal(err)
	}
	now := s.d.Now()
	row := &db.AccountRow{ID: s.d.NewID(), Username: u, Role: string(role), Personalised: true, Region: s.d.Region,
		State: string(policy.StateActive), PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.d.Vault.CreateAccount(ctx, row, privacy.PersonalInput{}, nil); err != nil {
		if errors.Is(err, db.ErrDuplicate) {
			return nil, errs.Conflict("username_taken", "this username is taken")
		}
		return nil, errs.Internal(err)
	}
	return accountFromRow(row), nil
}

// LogIn checks a username and password and starts a session.
func (s *Service) LogIn(ctx context.Context, username, password string, token bool, c Client) (*Account, *Session, string, error) {
	if ok, wait := s.d.LoginPerIP.Allow(c.IP); !ok {
		return nil, nil, "", errs.TooMany(wait)
	}
	name := strings.ToLower(strings.TrimSpace(username))
	if ok, wait := s.d.LoginPerAccount.Allow(name); !ok {
		return nil, nil, "", errs.TooMany(wait)
	}
	bad := errs.Unauthenticated("wrong_credentials", "the username or password is wrong")
	if name == "" || password == "" || len(password) > 4*s.d.Limits.MaxPassword {
		return nil, nil, "", bad
	}
	row, err := s.accountByLoginName(ctx, name)
	if errors.Is(err, db.ErrNotFound) {
		_, _ = s.d.Hasher.Verify(s.dummyHash, password)
		return nil, nil, "", bad
	}
	if err != nil {
		return nil, nil, "", errs.Internal(err)
	}
	ok, err := s.d.Hasher.Verify(row.PasswordHash, password)
	if err != nil {
		return nil, nil, "", errs.Internal(err)
	}
	if !ok {
		return nil, nil, "", bad
	}
	if row.State == string(policy.StateSuspended) {
		return nil, nil, "", errs.Forbidden("account_suspended", "this account is suspended")
	}
	if row.State == string(policy.StateDeleting) {
		// Logging in during the grace period cancels the deletion. After it, or when an
		// administrator deleted the account, the account is as good as gone.
		requested, cancelled, err := s.d.Deletions.Cancel(ctx, row.ID, s.d.Now())
		if err != nil {
			return nil, nil, "", errs.Internal(err)
		}
		if !cancelled {
			return nil, nil, "", bad
		}
		row.State = string(policy.StateActive)
		s.d.Log.Info("account deletion cancelled by logging in", "account", row.ID)
		if s.d.Restored != nil {
			s.d.Restored(ctx, row.ID, requested)
		}
	}
	acc := accountFromRow(row)
	sess, tok, err := s.startSession(ctx, acc.ID, token, c)
	if err != nil {
		return nil, nil, "", err
	}
	return acc, sess, tok, nil
}

func (s *Service) startSession(ctx context.Context, accountID string, token bool, c Client) (*Session, string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", errs.Internal(err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	kind := "browser"
	if token {
		kind = "token"
	}
	now := s.d.Now()
	row := &db.SessionRow{ID: s.d.NewID(), AccountID: accountID, TokenHash: hashToken(tok), Kind: kind,
		Device: deviceLabel(c.UserAgent), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.d.Limits.SessionTTL)}
	if err := s.d.Sessions.Create(ctx, row); err != nil {
		return nil, "", errs.Internal(err)
	}
	if err := s.d.Vault.RecordSession(ctx, accountID, row.ID, c.IP, c.UserAgent, now); err != nil {
		return nil, "", errs.Internal(fmt.Errorf("record log-in origin: %w", err))
	}
	return sessionFromRow(row), tok, nil
}

// accountByLoginName finds an account by username or, when the name holds an @, by e-mail
// address through the vault's blind index.
func (s *Service) accountByLoginName(ctx context.Context, name string) (*db.AccountRow, error) {
	if !strings.Contains(name, "@") {
		return s.d.Accounts.ByUsername(ctx, name)
	}
	id, err := s.d.Vault.AccountByEmail(ctx, name)
	if errs.Is(err, errs.KindNotFound) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.d.Accounts.ByID(ctx, id)
}

func personalInput(email, birthDate string) privacy.PersonalInput {
	var in privacy.PersonalInput
	if strings.TrimSpace(email) != "" {
		in.Email = &email
	}
	if strings.TrimSpace(birthDate) != "" {
		in.BirthDate = &birthDate
	}
	return in
}

// CheckPassword re-authenticates an account holder before something irreversible, such as
// deleting the account. Attempts count against the account's log-in throttle.
func (s *Service) CheckPassword(ctx context.Context, accountID, password string) error {
	if ok, wait := s.d.LoginPerAccount.Allow("reauth:" + accountID); !ok {
		return errs.TooMany(wait)
	}
	row, err := s.d.Accounts.ByID(ctx, accountID)
	if errors.Is(err, db.ErrNotFound) {
		return errs.NotFound("account")
	}
	if err != nil {
		return errs.Internal(err)
	}
	if len(password) > 4*s.d.Limits.MaxPassword {
		return errs.Invalid("password", "wrong_password", "the password is wrong")
	}
	ok, err := s.d.Hasher.Verify(row.PasswordHash, password)
	if err != nil {
		return errs.Internal(err)
	}
	if !ok {
		return errs.Invalid("password", "wrong_password", "the password is wrong")
	}
	return nil
}

// EraseAccount removes what auth keeps outside the accounts table, the avatar files; the
// privacy service calls it when it purges an account.
func (s *Service) EraseAccount(ctx context.Context, accountID string) error {
	if err := s.d.Blobs.DeletePrefix(ctx, "avatars/"+accountID); err != nil {
		return fmt.Errorf("delete avatars: %w", err)
	}
	return nil
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// Authenticate resolves a session token. Expired, revoked, forged tokens and tokens of
// suspended accounts are all Unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if token == "" || len(token) > 128 {
		return nil, errs.Unauthenticated("invalid_session", "your session is not valid; log in again")
	}
	now := s.d.Now()
	srow, arow, err := s.d.Sessions.ByTokenHash(ctx, hashToken(token), now)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.Unauthenticated("invalid_session", "your session has expired or was ended; log in again")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	if arow.State == string(policy.StateSuspended) {
		return nil, errs.Unauthenticated("account_suspended", "this account is suspended")
	}
	// Sliding expiry, recorded at most once a minute. While more than half of the session's
	// life is left, the new "last seen" and expiry wait for Run to write them with the
	// others of the next few seconds, so that a signed-in read stays a read; past that, they
	// are written at once, so a session in use never lapses for want of a write.
	if now.Sub(srow.LastSeenAt) > time.Minute {
		left := srow.ExpiresAt.Sub(now)
		srow.LastSeenAt, srow.ExpiresAt = now, now.Add(s.d.Limits.SessionTTL)
		if left > s.d.Limits.SessionTTL/2 {
			s.touches.add(srow.ID, srow.LastSeenAt, srow.ExpiresAt)
		} else if err := s.d.Sessions.Touch(ctx, srow.ID, srow.LastSeenAt, srow.ExpiresAt); err != nil {
			s.d.Log.Warn("touch session", "err", err)
		}
	}
	return &Principal{Account: accountFromRow(arow), Session: sessionFromRow(srow)}, nil
}

// CSRFToken is the token a browser session must send with state-changing requests. It is
// derived from the session, so it needs no storage and dies with the session.
func (s *Service) CSRFToken(p *Principal) string {
	m := hmac.New(sha256.New, s.d.Secret)
	m.Write([]byte("csrf:" + p.Session.ID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF verifies a CSRF token in constant time.
func (s *Service) CheckCSRF(p *Principal, token string) error {
	if token == "" {
		return errs.Forbidden("csrf_missing", "the X-CSRF-Token header is missing; reload the page")
	}
	if !hmac.Equal([]byte(token), []byte(s.CSRFToken(p))) {
		return errs.Forbidden("csrf_invalid", "the CSRF token does not match this session; reload the page")
	}
	return nil
}

// LogOut ends the current session.
func (s *Service) LogOut(ctx context.Context, p *Principal) error {
	return s.RevokeSession(ctx, p, p.Session.ID)
}

// Sessions lists the principal's own sessions.
func (s *Service) Sessions(ctx context.Context, p *Principal, after string, limit int) ([]*Session, error) {
	if err := policy.AccountDecision(p.Account.Viewer(), policy.ManageOwnSessions, p.Account.Target()); err != nil {
		return nil, err
	}
	rows, err := s.d.Sessions.ListByAccount(ctx, p.Account.ID, after, limit, s.d.Now())
	if err != nil {
		return nil, errs.Internal(err)
	}
	out := make([]*Session, len(rows))
	for i, r := range rows {
		out[i] = sessionFromRow(r)
	}
	return out, nil
}

// RevokeSession ends one of the principal's sessions. Another account's session is not
// found, never forbidden, so session IDs cannot be probed.
func (s *Service) RevokeSession(ctx context.Context, p *Principal, id string) error {
	err := s.d.Sessions.Delete(ctx, p.Account.ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return errs.NotFound("session")
	}
	if err != nil {
		return errs.Internal(err)
	}
	return nil
}

// ChangePassword sets a new password after checking the current one, and ends every other
// session.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) error {
	row, err := s.d.Accounts.ByID(ctx, p.Account.ID)
	if err != nil {
		return errs.Internal(err)
	}
	ok, err := s.d.Hasher.Verify(row.PasswordHash, current)
	if err != nil {
		return errs.Internal(err)
	}
	if !ok {
		return errs.Invalid("current_password", "wrong_password", "the current password is wrong")
	}
	if err := s.checkPassword(next); err != nil {
		return err
	}
	hash, err := s.d.Hasher.Hash(next)
	if err != nil {
		return errs.Internal(err)
	}
	if err := s.d.Accounts.SetPassword(ctx, row.ID, hash, p.Session.ID, s.d.Now()); err != nil {
		return errs.Internal(err)
	}
	return nil
}

// ProfileInput changes profile fields; nil leaves a field alone.
type ProfileInput struct {
	DisplayName  *string
	Bio          *string
	Private      *bool
	Personalised *bool
	Language     *string // a language code, or "" to follow the browser again
}

// UpdateProfile edits the principal's profile.
func (s *Service) UpdateProfile(ctx context.Context, p *Principal, in ProfileInput) (*Account, error) {
	if err := policy.AccountDecision(p.Account.Viewer(), policy.EditProfile, p.Account.Target()); err != nil {
		return nil, err
	}
	u := db.ProfileUpdate{Private: in.Private, Personalised: in.Personalised}
	if in.DisplayName != nil {
		v, err := s.cleanText("display_name", *in.DisplayName, s.d.Limits.MaxDisplayName, false)
		if err != nil {
			return nil, err
		}
		u.DisplayName = &v
	}
	if in.Bio != nil {
		v, err := s.cleanText("bio", *in.Bio, s.d.Limits.MaxBio, true)
		if err != nil {
			return nil, err
		}
		u.Bio = &v
	}
	if in.Language != nil {
		v, err := lang.Parse(*in.Language)
		if err != nil {
			return nil, err
		}
		u.Language = &v
	}
	row, err := s.d.Accounts.UpdateProfile(ctx, p.Account.ID, u, s.d.Now())
	if err != nil {
		return nil, errs.Internal(err)
	}
	return accountFromRow(row), nil
}

// cleanText trims text, refuses control characters (newlines only where allowed) and
// checks its length in characters. Escaping is the renderer's job, not this one's.
func (s *Service) cleanText(field, v string, maxChars int, multiline bool) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		return "", errs.Invalid(field, "invalid_text", field+" is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > maxChars {
		return "", errs.Invalid(field, "too_long", fmt.Sprintf("%s can have at most %d characters (this has %d)", field, maxChars, n))
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return "", errs.Invalid(field, "invalid_text", field+" contains control characters")
		}
		if r == '\u202e' || r == '\u202d' { // bidi overrides make names lie about themselves
			return "", errs.Invalid(field, "invalid_text", field+" contains direction-override characters")
		}
	}
	return v, nil
}

// SetAvatar replaces the principal's avatar with the processed image. The old files are
// removed after the account points at the new ones, so a failure leaves the old avatar.
func (s *Service) SetAvatar(ctx context.Context, p *Principal, data []byte) (*Account, error) {
	sizes, err := avatar.Process(data, s.d.Limits.MaxAvatarPixels)
	switch {
	case errors.Is(err, avatar.ErrNotImage):
		return nil, &errs.Error{Kind: errs.KindUnsupported, Code: "not_an_image", Message: err.Error(), Field: "avatar"}
	case errors.Is(err, avatar.ErrTooLarge), errors.Is(err, avatar.ErrTooSmall):
		return nil, errs.Invalid("avatar", "bad_image_size", err.Error())
	case err != nil:
		return nil, errs.Internal(err)
	}
	prefix := "avatars/" + p.Account.ID + "/" + s.d.NewID()
	var written []string
	for i, b := range sizes {
		key := fmt.Sprintf("%s/%d.jpg", prefix, avatar.Sizes[i])
		if _, err := s.d.Blobs.Put(ctx, key, bytes.NewReader(b)); err != nil {
			_ = s.d.Blobs.DeletePrefix(context.WithoutCancel(ctx), prefix)
			return nil, errs.Internal(err)
		}
		written = append(written, key)
	}
	old := p.Account.AvatarKey
	row, err := s.d.Accounts.UpdateProfile(ctx, p.Account.ID, db.ProfileUpdate{AvatarKey: &prefix}, s.d.Now())
	if err != nil {
		_ = s.d.Blobs.DeletePrefix(context.WithoutCancel(ctx), prefix)
		return nil, errs.Internal(err)
	}
	if old != "" {
		if err := s.d.Blobs.DeletePrefix(ctx, old); err != nil {
			s.d.Log.Warn("delete old avatar", "err", err)
		}
	}
	return accountFromRow(row), nil
}

// RemoveAvatar deletes the principal's avatar.
func (s *Service) RemoveAvatar(ctx context.Context, p *Principal) (*Account, error) {
	empty := ""
	row, err := s.d.Accounts.UpdateProfile(ctx, p.Account.ID, db.ProfileUpdate{AvatarKey: &empty}, s.d.Now())
	if err != nil {
		return nil, errs.Internal(err)
	}
	if p.Account.AvatarKey != "" {
		_ = s.d.Blobs.DeletePrefix(ctx, p.Account.AvatarKey)
	}
	return accountFromRow(row), nil
}

// Profile returns an account by username as the viewer may see it.
func (s *Service) Profile(ctx context.Context, v policy.Viewer, username string) (*Account, error) {
	row, err := s.d.Accounts.ByUsername(ctx, username)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.NotFound("account")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	acc := accountFromRow(row)
	if err := policy.AccountDecision(v, policy.ViewProfile, acc.Target()); err != nil {
		return nil, err
	}
	return acc, nil
}

func accountFromRow(r *db.AccountRow) *Account {
	return &Account{ID: r.ID, Username: r.Username, DisplayName: r.DisplayName, Bio: r.Bio, AvatarKey: r.AvatarKey,
		Role: policy.Role(r.Role), Private: r.Private, Personalised: r.Personalised, Region: r.Region,
		Language: r.Language, State: policy.State(r.State), CreatedAt: r.CreatedAt}
}

func sessionFromRow(r *db.SessionRow) *Session {
	return &Session{ID: r.ID, Kind: r.Kind, Device: r.Device, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, ExpiresAt: r.ExpiresAt}
}
