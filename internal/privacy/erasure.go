package privacy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/policy"
)

// Eraser removes everything one feature stores about an account: its rows, its files, its
// search entries. Features register one with Service.RegisterEraser, and the purge calls
// each in registration order, then removes the account itself. An Eraser must be
// idempotent: after a failure the whole purge is retried from the start.
type Eraser interface {
	EraseAccount(ctx context.Context, accountID string) error
}

// EraserFunc adapts a function to Eraser.
type EraserFunc func(ctx context.Context, accountID string) error

// EraseAccount calls f.
func (f EraserFunc) EraseAccount(ctx context.Context, accountID string) error {
	return f(ctx, accountID)
}

type namedEraser struct {
	name string
	e    Eraser
}

// RegisterEraser adds a feature's eraser; name appears in logs when it fails.
func (s *Service) RegisterEraser(name string, e Eraser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.erasers = append(s.erasers, namedEraser{name: name, e: e})
}

// PasswordChecker re-authenticates an account holder before something irreversible.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, accountID, password string) error
}

type erasureStore interface {
	Schedule(ctx context.Context, r db.DeletionRow, immediate bool) error
	Pending(ctx context.Context, accountID string) (*db.DeletionRow, error)
	Due(ctx context.Context, now time.Time, limit int) ([]db.DeletionRow, error)
	PurgeAccount(ctx context.Context, accountID string) error
}

// Deletion is a scheduled account erasure.
type Deletion struct {
	AccountID   string
	RequestedAt time.Time
	PurgeAt     time.Time
}

// RequestDeletion starts the erasure of the viewer's own account after checking their
// password. The account disappears from view and is logged out at once; it is purged when
// the grace period ends, unless its owner logs in before then.
func (s *Service) RequestDeletion(ctx context.Context, v policy.Viewer, password string) (*Deletion, error) {
	_, t, err := s.target(ctx, v.AccountID)
	if err != nil {
		return nil, err
	}
	if err := policy.PrivacyDecision(v, policy.ManageOwnPrivacy, t); err != nil {
		return nil, err
	}
	if password == "" {
		return nil, errs.Invalid("password", "password_required", "confirm with your password to delete your account")
	}
	if err := s.d.Passwords.CheckPassword(ctx, v.AccountID, password); err != nil {
		return nil, err
	}
	now := s.d.Now()
	d := &Deletion{AccountID: v.AccountID, RequestedAt: now, PurgeAt: now.Add(s.d.Limits.DeletionGrace)}
	err = s.d.Erasure.Schedule(ctx, db.DeletionRow{AccountID: d.AccountID, RequestedBy: RoleOwner, RequestedAt: now, PurgeAt: d.PurgeAt}, false)
	switch {
	case errors.Is(err, db.ErrDeletionPending):
		return nil, errs.Conflict("deletion_pending", "this account is already being deleted")
	case errors.Is(err, db.ErrNotFound):
		return nil, errs.NotFound("account")
	case err != nil:
		return nil, errs.Internal(err)
	}
	s.d.Log.Info("account deletion requested", "account", v.AccountID, "purge_at", d.PurgeAt)
	return d, nil
}

// EraseNow is an administrator erasing an account at once, without a grace period.
func (s *Service) EraseNow(ctx context.Context, v policy.Viewer, accountID string) error {
	// Decide on the role before looking the account up, so a refusal never says whether
	// the account exists.
	if err := policy.PrivacyDecision(v, policy.EraseAccountNow, policy.Account{}); err != nil {
		return err
	}
	_, t, err := s.target(ctx, accountID)
	if err != nil {
		return err
	}
	if err := policy.PrivacyDecision(v, policy.EraseAccountNow, t); err != nil {
		return err
	}
	now := s.d.Now()
	err = s.d.Erasure.Schedule(ctx, db.DeletionRow{AccountID: accountID, RequestedBy: v.AccountID, RequestedAt: now, PurgeAt: now}, true)
	if errors.Is(err, db.ErrNotFound) {
		return errs.NotFound("account")
	}
	if err != nil {
		return errs.Internal(err)
	}
	if err := s.purge(ctx, accountID); err != nil {
		// The deletion stays scheduled and the next sweep retries it.
		return errs.Internal(err)
	}
	s.d.Log.Info("account erased by an administrator", "account", accountID, "by", v.AccountID)
	return nil
}

// PurgeDue erases every account whose grace period is over and returns how many it erased.
// One account that fails does not hold up the others; the error reports the failures.
func (s *Service) PurgeDue(ctx context.Context) (int, error) {
	due, err := s.d.Erasure.Due(ctx, s.d.Now(), 100)
	if err != nil {
		return 0, fmt.Errorf("list due deletions: %w", err)
	}
	n := 0
	var failed []error
	for _, d := range due {
		if err := s.purge(ctx, d.AccountID); err != nil {
			failed = append(failed, fmt.Errorf("account %s: %w", d.AccountID, err))
			continue
		}
		n++
		s.d.Log.Info("account erased", "account", d.AccountID)
	}
	return n, errors.Join(failed...)
}

// purge erases one account. The vault goes first: once the wrapped key is gone the
// personal data is unreadable everywhere, even if a later step fails and is retried.
func (s *Service) purge(ctx context.Context, accountID string) error {
	if err := s.d.Vault.Destroy(ctx, accountID); err != nil {
		return fmt.Errorf("destroy vault: %w", err)
	}
	s.mu.Lock()
	erasers := append([]namedEraser(nil), s.erasers...)
	s.mu.Unlock()
	for _, e := range erasers {
		if err := e.e.EraseAccount(ctx, accountID); err != nil {
			return fmt.Errorf("eraser %s: %w", e.name, err)
		}
	}
	if err := s.d.Blobs.DeletePrefix(ctx, "exports/"+accountID); err != nil {
		return fmt.Errorf("delete export archives: %w", err)
	}
	if err := s.d.Erasure.PurgeAccount(ctx, accountID); err != nil {
		return fmt.Errorf("remove account: %w", err)
	}
	return nil
}

// PendingDeletion returns the viewer's scheduled deletion, or NotFound.
func (s *Service) PendingDeletion(ctx context.Context, accountID string) (*Deletion, error) {
	r, err := s.d.Erasure.Pending(ctx, accountID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.NotFound("deletion")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	return &Deletion{AccountID: r.AccountID, RequestedAt: r.RequestedAt, PurgeAt: r.PurgeAt}, nil
}

// Sweep does the privacy housekeeping: purge accounts whose grace period is over, forget
// log-in IPs past their retention, delete notifications past theirs, delete export
// archives nobody fetched in time, and sign the access log if entries are unsigned.
func (s *Service) Sweep(ctx context.Context) error {
	_, purgeErr := s.PurgeDue(ctx)
	_, expireErr := s.d.Vault.ExpireSessions(ctx, s.d.Limits.SessionIPRetention)
	var notifyErr error
	if s.d.Notifications != nil && s.d.Limits.NotificationRetention > 0 {
		if _, err := s.d.Notifications.PruneNotifications(ctx, s.d.Now().Add(-s.d.Limits.NotificationRetention)); err != nil {
			notifyErr = fmt.Errorf("prune notifications: %w", err)
		}
	}
	var historyErr error
	if s.d.History != nil && s.d.Limits.EventRetention > 0 {
		if _, err := s.d.History.PruneHistory(ctx, s.d.Now().Add(-s.d.Limits.EventRetention), historyPerSweep); err != nil {
			historyErr = fmt.Errorf("prune watch history: %w", err)
		}
	}
	_, cpErr := s.d.AccessLog.Checkpoint(ctx)
	return errors.Join(purgeErr, expireErr, notifyErr, historyErr, cpErr, s.expireExports(ctx))
}

type notificationPruner interface {
	PruneNotifications(ctx context.Context, before time.Time) (int64, error)
}

// historyPerSweep bounds the watch history one sweep deletes: far more than a busy
// instance logs between two sweeps, so it keeps up, while an instance that turns the
// retention on catches up over a few sweeps instead of in one long one.
const historyPerSweep = 50_000

type historyPruner interface {
	PruneHistory(ctx context.Context, before time.Time, limit int) (int, error)
}

func (s *Service) expireExports(ctx context.Context) error {
	rows, err := s.d.Exports.Expire(ctx, s.d.Now())
	if err != nil {
		return fmt.Errorf("expire exports: %w", err)
	}
	var failed []error
	for _, r := range rows {
		if err := s.d.Blobs.Delete(ctx, r.BlobKey); err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// Run sweeps every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.d.Log.Warn("privacy sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
