-- The public site (SQLite). A contact message is handled once the operator
-- has dealt with it (the dashboard lists the others); one that asked for
-- data deletion carries the confirmation code of the request it opened.
ALTER TABLE contact_messages ADD COLUMN handled_at TIMESTAMP;
ALTER TABLE contact_messages ADD COLUMN deletion_code TEXT NOT NULL DEFAULT '';
CREATE INDEX contact_messages_unhandled ON contact_messages (id) WHERE handled_at IS NULL;
CREATE INDEX contact_messages_email ON contact_messages (email);

-- Each day the privacy policy's substance changed: the canonical JSON of
-- what it states, its SHA-256, the differences (JSON) and when the
-- operator saw the change. The settings row policy.fingerprint is the
-- compare-and-set that lets one process record a change.
CREATE TABLE policy_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    changed_at  TIMESTAMP NOT NULL,
    fingerprint TEXT NOT NULL,
    substance   TEXT NOT NULL,
    items       TEXT NOT NULL DEFAULT '[]',
    seen_at     TIMESTAMP
);
