-- Shared attempt counts (postgres): several sns-os processes on one
-- database count a client's sign-in attempts together, so a load balancer
-- in front of them does not multiply an attacker's budget. One row per
-- bucket (what is counted: "signin", "signin-all" for all clients) and
-- client key (an IPv4 address or an IPv6 /64); hits within the window that
-- ends at expires_at. Expired rows are restarted by the next hit and
-- deleted by the session cleanup job.
CREATE TABLE throttle_counts (
    bucket     TEXT NOT NULL,
    client_key TEXT NOT NULL,
    hits       INTEGER NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (bucket, client_key)
);
CREATE INDEX throttle_counts_expires_at ON throttle_counts (expires_at);
