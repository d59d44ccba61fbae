-- Publishing engine, API tokens, OAuth state, settings (SQLite).

-- API tokens: only a SHA-256 hash of each token is kept.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

-- OAuth authorization requests in flight: single use, expiring. The state
-- is stored hashed; the PKCE verifier never leaves the server.
CREATE TABLE oauth_states (
    state_hash  TEXT PRIMARY KEY,
    platform    TEXT NOT NULL,
    verifier    TEXT NOT NULL,
    binding     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);

-- Operator settings (password hash, preferences); values are never tokens.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Single-flight token refresh across processes: a lease on the credential.
ALTER TABLE credentials ADD COLUMN refresh_lease_until TIMESTAMP;

-- What preflight found, shown to the operator before the time.
ALTER TABLE targets ADD COLUMN preflight TEXT NOT NULL DEFAULT '';
ALTER TABLE targets ADD COLUMN preflight_at TIMESTAMP;
CREATE INDEX targets_account_times ON targets (account_id, scheduled_at);
