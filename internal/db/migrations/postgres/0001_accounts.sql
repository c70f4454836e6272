-- Accounts, sessions, instance settings and invites. Times are Unix milliseconds (UTC),
-- as on SQLite, so the stores share their queries.
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    bio           TEXT NOT NULL DEFAULT '',
    avatar_key    TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    private       BOOLEAN NOT NULL DEFAULT FALSE,
    personalised  BOOLEAN NOT NULL DEFAULT TRUE,
    region        TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended', 'deleting')),
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    suspended_at  BIGINT
);
CREATE UNIQUE INDEX accounts_username ON accounts (lower(username));

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash   BYTEA NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('browser', 'token')),
    device       TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id, id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE instance_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE invites (
    id         TEXT PRIMARY KEY,
    code_hash  BYTEA NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_by    TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    used_at    BIGINT
);
