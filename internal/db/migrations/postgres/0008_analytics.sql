-- Creator analytics: aggregates folded from the event log by the analytics tailer. They hold
-- no viewer ids: a video's numbers per UTC day (day = days since 1970-01-01), its traffic by
-- feed, its retention histogram and an account's follower changes. analytics_cursor holds
-- the last folded event seq; it moves in the same transaction as the aggregates, so each
-- event is folded exactly once, also after a crash.
CREATE TABLE analytics_cursor (
    name TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL
);
INSERT INTO analytics_cursor (name, seq) VALUES ('creator', 0);

CREATE TABLE analytics_video_days (
    video_id   TEXT NOT NULL,
    creator_id TEXT NOT NULL,
    day        BIGINT NOT NULL,
    views      BIGINT NOT NULL DEFAULT 0, -- play_start events, as counted in video_stats
    plays      BIGINT NOT NULL DEFAULT 0, -- watch sessions begun (retention's denominator)
    watch_ms   BIGINT NOT NULL DEFAULT 0,
    completes  BIGINT NOT NULL DEFAULT 0,
    likes      BIGINT NOT NULL DEFAULT 0, -- likes less unlikes
    shares     BIGINT NOT NULL DEFAULT 0,
    comments   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, day)
);
CREATE INDEX analytics_video_days_creator ON analytics_video_days (creator_id, day);

CREATE TABLE analytics_feed_days (
    video_id   TEXT NOT NULL,
    creator_id TEXT NOT NULL,
    day        BIGINT NOT NULL,
    feed       TEXT NOT NULL,
    plays      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, day, feed)
);
CREATE INDEX analytics_feed_days_creator ON analytics_feed_days (creator_id, day);

-- plays of a video whose furthest position reached bucket × 5% of its duration (bucket 0:
-- every play of known duration).
CREATE TABLE analytics_retention (
    video_id   TEXT NOT NULL,
    creator_id TEXT NOT NULL,
    bucket     BIGINT NOT NULL,
    plays      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, bucket)
);
CREATE INDEX analytics_retention_creator ON analytics_retention (creator_id);

CREATE TABLE analytics_follower_days (
    account_id TEXT NOT NULL,
    day        BIGINT NOT NULL,
    follows    BIGINT NOT NULL DEFAULT 0,
    unfollows  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day)
);

-- The play in progress per player, so a play's furthest position and watch time can grow
-- across batches. viewer is a hash of the player's session; rows expire after a few hours
-- and go with the account at erasure.
CREATE TABLE analytics_plays (
    viewer      TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL DEFAULT '',
    video_id    TEXT NOT NULL,
    creator_id  TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    furthest_ms BIGINT NOT NULL,
    watch_ms    BIGINT NOT NULL,
    last_at     BIGINT NOT NULL
);
CREATE INDEX analytics_plays_last ON analytics_plays (last_at);
CREATE INDEX analytics_plays_account ON analytics_plays (account_id);
CREATE INDEX analytics_plays_creator ON analytics_plays (creator_id);
