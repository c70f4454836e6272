-- Videos, their files, parsed hashtags and mentions, resumable uploads and the durable
-- job queue. Times are Unix milliseconds (UTC).
CREATE TABLE videos (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    caption        TEXT NOT NULL DEFAULT '',
    visibility     TEXT NOT NULL CHECK (visibility IN ('public', 'followers', 'private')),
    allow_comments INTEGER NOT NULL DEFAULT 1,
    allow_download INTEGER NOT NULL DEFAULT 0,
    state          TEXT NOT NULL CHECK (state IN ('uploading', 'queued', 'processing', 'ready', 'failed')),
    failure_code   TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '',
    duration_ms    INTEGER NOT NULL DEFAULT 0,
    width          INTEGER NOT NULL DEFAULT 0,
    height         INTEGER NOT NULL DEFAULT 0,
    poster_key     TEXT NOT NULL DEFAULT '',
    removed        INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    ready_at       INTEGER
);
CREATE INDEX videos_account ON videos (account_id, id);
CREATE INDEX videos_ready ON videos (state, id);

CREATE TABLE renditions (
    video_id   TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    blob_key   TEXT NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    bitrate    INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (video_id, name)
);

CREATE TABLE video_hashtags (
    video_id TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (video_id, tag)
);
CREATE INDEX video_hashtags_tag ON video_hashtags (tag, video_id);

CREATE TABLE video_mentions (
    video_id   TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    username   TEXT NOT NULL,
    account_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    PRIMARY KEY (video_id, username)
);

CREATE TABLE uploads (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    video_id    TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    length      INTEGER NOT NULL,
    "offset"    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX uploads_expiry ON uploads (expires_at);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
