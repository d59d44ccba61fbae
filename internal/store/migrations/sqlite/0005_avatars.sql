-- Account avatars (SQLite): the platform's profile picture, fetched by the
-- server when the account is connected and served by sns-os itself (its
-- pages load nothing from another origin). One row per account; a
-- reconnect replaces it.
CREATE TABLE account_avatars (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    etag         TEXT NOT NULL,
    fetched_at   TIMESTAMP NOT NULL
);
