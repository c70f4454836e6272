-- Every change to what a page of videos reads from the database — a video, its hashtags,
-- mentions and renditions, its owner's account — leaves a row here, so that the in-memory
-- cache of those rows (videocache.go) drops its copy before it serves it again, in this
-- process and in any other that shares the database. Rows are kept for a while, then pruned.
-- Sequence numbers are not handed out in commit order here, so readers follow the table by
-- the writing transaction's id instead (see videocache.go).
CREATE TABLE video_changes (
    seq  BIGSERIAL PRIMARY KEY,
    xid  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    kind TEXT NOT NULL CHECK (kind IN ('video', 'account')),
    id   TEXT NOT NULL,
    at   BIGINT NOT NULL DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::bigint
);
CREATE INDEX video_changes_xid ON video_changes (xid);
CREATE INDEX video_changes_at ON video_changes (at);

-- TG_ARGV: the kind, then the column that holds the video's or the account's ID.
CREATE FUNCTION video_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO video_changes (kind, id) VALUES (TG_ARGV[0], to_jsonb(OLD) ->> TG_ARGV[1]);
    ELSE
        INSERT INTO video_changes (kind, id) VALUES (TG_ARGV[0], to_jsonb(NEW) ->> TG_ARGV[1]);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER videos_changed AFTER UPDATE OR DELETE ON videos
    FOR EACH ROW EXECUTE FUNCTION video_changed('video', 'id');
CREATE TRIGGER video_hashtags_changed AFTER INSERT OR DELETE ON video_hashtags
    FOR EACH ROW EXECUTE FUNCTION video_changed('video', 'video_id');
CREATE TRIGGER video_mentions_changed AFTER INSERT OR DELETE ON video_mentions
    FOR EACH ROW EXECUTE FUNCTION video_changed('video', 'video_id');
CREATE TRIGGER renditions_changed AFTER INSERT OR UPDATE OR DELETE ON renditions
    FOR EACH ROW EXECUTE FUNCTION video_changed('video', 'video_id');
CREATE TRIGGER accounts_changed AFTER UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION video_changed('account', 'id');
