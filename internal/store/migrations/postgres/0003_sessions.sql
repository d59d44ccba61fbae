-- Operator UI sessions (PostgreSQL). Only a SHA-256 hash of each session id
-- is kept. A session ends at idle_expires_at (moved forward while it is used)
-- or at expires_at (fixed at sign-in), whichever comes first.
CREATE TABLE sessions (
    id_hash         TEXT PRIMARY KEY,
    created_at      TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    idle_expires_at TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_idle_expires ON sessions (idle_expires_at);
