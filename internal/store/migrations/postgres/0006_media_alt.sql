-- Alt text per media item of a post (PostgreSQL): the description for screen readers
-- the operator writes in compose, sent with the upload (X: POST
-- /2/media/metadata). '' means none.
ALTER TABLE post_media ADD COLUMN alt_text TEXT NOT NULL DEFAULT '';
