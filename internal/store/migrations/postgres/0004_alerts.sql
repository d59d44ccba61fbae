-- Alerts already sent (PostgreSQL): one row per attention item and channel,
-- so each channel says each item once, and a channel that failed retries
-- only what it has not said. Rows of items that are no longer in the
-- attention list are pruned, so the same problem coming back later is said
-- again.
CREATE TABLE alerts_sent (
    item_key TEXT NOT NULL,
    channel  TEXT NOT NULL,
    sent_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (item_key, channel)
);
