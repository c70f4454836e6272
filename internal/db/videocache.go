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

	// Polls: one at a time, and a read that arrives while one runs waits for the next one
	// and shares it (a poll begun before the read might miss what committed just before).
	pollMu   sync.Mutex
	begun    atomic.Uint64 // polls begun
	ended    uint64        // the last poll that ended well
	ready    bool          // the watermark below is read
	lastSeq  int64         // SQLite: the last change taken (one writer: seq is commit order)
	xmin     uint64        // PostgreSQL: the oldest transaction running at the last poll
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
func (c *videoCache) sync(ctx context.Context) (gen uint64, ok bool) {
	next := c.begun.Load() + 1
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	if c.ready && c.ended >= next {
		return c.generation(), true
	}
	n := c.begun.Add(1)
	if err := c.poll(ctx); err != nil {
		return 0, false
	}
	c.ended = n
	return c.generation(), true
}

func (c *videoCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *videoCache) poll(ctx context.Context) error {
	now := c.now()
	if c.ready && now.Sub(c.polledAt) > VideoChangesKept/2 {
		c.dropAll() // what changed since may be pruned already
		c.ready = false
	}
	r := c.d.reader()
	if !c.ready {
		// Empty, so nothing to drop: only where to start from.
		if c.d.Dialect == Postgres {
			var xmin string
			if err := r.row(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text`).Scan(&xmin); err != nil {
				return err
			}
			x, err := strconv.ParseUint(xmin, 10, 64)
			if err != nil {
				return fmt.Errorf("db: snapshot xmin %q: %w", xmin, err)
			}
			c.xmin = x
		} else if err := r.row(ctx, `SELECT COALESCE(MAX(seq), 0) FROM video_changes`).Scan(&c.lastSeq); err != nil {
			return err
		}
		c.ready, c.polledAt = true, now
		return nil
	}
	var keys []string
	if c.d.Dialect == Postgres {
		// A transaction still running at the last poll has an ID at or above that poll's
		// xmin, and so has any that began since; the rows of those that had ended already
		// come again and are skipped by seq. xmin and the rows are of one snapshot.
		rows, err := r.query(ctx, `SELECT s.xmin, c.seq, c.xid::text, c.kind, c.id
			FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin) s
			LEFT JOIN video_changes c ON c.xid >= ?::xid8`, strconv.FormatUint(c.xmin, 10))
		if err != nil {
			return err
		}
		defer rows.Close()
		var xmin string
		for rows.Next() {
			var seq *int64
			var xid, kind, id *string
			if err := rows.Scan(&xmin, &seq, &xid, &kind, &id); err != nil {
				return err
			}
			if seq == nil {
				continue
			}
			if _, done := c.taken[*seq]; done {
				continue
			}
			x, err := strconv.ParseUint(*xid, 10, 64)
			if err != nil {
				return fmt.Errorf("db: change xid %q: %w", *xid, err)
			}
			c.taken[*seq] = x
			keys = append(keys, cacheKey(*kind, *id))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		x, err := strconv.ParseUint(xmin, 10, 64)
		if err != nil {
			return fmt.Errorf("db: snapshot xmin %q: %w", xmin, err)
		}
		c.drop(keys)
		c.xmin = x
		for seq, xid := range c.taken {
			if xid < x {
				delete(c.taken, seq) // the next poll asks from x on
			}
		}
	} else {
		rows, err := r.query(ctx, `SELECT seq, kind, id FROM video_changes WHERE seq > ?`, c.lastSeq)
		if err != nil {
			return err
		}
		defer rows.Close()
		last := c.lastSeq
		for rows.Next() {
			var seq int64
			var kind, id string
			if err := rows.Scan(&seq, &kind, &id); err != nil {
				return err
			}
			last = max(last, seq)
			keys = append(keys, cacheKey(kind, id))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		c.drop(keys)
		c.lastSeq = last
	}
	c.polledAt = now
	return nil
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
