-- Search: GIN indexes over the 'simple' text-search vectors of video captions and account
-- display names. They are expression indexes, so they are exact in every transaction with
-- no triggers and no extra table (nothing for erasure to chase). 'simple' lower-cases and
-- does not stem, like the unicode61 tokenizer on SQLite, so both engines match alike.
-- The text_pattern_ops B-trees let username and hashtag prefixes (LIKE 'abc%') use an
-- index whatever the database's collation.
CREATE INDEX videos_caption_fts ON videos USING GIN (to_tsvector('simple', caption));
CREATE INDEX accounts_display_name_fts ON accounts USING GIN (to_tsvector('simple', display_name));
CREATE INDEX accounts_username_prefix ON accounts (lower(username) text_pattern_ops);
CREATE INDEX video_hashtags_tag_prefix ON video_hashtags (tag text_pattern_ops);
