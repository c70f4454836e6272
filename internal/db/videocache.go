package db

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// videoCache keeps in memory the rows a page of videos reads — the videos with their
// hashtags and mentions, their renditions, and their owners' accounts — for
// Videos.ByIDs, RenditionsOf and Owners. Those reads were a third of a For You page's CPU
// on SQLite, where every write anywhere in the database empties each reader's page cache,
// and the rows themselves change rarely.
//
// It never serves a row older than the database, in this process or in another that
// shares the database: triggers (migration 0014) record every change to those rows in
// video_changes, and every read first takes the changes committed since the previous one
// and drops their rows. So a read sees every change committed before it began, as an
// uncached read would. Should the changes table not answer, reads go to the database and
// keep nothing.
type videoCache struct {
	d        *DB
	now      func() time.Time
	capacity int
	videos   *lru.Cache[string, *VideoRow]
	rends    *lru.Cache[string, []RenditionRow]
	owners   *lru.Cache[string, *AccountRow]

	// A read keeps what it loaded only if nothing dropped those rows after its poll: the
	// generation counts the polls that dropped something, dropped says when each key was
	// last dropped, and reads from before floor keep nothing (dropped is forgotten by
	// raising floor when it grows large).
	mu      sync.Mutex
	gen     uint64
	floor   uint64
	dropped map[string]uint64

	// Where the polls follow the changes from (see sync), under pollMu.
	pollMu   sync.Mutex
	ready    bool   // the mark below is read
	lastSeq  int64  // SQLite: the last change taken (one writer: seq is commit order)
	xmin     uint64 // PostgreSQL: the oldest transaction running at the last poll
	taken    map[int64]uint64
	polledAt time.Time

	hits, misses atomic.Int64
}

// VideoChangesKept is how long video_changes keeps a row. A process that has not polled
// for half of it forgets its whole cache rather than miss a pruned change.
const VideoChangesKept = 30 * time.Minute

const maxDropped = 100_000

func newVideoCache(d *DB, size int) *videoCache {
	videos, _ := lru.New[string, *VideoRow](size)
	rends, _ := lru.New[string, []RenditionRow](size)
	owners, _ := lru.New[string, *AccountRow](size)
	return &videoCache{d: d, now: time.Now, capacity: size, videos: videos, rends: rends, owners: owners,
		dropped: map[string]uint64{}, taken: map[int64]uint64{}}
}

// cacheRead is one read through the video cache: the generation its poll gave, or no cache
// (c nil) when it is off or the changes could not be read.
type cacheRead struct {
	c   *videoCache
	gen uint64
}

func (s *Videos) cacheRead(ctx context.Context) cacheRead {
	c := s.db.vcache
	if c == nil {
		return cacheRead{}
	}
	gen, ok := c.sync(ctx)
	if !ok {
		return cacheRead{}
	}
	return cacheRead{c, gen}
}

// sync takes the changes committed since the last poll and returns the generation a read
// that starts now belongs to; ok is false if the changes could not be read, and then the
// read must go to the database and keep nothing.
//
// Every read polls for itself, and polls run side by side: a poll begun before a read
// arrived might miss what committed just before it, and a read that waited for the polls
// ahead of it waited for a connection too (on SQLite the readers are few; on PostgreSQL
// each poll is a round trip). Each poll covers the changes after the mark it started from;
// applying them drops their rows (dropping twice does no harm) and moves the mark to the
// furthest any poll reached.
func (c *videoCache) sync(ctx context.Context) (gen uint64, ok bool) {
	c.pollMu.Lock()
	if c.ready && c.now().Sub(c.polledAt) > VideoChangesKept/2 {
		c.dropAll() // what changed since may be pruned already
		c.ready = false
	}
	if !c.ready {
		// Empty, so nothing to drop: only where to start from. Rare, so under the lock.
		err := c.start(ctx)
		c.pollMu.Unlock()
		if err != nil {
			return 0, false
		}
		return c.generation(), true
	}
	fromSeq, fromXmin := c.lastSeq, c.xmin
	c.pollMu.Unlock()

	var p polled
	var err error
	if c.d.Dialect == Postgres {
		p, err = c.fetchPostgres(ctx, fromXmin)
	} else {
		p, err = c.fetchSQLite(ctx, fromSeq)
	}
	if err != nil {
		return 0, false
	}
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	var keys []string
	for _, ch := range p.changes {
		if c.d.Dialect == Postgres {
			if _, done := c.taken[ch.seq]; done {
				continue // an earlier poll applied it; its transaction may still be running
			}
			c.taken[ch.seq] = ch.xid
		}
		keys = append(keys, ch.key)
	}
	c.drop(keys)
	c.lastSeq = max(c.lastSeq, p.lastSeq)
	if p.xmin > c.xmin {
		c.xmin = p.xmin
		for seq, xid := range c.taken {
			if xid < c.xmin {
				delete(c.taken, seq) // later polls ask from c.xmin on
			}
		}
	}
	c.polledAt = c.now()
	return c.generation(), true
}

func (c *videoCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// start reads where to follow the changes from; the caller holds pollMu.
func (c *videoCache) start(ctx context.Context) error {
	if c.d.Dialect == Postgres {
		// The changes a poll from this xmin would read again are in every read from now on:
		// taken, so that they drop nothing.
		p, err := c.fetchPostgres(ctx, 0)
		if err != nil {
			return err
		}
		clear(c.taken)
		for _, ch := range p.changes {
			c.taken[ch.seq] = ch.xid
		}
		c.xmin = p.xmin
	} else if err := c.d.reader().row(ctx, `SELECT COALESCE(MAX(seq), 0) FROM video_changes`).Scan(&c.lastSeq); err != nil {
		return err
	}
	c.ready, c.polledAt = true, c.now()
	return nil
}

// polled is what one poll read: the changes, and how far it reached.
type polled struct {
	changes []change
	lastSeq int64  // SQLite: the last change read (the mark it started from if none)
	xmin    uint64 // PostgreSQL: the oldest transaction running at its snapshot
}

type change struct {
	seq int64
	xid uint64
	key string
}

// fetchSQLite reads the changes after seq. SQLite has one writer, so seq is commit order
// and every change up to the last one read is in.
func (c *videoCache) fetchSQLite(ctx context.Context, seq int64) (polled, error) {
	p := polled{lastSeq: seq}
	rows, err := c.d.reader().query(ctx, `SELECT seq, kind, id FROM video_changes WHERE seq > ?`, seq)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var ch change
		var kind, id string
		if err := rows.Scan(&ch.seq, &kind, &id); err != nil {
			return p, err
		}
		ch.key = cacheKey(kind, id)
		p.lastSeq = max(p.lastSeq, ch.seq)
		p.changes = append(p.changes, ch)
	}
	return p, rows.Err()
}

// fetchPostgres reads the changes of every transaction at or above xmin (0: the snapshot's
// own xmin). A transaction still running at the previous poll has an ID at or above that
// poll's xmin, and so has any that began since; the rows of those that had ended already
// come again and are skipped by seq. xmin and the rows are of one snapshot.
func (c *videoCache) fetchPostgres(ctx context.Context, xmin uint64) (polled, error) {
	var p polled
	from := `?::xid8`
	args := []any{strconv.FormatUint(xmin, 10)}
	if xmin == 0 {
		from, args = `pg_snapshot_xmin(pg_current_snapshot())`, nil
	}
	rows, err := c.d.reader().query(ctx, `SELECT s.xmin, c.seq, c.xid::text, c.kind, c.id
		FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin) s
		LEFT JOIN video_changes c ON c.xid >= `+from, args...)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	var snapXmin string
	for rows.Next() {
		var seq *int64
		var xid, kind, id *string
		if err := rows.Scan(&snapXmin, &seq, &xid, &kind, &id); err != nil {
			return p, err
		}
		if seq == nil {
			continue
		}
		x, err := strconv.ParseUint(*xid, 10, 64)
		if err != nil {
			return p, fmt.Errorf("db: change xid %q: %w", *xid, err)
		}
		p.changes = append(p.changes, change{seq: *seq, xid: x, key: cacheKey(*kind, *id)})
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	x, err := strconv.ParseUint(snapXmin, 10, 64)
	if err != nil {
		return p, fmt.Errorf("db: snapshot xmin %q: %w", snapXmin, err)
	}
	p.xmin = x
	return p, nil
}

func cacheKey(kind, id string) string {
	if kind == "account" {
		return "a" + id
	}
	return "v" + id
}

// drop forgets the rows of keys, and that reads begun before now may not keep them.
func (c *videoCache) drop(keys []string) {
	if len(keys) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if len(c.dropped)+len(keys) > maxDropped {
		c.floor, c.dropped = c.gen, map[string]uint64{}
	}
	for _, k := range keys {
		c.dropped[k] = c.gen
		if k[0] == 'a' {
			c.owners.Remove(k[1:])
		} else {
			c.videos.Remove(k[1:])
			c.rends.Remove(k[1:])
		}
	}
}

func (c *videoCache) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.floor, c.dropped = c.gen, map[string]uint64{}
	c.videos.Purge()
	c.rends.Purge()
	c.owners.Purge()
}

// readThrough reads the rows of ids through one of the cache's LRUs: those it holds as
// copies, the rest from load, keeping a copy of each (unless a poll has dropped it since the
// read's own). The caller gets rows of its own either way.
func readThrough[V any](ctx context.Context, cr cacheRead, prefix string, from *lru.Cache[string, *V], ids []string,
	load func(context.Context, []string) (map[string]*V, error), clone func(*V) *V) (map[string]*V, error) {
	c := cr.c
	out := make(map[string]*V, len(ids))
	var miss []string
	for _, id := range ids {
		if v, ok := from.Get(id); ok {
			out[id] = clone(v)
		} else {
			miss = append(miss, id)
		}
	}
	c.hits.Add(int64(len(ids) - len(miss)))
	if len(miss) == 0 {
		return out, nil
	}
	c.misses.Add(int64(len(miss)))
	rows, err := load(ctx, miss)
	if err != nil {
		return nil, err
	}
	kept := make(map[string]*V, len(rows))
	for id, v := range rows {
		kept[id] = clone(v)
		out[id] = v
	}
	keep(c, cr.gen, prefix, from, kept)
	return out, nil
}

// keep stores what a read of generation gen loaded, unless something dropped it since.
func keep[V any](c *videoCache, gen uint64, prefix string, into *lru.Cache[string, V], rows map[string]V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen < c.floor {
		return
	}
	for id, v := range rows {
		if c.dropped[prefix+id] <= gen {
			into.Add(id, v)
		}
	}
}

// VideoCacheStats are the cache's hits and misses (rows found in memory and rows read from
// the database) since the database was opened; both zero with the cache off.
func (d *DB) VideoCacheStats() (hits, misses int64) {
	if d.vcache == nil {
		return 0, 0
	}
	return d.vcache.hits.Load(), d.vcache.misses.Load()
}

// PruneVideoChanges deletes the rows of video_changes older than VideoChangesKept, by the
// database's clock.
func (d *DB) PruneVideoChanges(ctx context.Context) (int64, error) {
	q := `DELETE FROM video_changes WHERE at < CAST(unixepoch('subsec') * 1000 AS INTEGER) - ?`
	if d.Dialect == Postgres {
		q = `DELETE FROM video_changes WHERE at < (extract(epoch FROM clock_timestamp()) * 1000)::bigint - ?`
	}
	res, err := d.writer().exec(ctx, q, VideoChangesKept.Milliseconds())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// WarmVideoCache reads the newest ready videos, as many as the cache holds, with their
// renditions and owners into the video cache, so that the first pages after a start are
// served from memory as later ones are; it returns how many it read. Without a cache it
// does nothing.
func (d *DB) WarmVideoCache(ctx context.Context) (int, error) {
	c := d.vcache
	if c == nil {
		return 0, nil
	}
	ids, err := strings1(ctx, d.reader(), `SELECT id FROM videos WHERE state = 'ready' ORDER BY id DESC LIMIT ?`, c.capacity)
	if err != nil {
		return 0, err
	}
	v := d.Videos()
	for i := 0; i < len(ids); i += maxBatch {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		if _, err := v.Page(ctx, ids[i:min(i+maxBatch, len(ids))]); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}
