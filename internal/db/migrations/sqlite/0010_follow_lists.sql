-- Follower lists page by the follower's account ID, newest account first. The index from
-- 0004 on (followee_id, state, created_at) finds an account's followers but not in that
-- order, so every page of a popular account's followers read and sorted all of them (tens of
-- milliseconds at 50k followers, more on deep pages). This one gives them in page order; the
-- following list already has its order from the primary key (follower_id, followee_id).
CREATE INDEX follows_followee_page ON follows (followee_id, state, follower_id);
