-- PostgreSQL's 0013 makes a change of an account's state lock the videos it touches first,
-- so that it cannot deadlock with the deletion of one of them. SQLite has one writer and no
-- row locks: its trigger stays as it is, and this step only keeps the numbering alike.
SELECT 1;
