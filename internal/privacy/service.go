package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"kurz/internal/blob"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/policy"
	"kurz/internal/privacy/translog"
)

type accountStore interface {
	ByID(ctx context.Context, id string) (*db.AccountRow, error)
}

// Limits are the privacy settings (named config values).
type Limits struct {
	DeletionGrace      time.Duration // time to change one's mind after asking to be deleted
	SessionIPRetention time.Duration // how long log-in IPs and User-Agents are kept
	// NotificationRetention is how long notifications are kept; 0 keeps them until what
	// they are about goes.
	NotificationRetention time.Duration
	// EventRetention is how long watch history stays in the event log; 0 keeps it.
	EventRetention time.Duration
	ExportTTL      time.Duration // how long a finished export can be downloaded
	SessionTTL     time.Duration // how long an unused session lives, for the inventory
	UploadTTL      time.Duration // how long an unfinished upload is kept, for the inventory
}

// Deps are what the privacy service needs, handed over by main.
type Deps struct {
	Vault     *Vault
	Keys      *Keys
	AccessLog *translog.Log
	LogStore  translog.Store // the same log's store, for stored checkpoints
	Accounts  accountStore
	Erasure   erasureStore
	Exports   exportStore
	Jobs      jobQueue // runs export jobs
	Sessions  sessionLister
	Holdings  holdingStore // counts for the inventory; nil counts nothing
	// Notifications deletes notifications past Limits.NotificationRetention; nil keeps them.
	Notifications notificationPruner
	// History deletes watch history past Limits.EventRetention; nil keeps it.
	History   historyPruner
	Passwords PasswordChecker
	Blobs     blob.Store
	NewID     func() string
	Now       func() time.Time
	Limits    Limits
	Log       *slog.Logger
}

// Service is the privacy service: personal data for its owner and for staff, the access
// log as users and auditors see it, erasure and export.
type Service struct {
	d Deps

	mu        sync.Mutex
	erasers   []namedEraser
	exporters []namedExporter
	interests InterestProfiler
}

// NewService returns the service and registers its background jobs with d.Jobs.
func NewService(d Deps) *Service {
	s := &Service{d: d}
	s.registerJobs()
	return s
}

// target loads an account as a policy target.
func (s *Service) target(ctx context.Context, accountID string) (*db.AccountRow, policy.Account, error) {
	r, err := s.d.Accounts.ByID(ctx, accountID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, policy.Account{}, errs.NotFound("account")
	}
	if err != nil {
		return nil, policy.Account{}, errs.Internal(err)
	}
	return r, policy.Account{ID: r.ID, Role: policy.Role(r.Role), State: policy.State(r.State), Private: r.Private}, nil
}

// MyPersonalData returns the viewer's own personal data. Owners' reads are not logged.
func (s *Service) MyPersonalData(ctx context.Context, v policy.Viewer) (*Disclosure, error) {
	_, t, err := s.target(ctx, v.AccountID)
	if err != nil {
		return nil, err
	}
	if err := policy.PrivacyDecision(v, policy.ManageOwnPrivacy, t); err != nil {
		return nil, err
	}
	return s.d.Vault.Read(ctx, v.AccountID, Access{Actor: v.AccountID, Role: RoleOwner})
}

// UpdateMyPersonalData changes the viewer's own e-mail, phone or birth date.
func (s *Service) UpdateMyPersonalData(ctx context.Context, v policy.Viewer, in PersonalInput) (*Disclosure, error) {
	_, t, err := s.target(ctx, v.AccountID)
	if err != nil {
		return nil, err
	}
	if err := policy.PrivacyDecision(v, policy.ManageOwnPrivacy, t); err != nil {
		return nil, err
	}
	if err := s.d.Vault.Update(ctx, v.AccountID, in); err != nil {
		return nil, err
	}
	return s.d.Vault.Read(ctx, v.AccountID, Access{Actor: v.AccountID, Role: RoleOwner})
}

// ReadPersonalData is a moderator or administrator reading an account's personal data for a
// declared purpose. The read is logged where the account's owner sees it.
func (s *Service) ReadPersonalData(ctx context.Context, v policy.Viewer, accountID, purpose string, fields []string) (*Disclosure, error) {
	if v.AccountID != accountID { // decide on the role first: a refusal must not reveal the account exists
		if err := policy.PrivacyDecision(v, policy.ReadPersonalData, policy.Account{}); err != nil {
			return nil, err
		}
	}
	_, t, err := s.target(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if err := policy.PrivacyDecision(v, policy.ReadPersonalData, t); err != nil {
		return nil, err
	}
	fs, err := ParseFields(fields)
	if err != nil {
		return nil, err
	}
	if v.AccountID != accountID && !knownPurpose(purpose, true) {
		return nil, errs.Invalid("purpose", "invalid_purpose", fmt.Sprintf("declare why you read this data: one of %v", purposeNames(true)))
	}
	return s.d.Vault.Read(ctx, accountID, Access{Actor: v.AccountID, Role: string(v.Role), Purpose: purpose, Fields: fs})
}

// PublicCheckpoint is the newest signed statement of the access log's size and root.
type PublicCheckpoint struct {
	Note        []byte // the signed note, C2SP tlog-checkpoint
	Origin      string
	Size        uint64
	Root        []byte
	VerifierKey string
}

// Checkpoint signs the access log up to its current size if needed and returns the newest
// checkpoint, for anyone to see and to pin.
func (s *Service) Checkpoint(ctx context.Context) (*PublicCheckpoint, error) {
	note, err := s.d.AccessLog.Checkpoint(ctx)
	if err != nil {
		return nil, errs.Internal(err)
	}
	return s.publicCheckpoint(note)
}

func (s *Service) publicCheckpoint(note []byte) (*PublicCheckpoint, error) {
	cp, err := translog.VerifyCheckpoint(note, s.d.Keys.VerifierKey())
	if err != nil {
		return nil, errs.Internal(fmt.Errorf("stored checkpoint does not verify: %w", err))
	}
	return &PublicCheckpoint{Note: note, Origin: cp.Origin, Size: cp.Size, Root: cp.Root, VerifierKey: s.d.Keys.VerifierKey()}, nil
}

// AccessRecord is one access-log entry about the viewer with its inclusion proof.
type AccessRecord struct {
	Index uint64
	Entry translog.Entry
	Leaf  []byte   // the exact bytes that were hashed
	Proof [][]byte // inclusion proof against the page's checkpoint
}

// AccessLogPage is a page of entries about one account, all provable against Checkpoint.
type AccessLogPage struct {
	Checkpoint *PublicCheckpoint
	Records    []AccessRecord
	Next       uint64 // index to continue from; meaningful when More
	More       bool
}

// MyAccessLog lists the access-log entries about the viewer from index from on, each with an
// inclusion proof against the newest checkpoint, or against the stored checkpoint of
// treeSize when the viewer asks for one they already hold (0 means the newest).
func (s *Service) MyAccessLog(ctx context.Context, v policy.Viewer, from uint64, limit int, treeSize uint64) (*AccessLogPage, error) {
	_, t, err := s.target(ctx, v.AccountID)
	if err != nil {
		return nil, err
	}
	if err := policy.PrivacyDecision(v, policy.ManageOwnPrivacy, t); err != nil {
		return nil, err
	}
	var cp *PublicCheckpoint
	if treeSize == 0 {
		if cp, err = s.Checkpoint(ctx); err != nil {
			return nil, err
		}
	} else {
		stored, err := s.d.LogStore.Checkpoints(ctx, treeSize, 1)
		if err != nil {
			return nil, errs.Internal(err)
		}
		if len(stored) == 0 || stored[0].Size != treeSize {
			return nil, errs.Invalid("tree_size", "unknown_tree_size", "there is no signed checkpoint of this tree size; omit tree_size for the newest")
		}
		if cp, err = s.publicCheckpoint(stored[0].Note); err != nil {
			return nil, err
		}
	}
	page := &AccessLogPage{Checkpoint: cp}
	if from >= cp.Size {
		return page, nil
	}
	recs, err := s.d.AccessLog.EntriesFor(ctx, s.d.Vault.Pseudonym(v.AccountID), from, limit+1)
	if err != nil {
		return nil, errs.Internal(err)
	}
	for _, r := range recs {
		if r.Index >= cp.Size {
			break
		}
		if len(page.Records) == limit {
			page.More, page.Next = true, r.Index
			break
		}
		p, err := s.d.AccessLog.InclusionProof(ctx, r.Index, cp.Size)
		if err != nil {
			return nil, errs.Internal(err)
		}
		page.Records = append(page.Records, AccessRecord{Index: r.Index, Entry: r.Entry, Leaf: r.Data, Proof: p})
	}
	return page, nil
}

// Consistency proves that the access log of size from is a prefix of the log of size to,
// both sizes of signed checkpoints: nothing before from was changed or removed.
func (s *Service) Consistency(ctx context.Context, from, to uint64) ([][]byte, error) {
	if from < 1 || from > to {
		return nil, errs.Invalid("from", "invalid_range", "ask for 1 <= from <= to")
	}
	latest, ok, err := s.d.LogStore.LatestCheckpoint(ctx)
	if err != nil {
		return nil, errs.Internal(err)
	}
	if !ok || to > latest.Size {
		return nil, errs.Invalid("to", "invalid_range", "to is beyond the newest signed checkpoint")
	}
	p, err := s.d.AccessLog.ConsistencyProof(ctx, from, to)
	if errors.Is(err, translog.ErrOutOfRange) {
		return nil, errs.Invalid("to", "invalid_range", err.Error())
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	return p, nil
}
