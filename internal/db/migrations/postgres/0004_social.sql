-- The social graph, interactions, counters and notifications.
ALTER TABLE videos ADD COLUMN comment_policy TEXT NOT NULL DEFAULT 'everyone';

CREATE TABLE follows (
    follower_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    followee_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('accepted', 'pending')),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX follows_followee ON follows (followee_id, state, created_at);
CREATE INDEX follows_follower ON follows (follower_id, state, created_at);

CREATE TABLE blocks (
    blocker_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    blocked_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id);

CREATE TABLE mutes (
    muter_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    muted_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (muter_id, muted_id)
);

CREATE TABLE likes (
    video_id   TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (video_id, account_id)
);
CREATE INDEX likes_account ON likes (account_id, created_at);

CREATE TABLE comments (
    id          TEXT PRIMARY KEY,
    video_id    TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    parent_id   TEXT REFERENCES comments (id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    filtered    BOOLEAN NOT NULL DEFAULT FALSE,
    like_count  BIGINT NOT NULL DEFAULT 0,
    reply_count BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);
CREATE INDEX comments_video ON comments (video_id, parent_id, id);
CREATE INDEX comments_account ON comments (account_id);

CREATE TABLE comment_likes (
    comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (comment_id, account_id)
);

CREATE TABLE pinned_comments (
    video_id   TEXT PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
    comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE
);

CREATE TABLE comment_filters (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    keyword    TEXT NOT NULL,
    PRIMARY KEY (account_id, keyword)
);

-- Counters kept exact by updating them in the transaction that changes what they count.
CREATE TABLE video_stats (
    video_id TEXT PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
    likes    BIGINT NOT NULL DEFAULT 0,
    comments BIGINT NOT NULL DEFAULT 0,
    shares   BIGINT NOT NULL DEFAULT 0,
    views    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE account_stats (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    followers  BIGINT NOT NULL DEFAULT 0,
    following  BIGINT NOT NULL DEFAULT 0,
    likes      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    actor_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    video_id   TEXT REFERENCES videos (id) ON DELETE CASCADE,
    comment_id TEXT REFERENCES comments (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_account ON notifications (account_id, id);
