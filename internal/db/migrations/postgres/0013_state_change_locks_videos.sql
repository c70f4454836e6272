-- A change of an account's state locks the videos the account liked or commented on before
-- anything else its trigger (0009) locks, in the order the other writes take them: the
-- account, the videos, the comments, comment likes and likes, then the counters. It used
-- to reach a video only through the foreign key of a video_stats row it inserted, and
-- only after it had locked comments and counters, while the deletion of a video locks the
-- video, then its counters, then the comments its cascade removes. A suspension and the
-- deletion of a video the account had commented on could deadlock, and a suspension could
-- fail on the foreign key of a video_stats row whose video was deleted under it. Now one
-- of the two waits for the other, and the function is otherwise unchanged.

CREATE OR REPLACE FUNCTION accounts_state_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s integer := CASE WHEN NEW.state = 'active' THEN 1 ELSE -1 END;
BEGIN
    -- The videos first, as every other write takes them: a deletion of one either finishes
    -- first, and the statements below no longer find what hung off it, or waits for this
    -- transaction to commit.
    PERFORM 1 FROM videos WHERE id IN (
            SELECT video_id FROM likes WHERE account_id = NEW.id UNION SELECT video_id FROM comments WHERE account_id = NEW.id)
        ORDER BY id FOR KEY SHARE;
    INSERT INTO video_stats (video_id) SELECT video_id FROM likes WHERE account_id = NEW.id
        UNION SELECT video_id FROM comments WHERE account_id = NEW.id
        ON CONFLICT DO NOTHING;
    INSERT INTO account_stats (account_id) SELECT followee_id FROM follows WHERE follower_id = NEW.id AND state = 'accepted'
        UNION SELECT follower_id FROM follows WHERE followee_id = NEW.id AND state = 'accepted'
        UNION SELECT v.account_id FROM likes l JOIN videos v ON v.id = l.video_id WHERE l.account_id = NEW.id
        ON CONFLICT DO NOTHING;
    -- Its own top-level comments too: their reply counts are read below, and a concurrent
    -- state change of a replier moves them.
    PERFORM 1 FROM comments WHERE id IN (
            SELECT parent_id FROM comments WHERE account_id = NEW.id AND parent_id IS NOT NULL AND NOT filtered
            UNION SELECT id FROM comments WHERE account_id = NEW.id AND parent_id IS NULL AND NOT filtered
            UNION SELECT comment_id FROM comment_likes WHERE account_id = NEW.id)
        ORDER BY id FOR UPDATE;
    PERFORM 1 FROM video_stats WHERE video_id IN (
            SELECT video_id FROM comments WHERE account_id = NEW.id UNION SELECT video_id FROM likes WHERE account_id = NEW.id)
        ORDER BY video_id FOR UPDATE;
    PERFORM 1 FROM account_stats WHERE account_id IN (
            SELECT followee_id FROM follows WHERE follower_id = NEW.id AND state = 'accepted'
            UNION SELECT follower_id FROM follows WHERE followee_id = NEW.id AND state = 'accepted'
            UNION SELECT v.account_id FROM likes l JOIN videos v ON v.id = l.video_id WHERE l.account_id = NEW.id)
        ORDER BY account_id FOR UPDATE;
    -- Its top-level comments with their counted replies; then its replies, on the video as
    -- far as their parent counts (a parent of its own changed above, so it reads its new
    -- state) and on their parents. The first reads reply counts before the last changes them.
    UPDATE video_stats SET comments = comments + s
        * (SELECT COALESCE(SUM(1 + c.reply_count), 0) FROM comments c
            WHERE c.account_id = NEW.id AND c.video_id = video_stats.video_id AND c.parent_id IS NULL AND NOT c.filtered)
        WHERE video_id IN (SELECT video_id FROM comments WHERE account_id = NEW.id AND parent_id IS NULL AND NOT filtered);
    UPDATE video_stats SET comments = comments + s
        * (SELECT COUNT(*) FROM comments r JOIN comments p ON p.id = r.parent_id JOIN accounts pa ON pa.id = p.account_id
            WHERE r.account_id = NEW.id AND r.video_id = video_stats.video_id AND NOT r.filtered AND NOT p.filtered AND pa.state = 'active')
        WHERE video_id IN (SELECT video_id FROM comments WHERE account_id = NEW.id AND parent_id IS NOT NULL AND NOT filtered);
    UPDATE comments SET reply_count = reply_count + s
        * (SELECT COUNT(*) FROM comments r WHERE r.account_id = NEW.id AND r.video_id = comments.video_id AND r.parent_id = comments.id AND NOT r.filtered)
        WHERE id IN (SELECT parent_id FROM comments WHERE account_id = NEW.id AND parent_id IS NOT NULL AND NOT filtered);
    UPDATE comments SET like_count = like_count + s
        WHERE id IN (SELECT comment_id FROM comment_likes WHERE account_id = NEW.id);
    UPDATE video_stats SET likes = likes + s
        WHERE video_id IN (SELECT video_id FROM likes WHERE account_id = NEW.id);
    UPDATE account_stats SET likes = likes + s
        * (SELECT COUNT(*) FROM likes l JOIN videos v ON v.id = l.video_id WHERE l.account_id = NEW.id AND v.account_id = account_stats.account_id)
        WHERE account_id IN (SELECT v.account_id FROM likes l JOIN videos v ON v.id = l.video_id WHERE l.account_id = NEW.id);
    UPDATE account_stats SET followers = followers + s
        WHERE account_id IN (SELECT followee_id FROM follows WHERE follower_id = NEW.id AND state = 'accepted');
    UPDATE account_stats SET following = following + s
        WHERE account_id IN (SELECT follower_id FROM follows WHERE followee_id = NEW.id AND state = 'accepted');
    RETURN NULL;
END $$;
