package db

import (
	"context"
	"fmt"
)

// Analyze gathers the query planner's statistics.
//
// On SQLite it keeps sqlite_stat1 and drops sqlite_stat4. modernc's SQLite is built with
// SQLITE_ENABLE_STAT4, and with stat4 samples present a prepared statement whose plan could
// depend on a bound value is compiled again each time that value changes: the statement
// cache (stmtcache.go) then saves nothing, and in the For You benchmark re-preparing took a
// tenth of the CPU. stat1's averages are what the plans here need.
func (d *DB) Analyze(ctx context.Context) error {
	if d.Dialect == Postgres {
		_, err := d.write.ExecContext(ctx, "ANALYZE")
		return err
	}
	for _, q := range []string{
		"ANALYZE",
		"DELETE FROM sqlite_stat4",
		// Reloads the statistics on every connection, which now see no stat4 samples.
		"ANALYZE sqlite_schema",
	} {
		if _, err := d.write.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("analyze: %s: %w", q, err)
		}
	}
	return nil
}
