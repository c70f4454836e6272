package db

import (
	"context"
	"time"
)

// JobRow is a queued unit of background work. The payload is JSON, so jobs can move to
// another queue (NATS JetStream) without changing their producers.
type JobRow struct {
	ID          string
	Kind        string
	Payload     string
	State       string
	Attempts    int
	MaxAttempts int
	RunAt       time.Time
	LastError   string
}

// Jobs is the durable job queue kept in the database: the embedded default for the bus.
type Jobs struct{ db *DB }

// Jobs returns the job queue store.
func (d *DB) Jobs() *Jobs { return &Jobs{db: d} }

// Enqueue adds a job.
func (s *Jobs) Enqueue(ctx context.Context, j *JobRow, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error { return s.EnqueueTx(ctx, tx, j, now) })
}

// EnqueueTx adds a job inside a caller's transaction, so a state change and the job that
// follows from it commit together or not at all.
func (s *Jobs) EnqueueTx(ctx context.Context, tx *Tx, j *JobRow, now time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, created_at, updated_at)
		VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?)`, j.ID, j.Kind, j.Payload, j.MaxAttempts, ms(j.RunAt), ms(now), ms(now))
	return classify(err)
}

// Claim leases the oldest due job of the given kinds, or returns ErrNotFound. A running job
// whose lease ran out (its worker died) is due again: that is how jobs survive a crash.
func (s *Jobs) Claim(ctx context.Context, kinds []string, now time.Time, lease time.Duration) (*JobRow, error) {
	if len(kinds) == 0 {
		return nil, ErrNotFound
	}
	in := "?"
	args := []any{ms(now.Add(lease)), ms(now), ms(now), ms(now), kinds[0]}
	for _, k := range kinds[1:] {
		in += ", ?"
		args = append(args, k)
	}
	skip := ""
	if s.db.Dialect == Postgres {
		skip = " FOR UPDATE SKIP LOCKED" // replicas claim different jobs without waiting
	}
	q := `UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = ?, updated_at = ?
		WHERE id = (SELECT id FROM jobs
			WHERE ((state = 'queued' AND run_at <= ?) OR (state = 'running' AND locked_until < ?)) AND kind IN (` + in + `)
			ORDER BY run_at, id LIMIT 1` + skip + `)
		RETURNING id, kind, payload, state, attempts, max_attempts, run_at, last_error`
	var j JobRow
	var runAt int64
	err := s.db.InTx(ctx, func(tx *Tx) error {
		return tx.row(ctx, q, args...).Scan(&j.ID, &j.Kind, &j.Payload, &j.State, &j.Attempts, &j.MaxAttempts, &runAt, &j.LastError)
	})
	if err != nil {
		return nil, classify(err)
	}
	j.RunAt = fromMS(runAt)
	return &j, nil
}

// Complete marks a job done and forgets its payload.
func (s *Jobs) Complete(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `DELETE FROM jobs WHERE id = ?`, id)
	return err
}

// Retry puts a job back in the queue to run at a later time.
func (s *Jobs) Retry(ctx context.Context, id, lastError string, at, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `UPDATE jobs SET state = 'queued', run_at = ?, locked_until = 0, last_error = ?, updated_at = ? WHERE id = ?`,
		ms(at), lastError, ms(now), id)
	return err
}

// Fail gives up on a job; it stays for an operator to read.
func (s *Jobs) Fail(ctx context.Context, id, lastError string, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `UPDATE jobs SET state = 'failed', locked_until = 0, last_error = ?, updated_at = ? WHERE id = ?`,
		lastError, ms(now), id)
	return err
}

// Count returns how many jobs are in a state, for tests and metrics.
func (s *Jobs) Count(ctx context.Context, state string) (int, error) {
	var n int
	err := s.db.reader().row(ctx, `SELECT COUNT(*) FROM jobs WHERE state = ?`, state).Scan(&n)
	return n, err
}
