package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"kurz/internal/bus"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/policy"
	"kurz/internal/privacy/keys"
)

// JobExport is the bus job that builds an export archive.
const JobExport = "privacy.export"

// exportActor names the export job in the access log: it reads the owner's vault data on
// the owner's request, and the owner sees that read like any other.
const exportActor = "export"

type exportStore interface {
	Start(ctx context.Context, r *db.ExportRow, job *db.JobRow) error
	Get(ctx context.Context, accountID, id string) (*db.ExportRow, error)
	ByID(ctx context.Context, id string) (*db.ExportRow, error)
	SetProgress(ctx context.Context, id string, percent int, now time.Time) error
	Finish(ctx context.Context, id, blobKey string, size int64, now, expires time.Time) (bool, error)
	Fail(ctx context.Context, id, reason string, now time.Time) error
	Claim(ctx context.Context, accountID, id string, now time.Time) (bool, error)
	Expire(ctx context.Context, now time.Time) ([]*db.ExportRow, error)
	Held(ctx context.Context, accountID string) (bool, error)
}

type jobQueue interface {
	Register(k bus.Kind)
	Row(kind string, payload any) (*db.JobRow, error)
	Wake()
}

type sessionLister interface {
	ListByAccount(ctx context.Context, accountID, after string, limit int, now time.Time) ([]*db.SessionRow, error)
}

// Exporter adds what one feature stores about an account to the account's export: videos,
// comments, follows, the interest profile. Features register one with
// Service.RegisterExporter; each writes its files under a folder named after it.
type Exporter interface {
	ExportAccount(ctx context.Context, accountID string, w *ExportWriter) error
}

// ExporterFunc adapts a function to Exporter.
type ExporterFunc func(ctx context.Context, accountID string, w *ExportWriter) error

// ExportAccount calls f.
func (f ExporterFunc) ExportAccount(ctx context.Context, accountID string, w *ExportWriter) error {
	return f(ctx, accountID, w)
}

type namedExporter struct {
	name string
	e    Exporter
}

// RegisterExporter adds a feature's exporter; its files go under name/ in the archive.
func (s *Service) RegisterExporter(name string, e Exporter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exporters = append(s.exporters, namedExporter{name: name, e: e})
}

// ExportWriter writes files into an export archive and remembers what each one is, for
// the archive's README.
type ExportWriter struct {
	zw     *zip.Writer
	prefix string
	about  *[]fileNote
}

type fileNote struct{ name, about string }

// JSON adds a JSON file, indented for people; about says what it holds.
func (w *ExportWriter) JSON(name string, v any, about string) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return w.File(name, bytes.NewReader(append(b, '\n')), about)
}

// File adds a file copied from r.
func (w *ExportWriter) File(name string, r io.Reader, about string) error {
	full := path.Join(w.prefix, name)
	f, err := w.zw.Create(full)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		return fmt.Errorf("export %s: %w", full, err)
	}
	*w.about = append(*w.about, fileNote{name: full, about: about})
	return nil
}

// Export is an export as its owner sees it.
type Export struct {
	ID        string
	State     string // running, ready, failed, downloaded, expired
	Progress  int
	Bytes     int64
	Failure   string
	CreatedAt time.Time
	ExpiresAt time.Time // when a ready archive stops being downloadable
}

func exportFromRow(r *db.ExportRow) *Export {
	return &Export{ID: r.ID, State: r.State, Progress: r.Progress, Bytes: r.Bytes, Failure: r.Failure, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// StartExport begins building the viewer's archive in the background and returns the
// download token, shown only now: the archive can be fetched once, by its owner, with it.
func (s *Service) StartExport(ctx context.Context, v policy.Viewer) (*Export, string, error) {
	_, t, err := s.target(ctx, v.AccountID)
	if err != nil {
		return nil, "", err
	}
	if err := policy.PrivacyDecision(v, policy.ManageOwnPrivacy, t); err != nil {
		return nil, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", errs.Internal(err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.d.Now()
	row := &db.ExportRow{ID: s.d.NewID(), AccountID: v.AccountID, State: "running", TokenHash: hashToken(token),
		CreatedAt: now, ExpiresAt: now.Add(s.d.Limits.ExportTTL)}
	job, err := s.d.Jobs.Row(JobExport, exportJob{ExportID: row.ID})
	if err != nil {
		return nil, "", errs.Internal(err)
	}
	switch err := s.d.Exports.Start(ctx, row, job); {
	case errors.Is(err, db.ErrExportRunning):
		return nil, "", errs.Conflict("export_running", "an export of your data is already being built; wait for it to finish")
	case err != nil:
		return nil, "", errs.Internal(err)
	}
	s.d.Jobs.Wake()
	return exportFromRow(row), token, nil
}

// ExportStatus returns one of the viewer's exports; anyone else's is not found.
func (s *Service) ExportStatus(ctx context.Context, v policy.Viewer, id string) (*Export, error) {
	r, err := s.d.Exports.Get(ctx, v.AccountID, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.NotFound("export")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	return exportFromRow(r), nil
}

// DownloadExport hands the viewer their archive, once. Another account's export is not
// found; a wrong token is forbidden; a used or expired one is gone.
func (s *Service) DownloadExport(ctx context.Context, v policy.Viewer, id, token string) ([]byte, error) {
	r, err := s.d.Exports.Get(ctx, v.AccountID, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.NotFound("export")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	if token == "" || subtle.ConstantTimeCompare(hashToken(token), r.TokenHash) != 1 {
		return nil, errs.Forbidden("invalid_download_token", "this download link is not valid; use the link given when the export started")
	}
	now := s.d.Now()
	switch {
	case r.State == "running":
		return nil, errs.Conflict("export_not_ready", fmt.Sprintf("the archive is still being built (%d%%); try again soon", r.Progress))
	case r.State == "failed":
		return nil, errs.Conflict("export_failed", "building the archive failed; start a new export")
	case r.State == "downloaded":
		return nil, errs.E(errs.KindGone, "export_downloaded", "this archive was downloaded already; start a new export")
	case r.State == "expired" || !now.Before(r.ExpiresAt):
		return nil, errs.E(errs.KindGone, "export_expired", "this download link has expired; start a new export")
	}
	won, err := s.d.Exports.Claim(ctx, v.AccountID, id, now)
	if err != nil {
		return nil, errs.Internal(err)
	}
	if !won {
		return nil, errs.E(errs.KindGone, "export_downloaded", "this archive was downloaded already; start a new export")
	}
	data, err := s.readArchive(ctx, r)
	if err != nil {
		return nil, errs.Internal(err)
	}
	// Single use: nothing of the archive is kept once it has been handed over.
	if err := s.d.Blobs.Delete(ctx, r.BlobKey); err != nil {
		s.d.Log.Warn("delete downloaded export", "export", r.ID, "err", err)
	}
	return data, nil
}

func (s *Service) readArchive(ctx context.Context, r *db.ExportRow) ([]byte, error) {
	obj, err := s.d.Blobs.Open(ctx, r.BlobKey)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	sealed, err := io.ReadAll(obj)
	if err != nil {
		return nil, err
	}
	return s.d.Vault.openArchive(ctx, r.AccountID, r.ID, sealed)
}

type exportJob struct {
	ExportID string `json:"export_id"`
}

func (s *Service) registerJobs() {
	if s.d.Jobs == nil {
		return
	}
	s.d.Jobs.Register(bus.Kind{Name: JobExport, Handler: s.exportJob, Concurrency: 1, MaxAttempts: 3, Lease: 30 * time.Minute,
		OnGiveUp: func(ctx context.Context, j bus.Job, err error) {
			var p exportJob
			if j.Decode(&p) == nil {
				_ = s.d.Exports.Fail(ctx, p.ExportID, "the archive could not be built", s.d.Now())
			}
		}})
}

func exportKey(accountID, exportID string) string {
	return "exports/" + accountID + "/" + exportID + ".zip.sealed"
}

// exportJob builds an archive. It can run again after a crash: it rebuilds from scratch.
func (s *Service) exportJob(ctx context.Context, j bus.Job) error {
	var p exportJob
	if err := j.Decode(&p); err != nil {
		return bus.Permanent(err)
	}
	r, err := s.d.Exports.ByID(ctx, p.ExportID)
	if errors.Is(err, db.ErrNotFound) {
		return nil // the account was erased meanwhile
	}
	if err != nil {
		return err
	}
	if r.State != "running" {
		return nil
	}
	archive, err := s.buildArchive(ctx, r)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	sealed, err := s.d.Vault.SealArchive(ctx, r.AccountID, r.ID, archive)
	if err != nil {
		return err
	}
	key := exportKey(r.AccountID, r.ID)
	if _, err := s.d.Blobs.Put(ctx, key, bytes.NewReader(sealed)); err != nil {
		return err
	}
	now := s.d.Now()
	ok, err := s.d.Exports.Finish(ctx, r.ID, key, int64(len(archive)), now, now.Add(s.d.Limits.ExportTTL))
	if err != nil || !ok {
		_ = s.d.Blobs.Delete(context.WithoutCancel(ctx), key)
	}
	return err
}

func (s *Service) progress(ctx context.Context, id string, pct int) {
	if err := s.d.Exports.SetProgress(ctx, id, pct, s.d.Now()); err != nil {
		s.d.Log.Warn("export progress", "export", id, "err", err)
	}
}

// The shapes of the archive's JSON files. They are a promise to whoever reads the archive,
// described by schema.json inside it.
type (
	exportAccountJSON struct {
		ID           string    `json:"id"`
		Username     string    `json:"username"`
		DisplayName  string    `json:"display_name"`
		Bio          string    `json:"bio"`
		Role         string    `json:"role"`
		Private      bool      `json:"private"`
		Personalised bool      `json:"personalised"`
		Region       string    `json:"region"`
		Language     string    `json:"language"`
		State        string    `json:"state"`
		CreatedAt    time.Time `json:"created_at"`
		Avatar       []string  `json:"avatar_files"`
	}
	exportOriginJSON struct {
		SessionID string    `json:"session_id"`
		IP        string    `json:"ip"`
		UserAgent string    `json:"user_agent"`
		At        time.Time `json:"at"`
	}
	exportPersonalJSON struct {
		Email        string             `json:"email"`
		Phone        string             `json:"phone"`
		BirthDate    string             `json:"birth_date"`
		LogInOrigins []exportOriginJSON `json:"log_in_origins"`
		ReadLogged   uint64             `json:"read_logged_as_entry"`
	}
	exportSessionJSON struct {
		ID         string    `json:"id"`
		Kind       string    `json:"kind"`
		Device     string    `json:"device"`
		CreatedAt  time.Time `json:"created_at"`
		LastSeenAt time.Time `json:"last_seen_at"`
		ExpiresAt  time.Time `json:"expires_at"`
	}
	exportEntryJSON struct {
		Index          uint64    `json:"index"`
		At             time.Time `json:"at"`
		Actor          string    `json:"actor"`
		Role           string    `json:"role"`
		Purpose        string    `json:"purpose"`
		Fields         []string  `json:"fields"`
		Leaf           []byte    `json:"leaf"`
		InclusionProof [][]byte  `json:"inclusion_proof"`
	}
	exportAccessLogJSON struct {
		Checkpoint struct {
			Note        string `json:"note"`
			Origin      string `json:"origin"`
			TreeSize    uint64 `json:"tree_size"`
			Root        []byte `json:"root"`
			VerifierKey string `json:"verifier_key"`
		} `json:"checkpoint"`
		Entries []exportEntryJSON `json:"entries"`
	}
)

func (s *Service) buildArchive(ctx context.Context, r *db.ExportRow) ([]byte, error) {
	acc, err := s.d.Accounts.ByID(ctx, r.AccountID)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var notes []fileNote
	w := &ExportWriter{zw: zw, about: &notes}

	avatars, err := s.d.Blobs.List(ctx, "avatars/"+acc.ID)
	if err != nil {
		return nil, err
	}
	accJSON := exportAccountJSON{ID: acc.ID, Username: acc.Username, DisplayName: acc.DisplayName, Bio: acc.Bio, Role: acc.Role,
		Private: acc.Private, Personalised: acc.Personalised, Region: acc.Region, Language: acc.Language, State: acc.State, CreatedAt: acc.CreatedAt,
		Avatar: []string{}}
	for _, a := range avatars {
		accJSON.Avatar = append(accJSON.Avatar, "avatar/"+path.Base(a.Key))
	}
	if err := w.JSON("account.json", accJSON, "your profile as others see it, and your account settings"); err != nil {
		return nil, err
	}
	for _, a := range avatars {
		obj, err := s.d.Blobs.Open(ctx, a.Key)
		if err != nil {
			return nil, err
		}
		err = w.File("avatar/"+path.Base(a.Key), obj, "your profile picture at one size")
		obj.Close()
		if err != nil {
			return nil, err
		}
	}
	s.progress(ctx, r.ID, 20)

	// Reading the vault for the archive is a read like any other: it is logged, and the
	// entry appears in access_log.json below.
	d, err := s.d.Vault.Read(ctx, acc.ID, Access{Actor: exportActor, Role: RoleSystem, Purpose: "data_export"})
	if err != nil {
		return nil, err
	}
	personal := exportPersonalJSON{Email: d.Email, Phone: d.Phone, BirthDate: d.BirthDate, LogInOrigins: []exportOriginJSON{}, ReadLogged: d.LogIndex}
	for _, o := range d.Sessions {
		personal.LogInOrigins = append(personal.LogInOrigins, exportOriginJSON{SessionID: o.SessionID, IP: o.IP, UserAgent: o.UserAgent, At: o.At})
	}
	if err := w.JSON("personal_data.json", personal, "what the vault holds, decrypted for you: e-mail, phone, birth date and where your recent log-ins came from"); err != nil {
		return nil, err
	}
	sessions, err := s.d.Sessions.ListByAccount(ctx, acc.ID, "", 1000, s.d.Now())
	if err != nil {
		return nil, err
	}
	sessJSON := []exportSessionJSON{}
	for _, x := range sessions {
		sessJSON = append(sessJSON, exportSessionJSON{ID: x.ID, Kind: x.Kind, Device: x.Device, CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: x.ExpiresAt})
	}
	if err := w.JSON("sessions.json", sessJSON, "the devices logged in to your account"); err != nil {
		return nil, err
	}
	s.progress(ctx, r.ID, 40)

	logJSON, err := s.accessLogForExport(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	if err := w.JSON("access_log.json", logJSON, "every read of your personal data by someone other than you, with proofs (see below)"); err != nil {
		return nil, err
	}
	s.progress(ctx, r.ID, 60)

	s.mu.Lock()
	exporters := append([]namedExporter(nil), s.exporters...)
	s.mu.Unlock()
	for _, e := range exporters {
		fw := &ExportWriter{zw: zw, prefix: e.name, about: &notes}
		if err := e.e.ExportAccount(ctx, acc.ID, fw); err != nil {
			return nil, fmt.Errorf("exporter %s: %w", e.name, err)
		}
	}
	s.progress(ctx, r.ID, 80)

	if err := w.File("schema.json", strings.NewReader(ExportSchema), "JSON Schema (2020-12) of account.json, personal_data.json, sessions.json, access_log.json and interests/interest_profile.json"); err != nil {
		return nil, err
	}
	if err := w.File("README.md", strings.NewReader(readme(acc.Username, s.d.Now(), notes)), ""); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *Service) accessLogForExport(ctx context.Context, accountID string) (*exportAccessLogJSON, error) {
	out := &exportAccessLogJSON{Entries: []exportEntryJSON{}}
	v := policy.Viewer{AccountID: accountID, Role: policy.RoleUser}
	var from uint64
	for {
		page, err := s.MyAccessLog(ctx, v, from, 500, 0)
		if err != nil {
			return nil, err
		}
		cp := page.Checkpoint
		out.Checkpoint.Note, out.Checkpoint.Origin, out.Checkpoint.TreeSize = string(cp.Note), cp.Origin, cp.Size
		out.Checkpoint.Root, out.Checkpoint.VerifierKey = cp.Root, cp.VerifierKey
		for _, r := range page.Records {
			out.Entries = append(out.Entries, exportEntryJSON{Index: r.Index, At: r.Entry.At, Actor: r.Entry.Actor, Role: r.Entry.Role,
				Purpose: r.Entry.Purpose, Fields: r.Entry.Fields, Leaf: r.Leaf, InclusionProof: r.Proof})
		}
		if !page.More {
			return out, nil
		}
		from = page.Next
	}
}

func readme(username string, at time.Time, notes []fileNote) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Your kurz data\n\nEverything kurz stores about @%s, exported on %s (UTC).\n\n## Files\n\n", username, at.Format(time.RFC3339))
	sort.SliceStable(notes, func(i, j int) bool { return notes[i].name < notes[j].name })
	for _, n := range notes {
		fmt.Fprintf(&b, "- `%s`: %s\n", n.name, n.about)
	}
	b.WriteString(`
## What is not here, and why

- Your password is stored only as an argon2id hash; it is left out, because it is of no use
  to you and a risk if this archive leaks.
- Other people's data (their comments on your videos, their profiles) is theirs to export.

## Your interest profile

interests/interest_profile.json is what the For You recommender holds about you. ` + "`summary`" + ` says
it in sentences. ` + "`learned`" + ` is what it picked up from your watching: the hashtags and
accounts you engage with, each "strong", "some" or "slight" (the score is a count of recent
engagements that halves each week without new ones), and whether it has a taste vector for
you. "Refresh For You" in the app forgets all of ` + "`learned`" + ` at once. ` + "`choices`" + ` are your own
"not interested" marks and follows, which a refresh keeps; ` + "`memory`" + ` is what keeps videos
you have seen from coming back. None of it is used for advertising: kurz shows no ads.

## Checking the access log yourself

access_log.json lists every read of your personal data by someone other than you: who read
it (an account id or "export" for this very archive), in what role, the declared purpose and
which fields. Each entry comes with an inclusion proof against a signed checkpoint:

1. Verify ` + "`checkpoint.note`" + ` with ` + "`checkpoint.verifier_key`" + ` (a C2SP signed note,
   Ed25519). Compare the key with the one the instance publishes at
   /api/v1/transparency/checkpoint, and with what you saw before: it must never change.
2. For each entry, hash ` + "`leaf`" + ` as an RFC 6962 leaf (SHA-256 of 0x00 and the bytes) and fold in
   ` + "`inclusion_proof`" + `: you must arrive at ` + "`checkpoint.root`" + ` for tree size
   ` + "`checkpoint.tree_size`" + `.
3. Later, ask /api/v1/transparency/consistency?from=<this tree size>&to=<a newer one> to check
   the log only grew: no entry about you was changed or removed.

The log names you by a keyed pseudonym, never by your account id or e-mail, and it stays
after your account is erased: it holds nothing that identifies you without the server's key.

## Formats

JSON files are UTF-8; times are RFC 3339 in UTC; byte strings (leaf, proofs, root) are
base64. schema.json describes each JSON file.
`)
	return b.String()
}

// SealArchive encrypts an export archive under its owner's data key, so erasing the account
// makes every copy of the archive unreadable too.
func (v *Vault) SealArchive(ctx context.Context, accountID, exportID string, archive []byte) ([]byte, error) {
	r, err := v.row(ctx, accountID)
	if err != nil {
		return nil, err
	}
	dk, err := v.dataKey(r)
	if err != nil {
		return nil, err
	}
	defer dk.Zero()
	return keys.Seal(dk, archive, keys.AssociatedData(accountID, "export", exportID))
}

// openArchive decrypts an export archive for its owner's single download. Its contents were
// read through Read, and logged there, when the archive was built.
func (v *Vault) openArchive(ctx context.Context, accountID, exportID string, sealed []byte) ([]byte, error) {
	r, err := v.store.Get(ctx, accountID)
	if err != nil {
		return nil, err
	}
	dk, err := v.dataKey(r)
	if err != nil {
		return nil, err
	}
	defer dk.Zero()
	return keys.Open(dk, sealed, keys.AssociatedData(accountID, "export", exportID))
}
