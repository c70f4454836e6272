package db

import (
	"context"
	"fmt"
)

// Analyze gathers the query planner's statistics, reading every row.
//
// On SQLite it keeps sqlite_stat1 and drops sqlite_stat4. modernc's SQLite is built with
// SQLITE_ENABLE_STAT4, and with stat4 samples present a prepared statement whose plan could
// depend on a bound value is compiled again each time that value changes: the statement
// cache (stmtcache.go) then saves nothing, and in the For You benchmark re-preparing took a
// tenth of the CPU. stat1's averages are what the plans here need.
func (d *DB) Analyze(ctx context.Context) error { return d.analyze(ctx, 0) }

// analysisSample is how many rows of each index a sampled ANALYZE reads on SQLite
// (PRAGMA analysis_limit, the figure SQLite's own PRAGMA optimize uses).
const analysisSample = 1000

// RefreshStatistics keeps the planner's statistics current in a running server. On SQLite
// it runs a sampled ANALYZE, which holds the write lock for milliseconds rather than for a
// read of the whole database. PostgreSQL's autovacuum analyzes tables as they change, so
// there it does nothing.
func (d *DB) RefreshStatistics(ctx context.Context) error {
	if d.Dialect == Postgres {
		return nil
	}
	return d.analyze(ctx, analysisSample)
}

func (d *DB) analyze(ctx context.Context, limit int) error {
	if d.Dialect == Postgres {
		_, err := d.write.ExecContext(ctx, "ANALYZE")
		return err
	}
	// The limit is a setting of the connection, so all of it runs on one.
	conn, err := d.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range []string{
		fmt.Sprintf("PRAGMA analysis_limit = %d", limit),
		"ANALYZE",
		"DELETE FROM sqlite_stat4",
		// Reloads the statistics on every connection, which now see no stat4 samples.
		"ANALYZE sqlite_schema",
		"PRAGMA analysis_limit = 0",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("analyze: %s: %w", q, err)
		}
	}
	return nil
}
