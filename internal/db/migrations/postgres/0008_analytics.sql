-- Creator analytics: aggregates folded from the event log by the analytics tailer.
-- analytics_cursor holds the last folded event seq; it moves in the same transaction as
-- the aggregates, so each event is folded exactly once, also after a crash.
CREATE TABLE analytics_cursor (
    name TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL
);
