package auth

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/policy"
)

// SetRegistrationMode opens, closes or makes registration invite-only.
func (s *Service) SetRegistrationMode(ctx context.Context, v policy.Viewer, mode string) error {
	if err := policy.InstanceDecision(v, policy.ManageInstance); err != nil {
		return err
	}
	switch mode {
	case RegistrationOpen, RegistrationInvite, RegistrationClosed:
	default:
		return errs.Invalid("registration", "invalid_mode", "registration must be open, invite or closed")
	}
	if err := s.d.Settings.Set(ctx, "registration", mode); err != nil {
		return errs.Internal(err)
	}
	return nil
}

// Invite is a new invite; the code is shown once.
type Invite struct {
	ID        string
	Code      string
	ExpiresAt time.Time
}

// CreateInvite makes a single-use invite code valid for ttl.
func (s *Service) CreateInvite(ctx context.Context, v policy.Viewer, ttl time.Duration) (*Invite, error) {
	if err := policy.InstanceDecision(v, policy.ManageInstance); err != nil {
		return nil, err
	}
	if ttl <= 0 || ttl > 90*24*time.Hour {
		return nil, errs.Invalid("expires_in_hours", "invalid_ttl", "an invite lasts between 1 hour and 90 days")
	}
	raw := make([]byte, 15)
	if _, err := rand.Read(raw); err != nil {
		return nil, errs.Internal(err)
	}
	code := strings.ToLower(base32.StdEncoding.EncodeToString(raw))
	now := s.d.Now()
	inv := &db.InviteRow{ID: s.d.NewID(), CodeHash: hashToken(code), CreatedBy: v.AccountID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.d.Invites.Create(ctx, inv); err != nil {
		return nil, errs.Internal(err)
	}
	return &Invite{ID: inv.ID, Code: code, ExpiresAt: inv.ExpiresAt}, nil
}

func (s *Service) target(ctx context.Context, id string) (*Account, error) {
	row, err := s.d.Accounts.ByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.NotFound("account")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	return accountFromRow(row), nil
}

// Suspend suspends an account and ends its sessions at once; reinstate undoes it.
func (s *Service) Suspend(ctx context.Context, v policy.Viewer, accountID string, suspend bool) (*Account, error) {
	// The role is checked before the lookup, so a refusal never tells whether the account exists.
	if err := policy.AccountDecision(v, policy.SuspendAccount, policy.Account{}); err != nil {
		return nil, err
	}
	t, err := s.target(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if err := policy.AccountDecision(v, policy.SuspendAccount, t.Target()); err != nil {
		return nil, err
	}
	state := policy.StateActive
	if suspend {
		state = policy.StateSuspended
	}
	if err := s.d.Accounts.SetState(ctx, accountID, string(state), s.d.Now()); err != nil {
		return nil, errs.Internal(err)
	}
	s.d.Log.Info("account state changed", "account", accountID, "state", state, "by", v.AccountID)
	return s.target(ctx, accountID)
}

// SetRole changes an account's role.
func (s *Service) SetRole(ctx context.Context, v policy.Viewer, accountID, role string) (*Account, error) {
	if err := policy.AccountDecision(v, policy.ChangeRole, policy.Account{}); err != nil {
		return nil, err
	}
	t, err := s.target(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if err := policy.AccountDecision(v, policy.ChangeRole, t.Target()); err != nil {
		return nil, err
	}
	if !policy.ValidRole(role) {
		return nil, errs.Invalid("role", "invalid_role", "role must be user, moderator or admin")
	}
	if err := s.d.Accounts.SetRole(ctx, accountID, role, s.d.Now()); err != nil {
		return nil, errs.Internal(err)
	}
	return s.target(ctx, accountID)
}

// ListAccounts pages through all accounts for administrators.
func (s *Service) ListAccounts(ctx context.Context, v policy.Viewer, after string, limit int) ([]*Account, error) {
	if err := policy.InstanceDecision(v, policy.ListAccounts); err != nil {
		return nil, err
	}
	rows, err := s.d.Accounts.List(ctx, after, limit)
	if err != nil {
		return nil, errs.Internal(err)
	}
	out := make([]*Account, len(rows))
	for i, r := range rows {
		out[i] = accountFromRow(r)
	}
	return out, nil
}
