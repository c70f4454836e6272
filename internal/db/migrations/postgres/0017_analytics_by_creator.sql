-- Creator analytics clustered by creator, so that a fold writes fewer pages. Every table
-- had a b-tree by video and another by creator, and feed traffic had its own rows: a play
-- dirtied five leaf pages at random places, and on SQLite the fold commits them under the
-- one write lock that event appends wait for. Now a video's day is one row in one b-tree,
-- keyed (creator, day, video), traffic by feed is columns of that row (from_<feed>), and a
-- retention curve is one row keyed (creator, video): a play dirties two pages. Every
-- question the analytics ask names the creator (a video's report knows its owner), and
-- erasure deletes by creator. All counts move over; the old tables go.
CREATE TABLE analytics_days (
    creator_id TEXT NOT NULL,
    day        BIGINT NOT NULL,
    video_id   TEXT NOT NULL,
    views      BIGINT NOT NULL DEFAULT 0, -- play_start events, as counted in video_stats
    plays      BIGINT NOT NULL DEFAULT 0, -- watch sessions begun (retention's denominator)
    watch_ms   BIGINT NOT NULL DEFAULT 0,
    completes  BIGINT NOT NULL DEFAULT 0,
    likes      BIGINT NOT NULL DEFAULT 0, -- likes less unlikes
    shares     BIGINT NOT NULL DEFAULT 0,
    comments   BIGINT NOT NULL DEFAULT 0,
    -- plays begun from each feed; a feed kurz does not know counts as other
    from_for_you    BIGINT NOT NULL DEFAULT 0,
    from_following  BIGINT NOT NULL DEFAULT 0,
    from_trending   BIGINT NOT NULL DEFAULT 0,
    from_profile    BIGINT NOT NULL DEFAULT 0,
    from_hashtag    BIGINT NOT NULL DEFAULT 0,
    from_search     BIGINT NOT NULL DEFAULT 0,
    from_direct     BIGINT NOT NULL DEFAULT 0,
    from_other      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (creator_id, day, video_id)
);

INSERT INTO analytics_days (creator_id, day, video_id, views, plays, watch_ms, completes, likes, shares, comments, from_for_you, from_following, from_trending, from_profile, from_hashtag, from_search, from_direct, from_other)
SELECT v.creator_id, v.day, v.video_id, v.views, v.plays, v.watch_ms, v.completes, v.likes, v.shares, v.comments, COALESCE(f.from_for_you, 0), COALESCE(f.from_following, 0), COALESCE(f.from_trending, 0), COALESCE(f.from_profile, 0), COALESCE(f.from_hashtag, 0), COALESCE(f.from_search, 0), COALESCE(f.from_direct, 0), COALESCE(f.from_other, 0)
FROM analytics_video_days v LEFT JOIN (
    SELECT video_id, day,
        SUM(CASE WHEN feed = 'for_you' THEN plays ELSE 0 END) AS from_for_you,
        SUM(CASE WHEN feed = 'following' THEN plays ELSE 0 END) AS from_following,
        SUM(CASE WHEN feed = 'trending' THEN plays ELSE 0 END) AS from_trending,
        SUM(CASE WHEN feed = 'profile' THEN plays ELSE 0 END) AS from_profile,
        SUM(CASE WHEN feed = 'hashtag' THEN plays ELSE 0 END) AS from_hashtag,
        SUM(CASE WHEN feed = 'search' THEN plays ELSE 0 END) AS from_search,
        SUM(CASE WHEN feed = 'direct' THEN plays ELSE 0 END) AS from_direct,
        SUM(CASE WHEN feed NOT IN ('for_you', 'following', 'trending', 'profile', 'hashtag', 'search', 'direct') THEN plays ELSE 0 END) AS from_other
    FROM analytics_feed_days GROUP BY video_id, day
) f ON f.video_id = v.video_id AND f.day = v.day;

-- Traffic of a day the video table has no row for (the fold always writes both; this keeps
-- counts should an older kurz have left one alone).
INSERT INTO analytics_days (creator_id, day, video_id, from_for_you, from_following, from_trending, from_profile, from_hashtag, from_search, from_direct, from_other)
SELECT f.creator_id, f.day, f.video_id, f.from_for_you, f.from_following, f.from_trending, f.from_profile, f.from_hashtag, f.from_search, f.from_direct, f.from_other
FROM (
    SELECT video_id, day, MAX(creator_id) AS creator_id,
        SUM(CASE WHEN feed = 'for_you' THEN plays ELSE 0 END) AS from_for_you,
        SUM(CASE WHEN feed = 'following' THEN plays ELSE 0 END) AS from_following,
        SUM(CASE WHEN feed = 'trending' THEN plays ELSE 0 END) AS from_trending,
        SUM(CASE WHEN feed = 'profile' THEN plays ELSE 0 END) AS from_profile,
        SUM(CASE WHEN feed = 'hashtag' THEN plays ELSE 0 END) AS from_hashtag,
        SUM(CASE WHEN feed = 'search' THEN plays ELSE 0 END) AS from_search,
        SUM(CASE WHEN feed = 'direct' THEN plays ELSE 0 END) AS from_direct,
        SUM(CASE WHEN feed NOT IN ('for_you', 'following', 'trending', 'profile', 'hashtag', 'search', 'direct') THEN plays ELSE 0 END) AS from_other
    FROM analytics_feed_days GROUP BY video_id, day
) f WHERE NOT EXISTS (SELECT 1 FROM analytics_video_days v WHERE v.video_id = f.video_id AND v.day = f.day);

DROP TABLE analytics_video_days;
DROP TABLE analytics_feed_days;

CREATE TABLE analytics_curves (
    creator_id TEXT NOT NULL,
    video_id   TEXT NOT NULL,
    b0  BIGINT NOT NULL DEFAULT 0,
    b1  BIGINT NOT NULL DEFAULT 0,
    b2  BIGINT NOT NULL DEFAULT 0,
    b3  BIGINT NOT NULL DEFAULT 0,
    b4  BIGINT NOT NULL DEFAULT 0,
    b5  BIGINT NOT NULL DEFAULT 0,
    b6  BIGINT NOT NULL DEFAULT 0,
    b7  BIGINT NOT NULL DEFAULT 0,
    b8  BIGINT NOT NULL DEFAULT 0,
    b9  BIGINT NOT NULL DEFAULT 0,
    b10 BIGINT NOT NULL DEFAULT 0,
    b11 BIGINT NOT NULL DEFAULT 0,
    b12 BIGINT NOT NULL DEFAULT 0,
    b13 BIGINT NOT NULL DEFAULT 0,
    b14 BIGINT NOT NULL DEFAULT 0,
    b15 BIGINT NOT NULL DEFAULT 0,
    b16 BIGINT NOT NULL DEFAULT 0,
    b17 BIGINT NOT NULL DEFAULT 0,
    b18 BIGINT NOT NULL DEFAULT 0,
    b19 BIGINT NOT NULL DEFAULT 0,
    b20 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (creator_id, video_id)
);

INSERT INTO analytics_curves (creator_id, video_id, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20)
SELECT creator_id, video_id, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20 FROM analytics_retention_curves;

DROP TABLE analytics_retention_curves;
