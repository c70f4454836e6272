-- Every change to what a page of videos reads from the database — a video, its hashtags,
-- mentions and renditions, its owner's account — leaves a row here, so that the in-memory
-- cache of those rows (videocache.go) drops its copy before it serves it again, in this
-- process and in any other that shares the database. Rows are kept for a while, then pruned.
-- AUTOINCREMENT: sequence numbers must never be reused once pruned rows are gone.
CREATE TABLE video_changes (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    xid  INTEGER NOT NULL DEFAULT 0, -- PostgreSQL's writing transaction; unused here (one writer)
    kind TEXT NOT NULL CHECK (kind IN ('video', 'account')),
    id   TEXT NOT NULL,
    at   INTEGER NOT NULL
);
CREATE INDEX video_changes_at ON video_changes (at);

CREATE TRIGGER videos_changed AFTER UPDATE ON videos BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('video', old.id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER videos_deleted AFTER DELETE ON videos BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('video', old.id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER video_hashtags_added AFTER INSERT ON video_hashtags BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('video', new.video_id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER video_hashtags_removed AFTER DELETE ON video_hashtags BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('video', old.video_id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER video_mentions_added AFTER INSERT ON video_mentions BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('video', new.video_id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER video_mentions_removed AFTER DELETE ON video_mentions BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('video', old.video_id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER renditions_added AFTER INSERT ON renditions BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('video', new.video_id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER renditions_changed AFTER UPDATE ON renditions BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('video', old.video_id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER renditions_removed AFTER DELETE ON renditions BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('video', old.video_id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER accounts_changed AFTER UPDATE ON accounts BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('account', old.id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER accounts_deleted AFTER DELETE ON accounts BEGIN
    INSERT INTO video_changes (kind, id, at) VALUES ('account', old.id, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
