-- The engagement event log: the source of truth for the recommender, view counts and
-- creator analytics. Append-only; seq orders it.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    client_at   INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    account_id  TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL DEFAULT '',
    idem_key    TEXT,
    video_id    TEXT,
    creator_id  TEXT NOT NULL DEFAULT '',
    hashtag     TEXT NOT NULL DEFAULT '',
    target      TEXT NOT NULL DEFAULT '',
    feed        TEXT NOT NULL DEFAULT '',
    watch_ms    INTEGER NOT NULL DEFAULT 0,
    position_ms INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    extra       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX events_idem ON events (idem_key);
CREATE INDEX events_video ON events (video_id, kind);
CREATE INDEX events_account ON events (account_id, seq);
