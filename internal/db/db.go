// Package db opens kurz's metadata database — embedded SQLite by default, PostgreSQL at
// scale — runs its migrations and holds the stores. It is the only package that knows which
// engine runs: queries are written once with ? placeholders and rebound here.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Sentinel errors the stores return; services map them to domain errors.
var (
	ErrNotFound  = errors.New("db: not found")
	ErrDuplicate = errors.New("db: duplicate")
	// ErrBlocked: one of the two accounts blocks the other.
	ErrBlocked = errors.New("db: blocked")
)

// Options say which engine to open.
type Options struct {
	URL        string // empty: SQLite in DataDir; postgres://…: PostgreSQL
	DataDir    string
	Readers    int // SQLite reader pool size
	MaxConns   int // PostgreSQL pool size
	SQLiteFile string
	VideoCache int // videos (and as many owners) the video cache keeps; 0: DefaultVideoCache; below 0: no cache
}

// DefaultVideoCache is the video cache's size when Options leave it at zero: the whole
// catalogue of the feed benchmark (100,000 videos), about 200 MiB more peak RSS there.
const DefaultVideoCache = 100_000

// DB is an open database: one writer and a reader pool on SQLite (its single-writer model
// made explicit, as PocketBase does), one shared pool on PostgreSQL.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	path    string // SQLite file

	// Prepared statements per pool, SQLite only (see stmtCache); nil on PostgreSQL.
	readStmts, writeStmts *stmtCache

	appends appendGroup // group commit of event appends, SQLite only

	// SQLite only: a connection of its own that copies the WAL into the database file in
	// the background (see checkpoints), and how to stop it.
	ckpt     *sql.DB
	stopCkpt context.CancelFunc
	ckptDone chan struct{}

	mu     sync.RWMutex
	rebind map[string]string

	txRetries atomic.Int64 // see InTx

	vcache *videoCache // nil when off
}

// Open connects and checks the database answers. It does not migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	open := openSQLite
	if o.URL != "" {
		open = openPostgres
	}
	d, err := open(ctx, o)
	if err != nil {
		return nil, err
	}
	switch {
	case o.VideoCache == 0:
		d.vcache = newVideoCache(d, DefaultVideoCache)
	case o.VideoCache > 0:
		d.vcache = newVideoCache(d, o.VideoCache)
	}
	return d, nil
}

func openSQLite(ctx context.Context, o Options) (*DB, error) {
	if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	name := o.SQLiteFile
	if name == "" {
		name = "kurz.db"
	}
	path := filepath.Join(o.DataDir, name)
	// busy_timeout must come before journal_mode so that switching to WAL waits for a lock
	// instead of failing when another process holds one.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=secure_delete(1)"
	// The writer keeps a larger page cache: in WAL mode a connection's own writes leave its
	// cache valid, so the pages appends and folds touch stay in memory instead of being read
	// back with a syscall each. Readers lose their cache whenever the log moves, so theirs
	// stays at the default. Temporary b-trees (sorts, IN lists) stay in memory.
	// The writer checkpoints only past a WAL of walWriterCheckpoint pages, as a backstop:
	// the checkpointer connection does it in the background (see checkpoints).
	writerPragmas := fmt.Sprintf("&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(%d)&_txlock=immediate",
		walWriterCheckpoint)
	write, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+writerPragmas)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	readers := max(o.Readers, 1)
	read, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	ckpt, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	ckpt.SetMaxOpenConns(1)
	ckpt.SetMaxIdleConns(1)
	ckpt.SetConnMaxIdleTime(0)
	d := &DB{Dialect: SQLite, write: write, read: read, ckpt: ckpt, path: path, rebind: map[string]string{},
		readStmts: newStmtCache(read, stmtCacheSize), writeStmts: newStmtCache(write, stmtCacheSize)}
	// The writer creates the file and switches it to WAL before any reader opens it.
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	loopCtx, stop := context.WithCancel(context.Background())
	d.stopCkpt, d.ckptDone = stop, make(chan struct{})
	go d.checkpoints(loopCtx)
	return d, nil
}

// Checkpoints of SQLite's WAL. By default the connection whose commit takes the WAL past
// 1,000 pages copies them into the database file there and then, fsyncs included, while it
// holds the one write lock, so every append and fold waits for it. A PASSIVE checkpoint
// needs no write lock, so a connection of its own runs it in the background instead, every
// checkpointEvery while the WAL moves; the writer checkpoints itself only past
// walWriterCheckpoint pages, should the background fall behind. While the WAL stands still
// the wait doubles up to checkpointIdle, so an idle instance is woken a few times a minute
// rather than five times a second; the first write after a quiet spell waits at most that.
const (
	checkpointEvery     = 200 * time.Millisecond
	checkpointIdle      = 5 * time.Second
	walWriterCheckpoint = 8000
)

// walState is what PRAGMA wal_checkpoint answers: whether it was blocked, the frames in the
// WAL and the frames copied.
type walState struct{ busy, log, copied int64 }

// checkpointWait is the wait after a checkpoint that found now, when the one before found
// before and was followed by a wait of prev.
func checkpointWait(prev time.Duration, before, now walState) time.Duration {
	if now != before || now.busy != 0 {
		return checkpointEvery
	}
	return min(max(prev*2, checkpointEvery), checkpointIdle)
}

func (d *DB) checkpoints(ctx context.Context) {
	defer close(d.ckptDone)
	wait := checkpointEvery
	var last walState
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A PASSIVE checkpoint with nothing to copy only reads the WAL index. Errors (a
		// busy database) are left for the next round.
		var now walState
		if err := d.ckpt.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&now.busy, &now.log, &now.copied); err != nil {
			now = walState{busy: 1}
		}
		wait, last = checkpointWait(wait, last, now), now
		t.Reset(wait)
	}
}

func openPostgres(ctx context.Context, o Options) (*DB, error) {
	if _, err := url.Parse(o.URL); err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	pool, err := sql.Open("pgx", o.URL)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(max(o.MaxConns, 2))
	pool.SetMaxIdleConns(max(o.MaxConns/2, 2))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{Dialect: Postgres, write: pool, read: pool, rebind: map[string]string{}}
	if err := d.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return d, nil
}

// Ping checks that the database answers a query, for /readyz.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.write.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return err
	}
	if d.read != d.write {
		return d.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	}
	return nil
}

// Close closes every prepared statement and connection.
func (d *DB) Close() error {
	if d.stopCkpt != nil {
		d.stopCkpt()
		<-d.ckptDone
	}
	if d.readStmts != nil {
		d.readStmts.close()
		d.writeStmts.close()
	}
	err := d.write.Close()
	if d.ckpt != nil {
		err = errors.Join(err, d.ckpt.Close())
	}
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// Pools returns the underlying pools by name, for metrics.
func (d *DB) Pools() map[string]*sql.DB {
	if d.read == d.write {
		return map[string]*sql.DB{"main": d.write}
	}
	return map[string]*sql.DB{"writer": d.write, "readers": d.read}
}

// Path is the SQLite file, or "" on PostgreSQL.
func (d *DB) Path() string { return d.path }

// Q rewrites a query written with ? placeholders for the engine. Results are cached: the
// set of queries is fixed by the code.
func (d *DB) Q(query string) string {
	if d.Dialect != Postgres {
		return query
	}
	d.mu.RLock()
	q, ok := d.rebind[query]
	d.mu.RUnlock()
	if ok {
		return q
	}
	var b strings.Builder
	n := 0
	inQuote := false
	for _, r := range query {
		switch {
		case r == '\'':
			inQuote = !inQuote
			b.WriteRune(r)
		case r == '?' && !inQuote:
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteRune(r)
		}
	}
	q = b.String()
	d.mu.Lock()
	d.rebind[query] = q
	d.mu.Unlock()
	return q
}

// Querier runs queries; both the reader side of DB and a Tx satisfy it, so unexported store
// helpers can take either.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn binds a Querier to the dialect so callers write ? placeholders. Outside transactions
// on SQLite it runs queries through the pool's prepared statements (stmts).
type conn struct {
	d     *DB
	q     Querier
	stmts *stmtCache // nil: run unprepared
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = c.d.Q(query)
	if c.stmts != nil {
		if cs := c.stmts.get(ctx, query); cs != nil {
			defer c.stmts.put(cs)
			return cs.stmt.ExecContext(ctx, args...)
		}
	}
	return c.q.ExecContext(ctx, query, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = c.d.Q(query)
	if c.stmts != nil {
		if cs := c.stmts.get(ctx, query); cs != nil {
			defer c.stmts.put(cs)
			return cs.stmt.QueryContext(ctx, args...)
		}
	}
	return c.q.QueryContext(ctx, query, args...)
}

func (c conn) row(ctx context.Context, query string, args ...any) *sql.Row {
	query = c.d.Q(query)
	if c.stmts != nil {
		if cs := c.stmts.get(ctx, query); cs != nil {
			defer c.stmts.put(cs)
			return cs.stmt.QueryRowContext(ctx, args...)
		}
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

// reader is for reads outside a transaction.
func (d *DB) reader() conn { return conn{d: d, q: d.read, stmts: d.readStmts} }

// writer is for single writes outside a transaction.
func (d *DB) writer() conn { return conn{d: d, q: d.write, stmts: d.writeStmts} }

// Tx is a write transaction. Exported store methods open one with InTx; unexported helpers
// take it, so transactions compose (WTF Dial's findDialByID(ctx, tx, id)).
type Tx struct {
	conn
	tx *sql.Tx
}

// InTx runs fn in a write transaction, committing if it returns nil. On SQLite the
// transaction begins IMMEDIATE, so it takes the write lock up front and never fails to
// upgrade a read lock half-way.
//
// On PostgreSQL a transaction that the server aborted as a deadlock victim (40P01) or for a
// serialization failure (40001) runs again, up to txAttempts times in all, after a short
// random pause. That is a backstop: writes take their locks in one order (see Videos.Delete
// and migrations 0009 and 0013) so that they do not deadlock in the first place, and
// TxRetries counts every run again so that one that does shows.
//
// The contract that follows: fn may run more than once, each time in a fresh transaction.
// What it hands back to its caller must be set afresh by every run (assign it at the start,
// do not append to or increment it across runs), and it must do nothing outside the
// database that may not happen twice — delete files, publish to the bus, notify anyone.
// Such work belongs before or after InTx, as Service.purge in package video does with a
// video's files. A callback a store method runs inside its transaction (Analytics.Fold's
// fold, Vault.Rewrap's rewrap) is bound by the same contract.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return d.retrying(ctx, func() error { return d.runTx(ctx, fn) })
}

// retrying runs run and, on PostgreSQL, runs it again after a short random pause when the
// server aborted it as a deadlock victim or for a serialization failure, up to txAttempts
// times in all, counting each run again in TxRetries.
func (d *DB) retrying(ctx context.Context, run func() error) error {
	for attempt := 1; ; attempt++ {
		err := run()
		if err == nil || d.Dialect != Postgres || attempt == txAttempts || !retryable(err) {
			return err
		}
		d.txRetries.Add(1)
		// Random, and longer each time, so the transactions that deadlocked do not meet
		// again in step.
		pause := time.Duration(rand.Int64N(int64(txRetryPause << (attempt - 1))))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// txAttempts bounds how many times InTx runs a transaction that keeps deadlocking, and
// txRetryPause is the longest pause before the second run (doubling after).
const (
	txAttempts   = 3
	txRetryPause = 20 * time.Millisecond
)

func (d *DB) runTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{conn: conn{d: d, q: sqlTx}, tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether PostgreSQL aborted the transaction only because of how it
// met others: as a deadlock victim or for a serialization failure. Running it again can
// succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// TxRetries is how many times InTx ran a transaction again after PostgreSQL aborted it as
// a deadlock victim or for a serialization failure, for metrics and tests.
func (d *DB) TxRetries() int64 { return d.txRetries.Load() }

// classify turns engine errors into the store's sentinels.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", ErrDuplicate, err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: %v", ErrDuplicate, err)
	}
	return err
}

// Checkpoint flushes the SQLite WAL into the main file and truncates it, then vacuums, so
// that deleted rows no longer exist anywhere on disk. The erasure proof relies on it.
func (d *DB) Checkpoint(ctx context.Context) error {
	switch d.Dialect {
	case SQLite:
		if _, err := d.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return err
		}
		if _, err := d.write.ExecContext(ctx, "VACUUM"); err != nil {
			return err
		}
		_, err := d.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		return err
	default:
		// VACUUM FULL locks each table in turn while the log followers and sweeps go on;
		// when it meets one of them in the other order, PostgreSQL aborts it as the
		// deadlock victim, and running it again is safe.
		return d.retrying(ctx, func() error {
			_, err := d.write.ExecContext(ctx, "VACUUM FULL")
			return err
		})
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(t), Valid: true}
}

// scanner is a row, or the single row of QueryRow.
type scanner interface{ Scan(...any) error }

// queryAll runs a query and turns every row into a T with scan.
func queryAll[T any](ctx context.Context, c conn, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
