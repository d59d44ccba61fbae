-- Data deletion and revocation (sqlite).
--
-- deletion_requests: the operator's accounts a request is about
-- (account_ids, a JSON list of ids), when it was accepted for action
-- (confirmed_at: at once for a verified platform callback, on the operator's
-- confirmation for one made through the contact form; nothing is deleted
-- before), when those accounts' tokens were deleted, and what the purge
-- deleted (purged: JSON counts, '' until it has run).
ALTER TABLE deletion_requests ADD COLUMN account_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE deletion_requests ADD COLUMN confirmed_at TIMESTAMP;
ALTER TABLE deletion_requests ADD COLUMN tokens_deleted_at TIMESTAMP;
ALTER TABLE deletion_requests ADD COLUMN purged TEXT NOT NULL DEFAULT '';
CREATE INDEX deletion_requests_status ON deletion_requests (status, due_at);
-- The dashboard and alerts read the recent access removals and purges.
CREATE INDEX audit_events_action ON audit_events (action, at);

-- Signed requests (Meta's deauthorize and data-deletion callbacks) acted
-- on, by the SHA-256 of their signature: a replay is answered as the first
-- one was and changes nothing. request_id is the deletion request it opened
-- (0 for a deauthorize). Rows older than the issued_at window are pruned: a
-- replay of one is refused as stale anyway.
CREATE TABLE signed_requests (
    signature_hash TEXT PRIMARY KEY,
    platform       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    request_id     INTEGER NOT NULL DEFAULT 0,
    seen_at        TIMESTAMP NOT NULL
);
CREATE INDEX signed_requests_seen_at ON signed_requests (seen_at);

-- What each purge deleted, for the git archive to consume: it removes those
-- posts and targets from its tree and history, then sets archived_at.
-- media_ids are the media no post used any more (deleted with their files);
-- counts is the purge's snsos.PurgeCounts as JSON.
CREATE TABLE purge_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  INTEGER NOT NULL UNIQUE,
    at          TIMESTAMP NOT NULL,
    account_ids TEXT NOT NULL DEFAULT '[]',
    post_ids    TEXT NOT NULL DEFAULT '[]',
    target_ids  TEXT NOT NULL DEFAULT '[]',
    media_ids   TEXT NOT NULL DEFAULT '[]',
    counts      TEXT NOT NULL DEFAULT '{}',
    archived_at TIMESTAMP
);
