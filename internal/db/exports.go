package db

import (
	"context"
	"errors"
	"time"
)

// ErrExportRunning is returned when an account starts an export while another one runs.
var ErrExportRunning = errors.New("db: an export is already running")

// ExportRow is one "download my data" archive and where it is in its life: running, then
// ready, then downloaded (once) or expired; or failed.
type ExportRow struct {
	ID        string
	AccountID string
	State     string
	Progress  int // percent
	BlobKey   string
	TokenHash []byte
	Bytes     int64
	Failure   string
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// Exports is the data-export store.
type Exports struct{ db *DB }

// Exports returns the data-export store.
func (d *DB) Exports() *Exports { return &Exports{db: d} }

const exportCols = `id, account_id, state, progress, blob_key, token_hash, bytes, failure, created_at, updated_at, expires_at`

func scanExport(sc interface{ Scan(...any) error }) (*ExportRow, error) {
	var r ExportRow
	var c, u, e int64
	if err := sc.Scan(&r.ID, &r.AccountID, &r.State, &r.Progress, &r.BlobKey, &r.TokenHash, &r.Bytes, &r.Failure, &c, &u, &e); err != nil {
		return nil, classify(err)
	}
	r.CreatedAt, r.UpdatedAt, r.ExpiresAt = fromMS(c), fromMS(u), fromMS(e)
	return &r, nil
}

// Start records a running export and queues the job that builds it, in one transaction, so
// an export never waits for a job that was not queued. A unique index allows one running
// export per account: a second one, even at the same instant, is ErrExportRunning.
func (s *Exports) Start(ctx context.Context, r *ExportRow, job *JobRow) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO data_exports (`+exportCols+`) VALUES (?, ?, 'running', 0, '', ?, 0, '', ?, ?, ?)`,
			r.ID, r.AccountID, r.TokenHash, ms(r.CreatedAt), ms(r.CreatedAt), ms(r.ExpiresAt))
		if errors.Is(classify(err), ErrDuplicate) {
			return ErrExportRunning
		}
		if err != nil {
			return classify(err)
		}
		return s.db.Jobs().EnqueueTx(ctx, tx, job, r.CreatedAt)
	})
}

// Get returns an account's export; another account's is ErrNotFound.
func (s *Exports) Get(ctx context.Context, accountID, id string) (*ExportRow, error) {
	return scanExport(s.db.reader().row(ctx, `SELECT `+exportCols+` FROM data_exports WHERE id = ? AND account_id = ?`, id, accountID))
}

// ByID returns an export for the job that builds it.
func (s *Exports) ByID(ctx context.Context, id string) (*ExportRow, error) {
	return scanExport(s.db.reader().row(ctx, `SELECT `+exportCols+` FROM data_exports WHERE id = ?`, id))
}

// SetProgress records how far a running export is.
func (s *Exports) SetProgress(ctx context.Context, id string, percent int, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `UPDATE data_exports SET progress = ?, updated_at = ? WHERE id = ? AND state = 'running'`, percent, ms(now), id)
	return err
}

// Finish marks a running export ready to download until expires. It reports false when
// the export is no longer running (its account was erased meanwhile, say).
func (s *Exports) Finish(ctx context.Context, id, blobKey string, size int64, now, expires time.Time) (bool, error) {
	res, err := s.db.writer().exec(ctx, `UPDATE data_exports SET state = 'ready', progress = 100, blob_key = ?, bytes = ?,
		updated_at = ?, expires_at = ? WHERE id = ? AND state = 'running'`, blobKey, size, ms(now), ms(expires), id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Fail marks a running export failed, with a reason for its owner.
func (s *Exports) Fail(ctx context.Context, id, reason string, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `UPDATE data_exports SET state = 'failed', failure = ?, updated_at = ? WHERE id = ? AND state = 'running'`,
		reason, ms(now), id)
	return err
}

// Claim uses up a ready export's single download: it reports false when the export is not
// ready, was downloaded already or has expired. Two downloads at once cannot both win.
func (s *Exports) Claim(ctx context.Context, accountID, id string, now time.Time) (bool, error) {
	res, err := s.db.writer().exec(ctx, `UPDATE data_exports SET state = 'downloaded', updated_at = ?
		WHERE id = ? AND account_id = ? AND state = 'ready' AND expires_at > ?`, ms(now), id, accountID, ms(now))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Expire marks ready exports past their expiry as expired and returns them, so their
// archives can be deleted.
func (s *Exports) Expire(ctx context.Context, now time.Time) ([]*ExportRow, error) {
	var out []*ExportRow
	err := s.db.InTx(ctx, func(tx *Tx) error {
		out = nil // afresh on every run (see InTx)
		rows, err := tx.query(ctx, `SELECT `+exportCols+` FROM data_exports WHERE state = 'ready' AND expires_at <= ?`, ms(now))
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanExport(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE data_exports SET state = 'expired', updated_at = ? WHERE state = 'ready' AND expires_at <= ?`, ms(now), ms(now))
		return err
	})
	return out, err
}

// Held reports whether kurz holds an export archive of the account: one being built or
// waiting to be downloaded.
func (s *Exports) Held(ctx context.Context, accountID string) (bool, error) {
	var n int
	err := s.db.reader().row(ctx, `SELECT COUNT(*) FROM data_exports WHERE account_id = ? AND state IN ('running', 'ready')`, accountID).Scan(&n)
	return n > 0, err
}
