package db

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// stmtCacheSize bounds how many prepared statements one pool keeps. The code's fixed set of
// queries fits well inside it; queries whose text varies (IN lists of different lengths)
// evict one another rather than growing the cache without end.
const stmtCacheSize = 1024

// stmtCache keeps one *sql.Stmt per query text for a SQLite pool, so SQLite parses a query
// once per connection instead of on every call: database/sql prepares a Stmt lazily on each
// connection it runs on and keeps it there. Statements survive schema changes because
// SQLite re-prepares a statement whose schema changed (sqlite3_prepare_v2).
//
// PostgreSQL does not use it: pgx already keeps a prepared statement per connection and
// query text, and statements prepared by hand would not be invalidated after a schema
// change ("cached plan must not change result type").
//
// Transactions do not use it either: the SQLite writer has a single connection, which the
// transaction holds, so preparing through the pool would wait for it forever.
type stmtCache struct {
	pool *sql.DB
	max  int

	mu     sync.RWMutex
	stmts  map[string]*cachedStmt
	closed bool
}

// cachedStmt counts the calls running on a statement, so that one evicted from the cache
// is closed only after they have started their queries (rows already returned keep
// working after Close: database/sql closes the statement when they are done).
type cachedStmt struct {
	stmt    *sql.Stmt
	refs    atomic.Int64
	evicted atomic.Bool
}

func newStmtCache(pool *sql.DB, size int) *stmtCache {
	return &stmtCache{pool: pool, max: size, stmts: map[string]*cachedStmt{}}
}

// get returns the statement for query, preparing it if needed, with a reference the caller
// must give back with put. It returns nil if the statement cannot be prepared (or the
// cache is closed); the caller then runs the query unprepared, which reports any error.
func (c *stmtCache) get(ctx context.Context, query string) *cachedStmt {
	c.mu.RLock()
	cs, ok := c.stmts[query]
	if ok {
		cs.refs.Add(1)
	}
	closed := c.closed
	c.mu.RUnlock()
	if ok || closed {
		return cs
	}
	stmt, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = stmt.Close()
		return nil
	}
	if cs, ok := c.stmts[query]; ok {
		// Another caller prepared it meanwhile.
		_ = stmt.Close()
		cs.refs.Add(1)
		return cs
	}
	if len(c.stmts) >= c.max {
		for q, old := range c.stmts { // map order: an arbitrary entry
			delete(c.stmts, q)
			old.evict()
			break
		}
	}
	cs = &cachedStmt{stmt: stmt}
	cs.refs.Add(1)
	c.stmts[query] = cs
	return cs
}

// put gives back a reference taken by get.
func (c *stmtCache) put(cs *cachedStmt) {
	if cs.refs.Add(-1) == 0 && cs.evicted.Load() {
		_ = cs.stmt.Close()
	}
}

// evict marks a statement removed from the cache and closes it once unused. Both evict and
// put may close it; closing a closed Stmt does nothing.
func (cs *cachedStmt) evict() {
	cs.evicted.Store(true)
	if cs.refs.Load() == 0 {
		_ = cs.stmt.Close()
	}
}

// len is the number of cached statements.
func (c *stmtCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.stmts)
}

// close closes every statement and makes later calls run unprepared.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for q, cs := range c.stmts {
		delete(c.stmts, q)
		cs.evict()
	}
}
