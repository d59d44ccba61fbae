-- When each target was created (sqlite). A data-deletion purge deletes the
-- targets that existed when its request was confirmed, never those made
-- after the account was connected again (same account row) within the
-- window. Targets from before this migration take their post's creation
-- time: a target added to an older post then counts as older than it is,
-- so a purge deletes it rather than keeps it. NULL (never written by
-- sns-os) is treated the same way.
ALTER TABLE targets ADD COLUMN created_at TIMESTAMP;
UPDATE targets SET created_at = (SELECT p.created_at FROM posts p WHERE p.id = targets.post_id);
