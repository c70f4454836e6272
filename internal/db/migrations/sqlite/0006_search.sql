-- Search: FTS5 indexes over video captions and account display names, kept exact by
-- triggers in the same transaction as the row they index (usernames and hashtags are
-- matched by prefix on their B-tree indexes and need nothing here).
--
-- FTS5 numbers documents by integer rowid, but videos and accounts are keyed by text ID and
-- their implicit rowids may change on VACUUM, which the erasure proof runs. The *_fts_docs
-- tables give each row a stable document number instead.
--
-- The indexes are contentless (the text lives only in videos and accounts) and
-- secure-delete, and the triggers remove a row with FTS5's 'delete' command and the old
-- text, so its words leave the index pages themselves instead of staying behind under a
-- delete marker or tombstone (contentless_delete=1 tables keep them until a merge): erasure
-- must leave no trace on disk.
CREATE TABLE videos_fts_docs (
    doc      INTEGER PRIMARY KEY,
    video_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE videos_fts USING fts5 (caption, content = '',
    tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3');
INSERT INTO videos_fts (videos_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER videos_fts_insert AFTER INSERT ON videos BEGIN
    INSERT INTO videos_fts_docs (video_id) VALUES (new.id);
    INSERT INTO videos_fts (rowid, caption)
        VALUES ((SELECT doc FROM videos_fts_docs WHERE video_id = new.id), new.caption);
END;
CREATE TRIGGER videos_fts_update AFTER UPDATE OF caption ON videos WHEN old.caption IS NOT new.caption BEGIN
    INSERT INTO videos_fts (videos_fts, rowid, caption)
        VALUES ('delete', (SELECT doc FROM videos_fts_docs WHERE video_id = new.id), old.caption);
    INSERT INTO videos_fts (rowid, caption)
        VALUES ((SELECT doc FROM videos_fts_docs WHERE video_id = new.id), new.caption);
END;
CREATE TRIGGER videos_fts_delete AFTER DELETE ON videos BEGIN
    INSERT INTO videos_fts (videos_fts, rowid, caption)
        VALUES ('delete', (SELECT doc FROM videos_fts_docs WHERE video_id = old.id), old.caption);
    DELETE FROM videos_fts_docs WHERE video_id = old.id;
END;
INSERT INTO videos_fts_docs (video_id) SELECT id FROM videos ORDER BY id;
INSERT INTO videos_fts (rowid, caption)
    SELECT d.doc, v.caption FROM videos_fts_docs d JOIN videos v ON v.id = d.video_id;

CREATE TABLE accounts_fts_docs (
    doc        INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE accounts_fts USING fts5 (display_name, content = '',
    tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3');
INSERT INTO accounts_fts (accounts_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER accounts_fts_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_fts_docs (account_id) VALUES (new.id);
    INSERT INTO accounts_fts (rowid, display_name)
        VALUES ((SELECT doc FROM accounts_fts_docs WHERE account_id = new.id), new.display_name);
END;
CREATE TRIGGER accounts_fts_update AFTER UPDATE OF display_name ON accounts WHEN old.display_name IS NOT new.display_name BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, display_name)
        VALUES ('delete', (SELECT doc FROM accounts_fts_docs WHERE account_id = new.id), old.display_name);
    INSERT INTO accounts_fts (rowid, display_name)
        VALUES ((SELECT doc FROM accounts_fts_docs WHERE account_id = new.id), new.display_name);
END;
CREATE TRIGGER accounts_fts_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, display_name)
        VALUES ('delete', (SELECT doc FROM accounts_fts_docs WHERE account_id = old.id), old.display_name);
    DELETE FROM accounts_fts_docs WHERE account_id = old.id;
END;
INSERT INTO accounts_fts_docs (account_id) SELECT id FROM accounts ORDER BY id;
INSERT INTO accounts_fts (rowid, display_name)
    SELECT d.doc, a.display_name FROM accounts_fts_docs d JOIN accounts a ON a.id = d.account_id;
