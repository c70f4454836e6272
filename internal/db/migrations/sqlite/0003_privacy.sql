-- The personal-data vault, the access transparency log, account erasure and data exports.
-- Times are Unix milliseconds (UTC). Sealed columns hold XChaCha20-Poly1305 ciphertext
-- under the account's data key; wrapped_key is that key wrapped by the master key, so
-- deleting the vault row makes every copy of the sealed data unreadable.
CREATE TABLE vault (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    wrapped_key BLOB NOT NULL,
    email_index BLOB UNIQUE,
    email       BLOB,
    phone       BLOB,
    birth_date  BLOB,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Where each log-in came from: truncated IP and raw User-Agent, sealed, kept for a bounded
-- time whatever happens to the session itself.
CREATE TABLE vault_sessions (
    session_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES vault (account_id) ON DELETE CASCADE,
    ip         BLOB NOT NULL,
    user_agent BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX vault_sessions_account ON vault_sessions (account_id, created_at);
CREATE INDEX vault_sessions_created ON vault_sessions (created_at);

-- Accounts waiting to be erased; the purge job removes everything once purge_at passes.
CREATE TABLE account_deletions (
    account_id   TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    purge_at     INTEGER NOT NULL
);
CREATE INDEX account_deletions_due ON account_deletions (purge_at);

-- The access transparency log: RFC 6962 leaves, the perfect-subtree node hashes and the
-- signed checkpoints. Rows are only ever inserted.
CREATE TABLE access_log_leaves (
    leaf_index INTEGER PRIMARY KEY,
    subject    TEXT NOT NULL,
    data       BLOB NOT NULL
);
CREATE INDEX access_log_leaves_subject ON access_log_leaves (subject, leaf_index);

CREATE TABLE access_log_nodes (
    level      INTEGER NOT NULL,
    node_index INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    PRIMARY KEY (level, node_index)
);

CREATE TABLE access_log_checkpoints (
    tree_size  INTEGER PRIMARY KEY,
    note       BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- "Download my data" jobs. The archive is sealed under the owner's data key; the download
-- token is single-use and only its hash is kept.
CREATE TABLE data_exports (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('running', 'ready', 'failed', 'downloaded', 'expired')),
    progress    INTEGER NOT NULL DEFAULT 0,
    blob_key    TEXT NOT NULL DEFAULT '',
    token_hash  BLOB,
    bytes       INTEGER NOT NULL DEFAULT 0,
    failure     TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX data_exports_account ON data_exports (account_id, id);
CREATE UNIQUE INDEX data_exports_one_running ON data_exports (account_id) WHERE state = 'running';
