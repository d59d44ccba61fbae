-- sns-os schema, version 1 (SQLite). Times are UTC, written by the driver.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    platform      TEXT NOT NULL,
    remote_id     TEXT NOT NULL,
    handle        TEXT NOT NULL DEFAULT '',
    display_name  TEXT NOT NULL DEFAULT '',
    avatar_url    TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'connected',
    status_reason TEXT NOT NULL DEFAULT '',
    options       TEXT NOT NULL DEFAULT '{}',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (platform, remote_id)
);

-- Tokens only sealed (AES-256-GCM, associated data = row and field).
CREATE TABLE credentials (
    account_id         INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    access_token       BLOB,
    refresh_token      BLOB,
    key_id             TEXT NOT NULL,
    token_type         TEXT NOT NULL DEFAULT '',
    scopes             TEXT NOT NULL DEFAULT '',
    expires_at         TIMESTAMP,
    refresh_expires_at TIMESTAMP,
    issued_at          TIMESTAMP,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX credentials_key_id ON credentials (key_id);

CREATE TABLE media (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256      TEXT NOT NULL UNIQUE,
    storage_key TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    frame_rate  REAL NOT NULL DEFAULT 0,
    codec       TEXT NOT NULL DEFAULT '',
    filename    TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE posts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    body         TEXT NOT NULL DEFAULT '',
    scheduled_at TIMESTAMP,
    approved_at  TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

CREATE TABLE post_media (
    post_id  INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    media_id INTEGER NOT NULL REFERENCES media (id) ON DELETE RESTRICT,
    PRIMARY KEY (post_id, position)
);
CREATE INDEX post_media_media ON post_media (media_id);

CREATE TABLE targets (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id      INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
    platform     TEXT NOT NULL,
    state        TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    options      TEXT NOT NULL DEFAULT '{}',
    progress     TEXT NOT NULL DEFAULT '{}',
    remote_id    TEXT NOT NULL DEFAULT '',
    remote_url   TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMP,
    error        TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    scheduled_at TIMESTAMP,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (post_id, account_id)
);
CREATE INDEX targets_state ON targets (state, scheduled_at);
CREATE INDEX targets_account ON targets (account_id);

CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    target_id   INTEGER NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome     TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    UNIQUE (target_id, number)
);

CREATE TABLE metric_snapshots (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    target_id  INTEGER NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    checkpoint TEXT NOT NULL,
    status     TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    fetched_at TIMESTAMP NOT NULL,
    metrics    TEXT NOT NULL DEFAULT '{}'
);
-- One snapshot per checkpoint; manual refreshes may repeat.
CREATE UNIQUE INDEX metric_snapshots_checkpoint ON metric_snapshots (target_id, checkpoint) WHERE checkpoint <> 'manual';

CREATE TABLE contact_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    lang       TEXT NOT NULL DEFAULT 'en',
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP
);

CREATE TABLE deletion_requests (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    platform          TEXT NOT NULL,
    remote_user_id    TEXT NOT NULL,
    confirmation_code TEXT NOT NULL UNIQUE,
    status            TEXT NOT NULL,
    requested_at      TIMESTAMP NOT NULL,
    due_at            TIMESTAMP NOT NULL,
    completed_at      TIMESTAMP
);

CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TIMESTAMP NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL DEFAULT '',
    subject_id   INTEGER NOT NULL DEFAULT 0,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id);
