package auth

import (
	"context"
	"errors"

	"kurz/internal/db"
	"kurz/internal/errs"
)

// AccountByID returns an account for display next to content (an author). It applies no
// access rule of its own: callers have already decided the content may be seen.
func (s *Service) AccountByID(ctx context.Context, id string) (*Account, error) {
	row, err := s.d.Accounts.ByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.NotFound("account")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	return accountFromRow(row), nil
}

// AccountByUsername returns an account by name for the same purpose.
func (s *Service) AccountByUsername(ctx context.Context, username string) (*Account, error) {
	row, err := s.d.Accounts.ByUsername(ctx, username)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.NotFound("account")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	return accountFromRow(row), nil
}

// FromRow converts a stored account for display; other services that read accounts
// directly (the social graph's lists) use it so the conversion lives in one place.
func FromRow(r *db.AccountRow) *Account { return accountFromRow(r) }
