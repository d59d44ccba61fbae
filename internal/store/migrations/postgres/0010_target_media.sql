-- Media per target (postgres). media_ids is the JSON list of the media ids a
-- target publishes, in its own order, a subset of the post's media
-- (post_media): NULL means the post's media as they are, '[]' means no media
-- on this target (a Threads text post beside an Instagram carousel).
ALTER TABLE targets ADD COLUMN media_ids TEXT;
