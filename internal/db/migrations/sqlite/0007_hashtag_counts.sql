-- Hashtag counts without a join per use. video_hashtags.public marks the uses on videos that
-- anyone may see by themselves — public, ready, not removed — so a hashtag's count for a
-- viewer is an index-only count of those, corrected by the few accounts that count
-- differently for that viewer: accounts that are not active, blocks either way, the accounts
-- the viewer follows and the viewer's own (see Search.counts). Triggers recompute the flag
-- from the video whenever one of its inputs changes, so it cannot drift. The owner's state is
-- left to the query: a suspension touches one account row, not every use of its videos.
ALTER TABLE video_hashtags ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
CREATE INDEX video_hashtags_public ON video_hashtags (tag, video_id, public);
CREATE INDEX accounts_inactive ON accounts (id) WHERE state <> 'active';

CREATE TRIGGER video_hashtags_public_insert AFTER INSERT ON video_hashtags BEGIN
    UPDATE video_hashtags SET public = COALESCE((SELECT v.visibility = 'public' AND v.state = 'ready' AND NOT v.removed
        FROM videos v WHERE v.id = new.video_id), 0)
    WHERE video_id = new.video_id AND tag = new.tag;
END;
CREATE TRIGGER videos_public_update AFTER UPDATE OF visibility, state, removed ON videos
WHEN old.visibility IS NOT new.visibility OR old.state IS NOT new.state OR old.removed IS NOT new.removed BEGIN
    UPDATE video_hashtags SET public = (new.visibility = 'public' AND new.state = 'ready' AND NOT new.removed)
    WHERE video_id = new.id;
END;
UPDATE video_hashtags SET public = COALESCE((SELECT v.visibility = 'public' AND v.state = 'ready' AND NOT v.removed
    FROM videos v WHERE v.id = video_hashtags.video_id), 0);
