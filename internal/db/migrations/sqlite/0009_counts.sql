-- Counters count what an anonymous visitor would see: only what active accounts did, and no
-- comment held back by the creator's keyword filter, nor the replies under one (the exact
-- definitions are in internal/db/social.go). A viewer who sees more or less gets the
-- difference at read time, found through the two indexes below.
--
-- When an account stops or starts being active (suspension, deletion, their undoing), the
-- trigger moves what it did off or onto every counter in the same transaction, whichever
-- code changed the state. Writes read their accounts' states in their own transaction, so
-- nothing is counted twice or missed. The counters are recounted once here under the new
-- definition.

-- Comments by account and video: a viewer's blocked accounts' and own comments on a video.
DROP INDEX comments_account;
CREATE INDEX comments_account_video ON comments (account_id, video_id);
-- Held comments by video: what only the creator (and each author) sees.
CREATE INDEX comments_held ON comments (video_id) WHERE filtered;

CREATE TRIGGER accounts_state_counts AFTER UPDATE OF state ON accounts
WHEN (old.state = 'active') <> (new.state = 'active') BEGIN
    INSERT INTO video_stats (video_id) SELECT video_id FROM likes WHERE account_id = new.id
        UNION SELECT video_id FROM comments WHERE account_id = new.id
        ON CONFLICT DO NOTHING;
    INSERT INTO account_stats (account_id) SELECT followee_id FROM follows WHERE follower_id = new.id AND state = 'accepted'
        UNION SELECT follower_id FROM follows WHERE followee_id = new.id AND state = 'accepted'
        UNION SELECT v.account_id FROM likes l JOIN videos v ON v.id = l.video_id WHERE l.account_id = new.id
        ON CONFLICT DO NOTHING;
    -- Its top-level comments with their counted replies; then its replies, on the video as
    -- far as their parent counts (a parent of its own changed above, so it reads its new
    -- state) and on their parents. The first reads reply counts before the last changes them.
    UPDATE video_stats SET comments = comments + (CASE WHEN new.state = 'active' THEN 1 ELSE -1 END)
        * (SELECT COALESCE(SUM(1 + c.reply_count), 0) FROM comments c
            WHERE c.account_id = new.id AND c.video_id = video_stats.video_id AND c.parent_id IS NULL AND NOT c.filtered)
        WHERE video_id IN (SELECT video_id FROM comments WHERE account_id = new.id AND parent_id IS NULL AND NOT filtered);
    UPDATE video_stats SET comments = comments + (CASE WHEN new.state = 'active' THEN 1 ELSE -1 END)
        * (SELECT COUNT(*) FROM comments r JOIN comments p ON p.id = r.parent_id JOIN accounts pa ON pa.id = p.account_id
            WHERE r.account_id = new.id AND r.video_id = video_stats.video_id AND NOT r.filtered AND NOT p.filtered AND pa.state = 'active')
        WHERE video_id IN (SELECT video_id FROM comments WHERE account_id = new.id AND parent_id IS NOT NULL AND NOT filtered);
    UPDATE comments SET reply_count = reply_count + (CASE WHEN new.state = 'active' THEN 1 ELSE -1 END)
        * (SELECT COUNT(*) FROM comments r WHERE r.account_id = new.id AND r.video_id = comments.video_id AND r.parent_id = comments.id AND NOT r.filtered)
        WHERE id IN (SELECT parent_id FROM comments WHERE account_id = new.id AND parent_id IS NOT NULL AND NOT filtered);
    UPDATE comments SET like_count = like_count + (CASE WHEN new.state = 'active' THEN 1 ELSE -1 END)
        WHERE id IN (SELECT comment_id FROM comment_likes WHERE account_id = new.id);
    UPDATE video_stats SET likes = likes + (CASE WHEN new.state = 'active' THEN 1 ELSE -1 END)
        WHERE video_id IN (SELECT video_id FROM likes WHERE account_id = new.id);
    UPDATE account_stats SET likes = likes + (CASE WHEN new.state = 'active' THEN 1 ELSE -1 END)
        * (SELECT COUNT(*) FROM likes l JOIN videos v ON v.id = l.video_id WHERE l.account_id = new.id AND v.account_id = account_stats.account_id)
        WHERE account_id IN (SELECT v.account_id FROM likes l JOIN videos v ON v.id = l.video_id WHERE l.account_id = new.id);
    UPDATE account_stats SET followers = followers + (CASE WHEN new.state = 'active' THEN 1 ELSE -1 END)
        WHERE account_id IN (SELECT followee_id FROM follows WHERE follower_id = new.id AND state = 'accepted');
    UPDATE account_stats SET following = following + (CASE WHEN new.state = 'active' THEN 1 ELSE -1 END)
        WHERE account_id IN (SELECT follower_id FROM follows WHERE followee_id = new.id AND state = 'accepted');
END;

-- A deleted video's likes leave its creator's like count (its own counters go with it).
CREATE TRIGGER videos_delete_likes BEFORE DELETE ON videos BEGIN
    UPDATE account_stats SET likes = likes - COALESCE((SELECT likes FROM video_stats WHERE video_id = old.id), 0)
        WHERE account_id = old.account_id;
END;

-- The recount under the new definitions; reply counts first, the video counts add them up.
UPDATE comments SET reply_count = (SELECT COUNT(*) FROM comments r JOIN accounts a ON a.id = r.account_id
        WHERE r.video_id = comments.video_id AND r.parent_id = comments.id AND a.state = 'active' AND NOT r.filtered)
    WHERE parent_id IS NULL;
UPDATE comments SET like_count = (SELECT COUNT(*) FROM comment_likes cl JOIN accounts a ON a.id = cl.account_id
    WHERE cl.comment_id = comments.id AND a.state = 'active');
UPDATE video_stats SET
    likes = (SELECT COUNT(*) FROM likes l JOIN accounts a ON a.id = l.account_id WHERE l.video_id = video_stats.video_id AND a.state = 'active'),
    comments = (SELECT COALESCE(SUM(1 + c.reply_count), 0) FROM comments c JOIN accounts a ON a.id = c.account_id
        WHERE c.video_id = video_stats.video_id AND c.parent_id IS NULL AND NOT c.filtered AND a.state = 'active');
UPDATE account_stats SET
    followers = (SELECT COUNT(*) FROM follows f JOIN accounts a ON a.id = f.follower_id
        WHERE f.followee_id = account_stats.account_id AND f.state = 'accepted' AND a.state = 'active'),
    following = (SELECT COUNT(*) FROM follows f JOIN accounts a ON a.id = f.followee_id
        WHERE f.follower_id = account_stats.account_id AND f.state = 'accepted' AND a.state = 'active'),
    likes = (SELECT COUNT(*) FROM likes l JOIN videos v ON v.id = l.video_id JOIN accounts a ON a.id = l.account_id
        WHERE v.account_id = account_stats.account_id AND a.state = 'active');
