package db

import (
	"context"
	"time"
)

// VideoCacheGen is the generation a read that starts now belongs to (see videoCache.sync).
func VideoCacheGen(d *DB) uint64 {
	g, _ := d.vcache.sync(context.Background())
	return g
}

// VideoCacheKeep keeps v as a read of generation gen would.
func VideoCacheKeep(d *DB, gen uint64, v *VideoRow) {
	keep(d.vcache, gen, "v", d.vcache.videos, map[string]*VideoRow{v.ID: v})
}

// SetVideoCacheClock replaces the cache's clock.
func SetVideoCacheClock(d *DB, now func() time.Time) {
	d.vcache.pollMu.Lock()
	defer d.vcache.pollMu.Unlock()
	d.vcache.now = now
}
