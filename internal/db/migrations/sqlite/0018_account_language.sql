-- The language an account chose to watch in (Settings, "Video language"): a two- or
-- three-letter code that the Trending tab and For You's trending candidates use instead of
-- the browser's Accept-Language. '' follows the browser, as every account did before.
ALTER TABLE accounts ADD COLUMN language TEXT NOT NULL DEFAULT '';
