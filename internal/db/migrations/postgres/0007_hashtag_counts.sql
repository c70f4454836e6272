-- Hashtag counts without a join per use. video_hashtags.public marks the uses on videos that
-- anyone may see by themselves — public, ready, not removed — so a hashtag's count for a
-- viewer is an index-only count of those, corrected by the few accounts that count
-- differently for that viewer: accounts that are not active, blocks either way, the accounts
-- the viewer follows and the viewer's own (see Search.counts). Triggers recompute the flag
-- from the video whenever one of its inputs changes, so it cannot drift; the insert locks the
-- video row it reads, so a concurrent change of the video waits rather than racing it. The
-- owner's state is left to the query: a suspension touches one account row, not every use.
ALTER TABLE video_hashtags ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX video_hashtags_public ON video_hashtags (tag text_pattern_ops, video_id, public);
CREATE INDEX accounts_inactive ON accounts (id) WHERE state <> 'active';

CREATE FUNCTION video_hashtags_public() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.public := COALESCE((SELECT v.visibility = 'public' AND v.state = 'ready' AND NOT v.removed
        FROM videos v WHERE v.id = NEW.video_id FOR SHARE), FALSE);
    RETURN NEW;
END $$;
CREATE TRIGGER video_hashtags_public BEFORE INSERT ON video_hashtags
    FOR EACH ROW EXECUTE FUNCTION video_hashtags_public();

CREATE FUNCTION videos_public() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE video_hashtags SET public = (NEW.visibility = 'public' AND NEW.state = 'ready' AND NOT NEW.removed)
    WHERE video_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER videos_public AFTER UPDATE OF visibility, state, removed ON videos FOR EACH ROW
    WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility OR OLD.state IS DISTINCT FROM NEW.state OR OLD.removed IS DISTINCT FROM NEW.removed)
    EXECUTE FUNCTION videos_public();

UPDATE video_hashtags vh SET public = (v.visibility = 'public' AND v.state = 'ready' AND NOT v.removed)
    FROM videos v WHERE v.id = vh.video_id;
