-- Follower lists page by the follower's account ID, newest first. The index from 0004 on
-- (followee_id, state, created_at) finds an account's followers but not in that order, so a
-- page of a popular account's followers read and sorted all of them. This index hands them
-- over in page order from the cursor on, to a query that orders and bounds by
-- f.follower_id (the following list has that order already, from the primary key).
CREATE INDEX follows_followee_page ON follows (followee_id, state, follower_id);
