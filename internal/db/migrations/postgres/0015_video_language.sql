-- The language a video is in: what its uploader chose, or else their browser's first
-- language (a two- or three-letter code). The Trending tab puts a viewer's language first,
-- and the recommender learns it as a feature. '' for videos uploaded before, and when
-- neither was known.
ALTER TABLE videos ADD COLUMN language TEXT NOT NULL DEFAULT '';
