-- Retention as one row per video holding its whole curve, instead of one row per video and
-- bucket: a fold that sees plays of a video run to its end writes one row, not 21, and the
-- tailer shares SQLite's one writer with event appends. Column bN counts the plays whose
-- furthest position reached N × 5% of the duration (b0: every play of known duration). The
-- rows of analytics_retention move over, summed per video, so no counts are lost; the old
-- table then goes, as nothing reads or writes it any more.
CREATE TABLE analytics_retention_curves (
    video_id   TEXT PRIMARY KEY,
    creator_id TEXT NOT NULL,
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
    b20 BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX analytics_retention_curves_creator ON analytics_retention_curves (creator_id);

INSERT INTO analytics_retention_curves (video_id, creator_id, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20)
SELECT video_id, MAX(creator_id),
    SUM(CASE WHEN bucket = 0 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 1 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 2 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 3 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 4 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 5 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 6 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 7 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 8 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 9 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 10 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 11 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 12 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 13 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 14 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 15 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 16 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 17 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 18 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 19 THEN plays ELSE 0 END),
    SUM(CASE WHEN bucket = 20 THEN plays ELSE 0 END)
FROM analytics_retention GROUP BY video_id;

DROP TABLE analytics_retention;
