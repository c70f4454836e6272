// Package bus runs background jobs: a durable queue (the database by default, NATS
// JetStream at scale) and a pool of workers with bounded concurrency, leases that survive
// crashes, and retries with exponential backoff. Jobs are serialisable messages, never
// closures, so any process can run them.
package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"kurz/internal/db"
)

// Job is a claimed job.
type Job struct {
	ID       string
	Kind     string
	Payload  []byte
	Attempts int // including this one
	Final    bool
}

// Decode unmarshals the payload.
func (j Job) Decode(v any) error { return json.Unmarshal(j.Payload, v) }

// Queue is where jobs wait. internal/db's Jobs implements it.
type Queue interface {
	Enqueue(ctx context.Context, j *db.JobRow, now time.Time) error
	Claim(ctx context.Context, kinds []string, now time.Time, lease time.Duration) (*db.JobRow, error)
	Complete(ctx context.Context, id string, now time.Time) error
	Retry(ctx context.Context, id, lastError string, at, now time.Time) error
	Fail(ctx context.Context, id, lastError string, now time.Time) error
}

// Handler runs one job. Returning a Permanent error fails the job without retrying.
type Handler func(ctx context.Context, j Job) error

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks an error that retrying cannot fix (a broken upload, say).
func Permanent(err error) error { return permanent{err} }

// Kind describes one kind of job: its handler, how many run at once, how often it is tried.
type Kind struct {
	Name        string
	Handler     Handler
	Concurrency int
	MaxAttempts int
	Lease       time.Duration // how long a worker may hold the job before others may take it
	// OnGiveUp runs after the last attempt fails, to clean up (files, states).
	OnGiveUp func(ctx context.Context, j Job, err error)
}

// Bus enqueues jobs and runs workers.
type Bus struct {
	q     Queue
	newID func() string
	now   func() time.Time
	log   *slog.Logger
	kinds map[string]Kind
	poll  time.Duration
	wake  chan struct{}
	wg    sync.WaitGroup
}

// New returns a bus over q.
func New(q Queue, newID func() string, now func() time.Time, log *slog.Logger) *Bus {
	return &Bus{q: q, newID: newID, now: now, log: log, kinds: map[string]Kind{}, poll: time.Second, wake: make(chan struct{}, 1)}
}

// Register declares a kind of job. Call before Run.
func (b *Bus) Register(k Kind) {
	if k.Concurrency < 1 {
		k.Concurrency = 1
	}
	if k.MaxAttempts < 1 {
		k.MaxAttempts = 5
	}
	if k.Lease <= 0 {
		k.Lease = 10 * time.Minute
	}
	b.kinds[k.Name] = k
}

// Row builds the queue row for a job, for callers that enqueue inside their own
// transaction.
func (b *Bus) Row(kind string, payload any) (*db.JobRow, error) {
	k, ok := b.kinds[kind]
	if !ok {
		return nil, fmt.Errorf("bus: unknown job kind %q", kind)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return &db.JobRow{ID: b.newID(), Kind: kind, Payload: string(p), MaxAttempts: k.MaxAttempts, RunAt: b.now()}, nil
}

// Enqueue adds a job and wakes the workers.
func (b *Bus) Enqueue(ctx context.Context, kind string, payload any) error {
	row, err := b.Row(kind, payload)
	if err != nil {
		return err
	}
	if err := b.q.Enqueue(ctx, row, b.now()); err != nil {
		return err
	}
	b.Wake()
	return nil
}

// Wake tells idle workers to look for work now rather than at the next poll.
func (b *Bus) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run starts the workers and returns when ctx ends and every running job has returned.
func (b *Bus) Run(ctx context.Context) {
	wakers := []chan struct{}{}
	for _, k := range b.kinds {
		for i := 0; i < k.Concurrency; i++ {
			w := make(chan struct{}, 1)
			wakers = append(wakers, w)
			b.wg.Add(1)
			go b.worker(ctx, k, w)
		}
	}
	go func() { // fan a wake-up out to every worker
		for {
			select {
			case <-ctx.Done():
				return
			case <-b.wake:
				for _, w := range wakers {
					select {
					case w <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	<-ctx.Done()
	b.wg.Wait()
}

func (b *Bus) worker(ctx context.Context, k Kind, wake chan struct{}) {
	defer b.wg.Done()
	for {
		ran := b.runOne(ctx, k)
		if ran {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(b.poll + time.Duration(rand.Int64N(int64(b.poll/4)+1))):
		}
	}
}

// runOne claims and runs one job; it reports whether there was one.
func (b *Bus) runOne(ctx context.Context, k Kind) bool {
	if ctx.Err() != nil {
		return false
	}
	row, err := b.q.Claim(ctx, []string{k.Name}, b.now(), k.Lease)
	if errors.Is(err, db.ErrNotFound) {
		return false
	}
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("claim job", "kind", k.Name, "err", err)
		}
		return false
	}
	j := Job{ID: row.ID, Kind: row.Kind, Payload: []byte(row.Payload), Attempts: row.Attempts, Final: row.Attempts >= row.MaxAttempts}
	// A job that started keeps running through shutdown until its own deadline: cancelling
	// a transcode half-way only wastes the work. The lease lets another worker take over if
	// this process is killed.
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.Lease)
	err = safeRun(jctx, k.Handler, j)
	cancel()
	bg := context.WithoutCancel(ctx)
	now := b.now()
	switch {
	case err == nil:
		if err := b.q.Complete(bg, j.ID, now); err != nil {
			b.log.Error("complete job", "id", j.ID, "err", err)
		}
	case isPermanent(err) || j.Final:
		b.log.Warn("job failed", "kind", k.Name, "id", j.ID, "attempt", j.Attempts, "err", err)
		if k.OnGiveUp != nil {
			k.OnGiveUp(bg, j, err)
		}
		if err := b.q.Fail(bg, j.ID, err.Error(), now); err != nil {
			b.log.Error("fail job", "id", j.ID, "err", err)
		}
	default:
		at := now.Add(Backoff(j.Attempts))
		b.log.Info("job will retry", "kind", k.Name, "id", j.ID, "attempt", j.Attempts, "at", at, "err", err)
		if err := b.q.Retry(bg, j.ID, err.Error(), at, now); err != nil {
			b.log.Error("retry job", "id", j.ID, "err", err)
		}
	}
	return true
}

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

func safeRun(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("job panicked: %v", p))
		}
	}()
	return h(ctx, j)
}

// Backoff is the wait before attempt n+1: 2s, 4s, 8s … capped at 10 minutes.
func Backoff(attempt int) time.Duration {
	d := 2 * time.Second << min(attempt-1, 12)
	return min(d, 10*time.Minute)
}

// Drain runs the due jobs of the named kinds in this goroutine until none is left, and
// returns how many ran. Tools and tests use it to process work in a chosen order instead
// of running background workers.
func (b *Bus) Drain(ctx context.Context, kinds ...string) int {
	n := 0
	for _, name := range kinds {
		k, ok := b.kinds[name]
		if !ok {
			continue
		}
		for b.runOne(ctx, k) {
			n++
		}
	}
	return n
}

// SetPollInterval sets how often idle workers look for due jobs (retries and jobs queued
// by other processes); Enqueue in this process wakes them at once anyway.
func (b *Bus) SetPollInterval(d time.Duration) { b.poll = d }
