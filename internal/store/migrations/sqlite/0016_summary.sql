-- Pages that cost what they show (sqlite).
--
-- metric_summary: per target, the snapshot of each standard checkpoint
-- (+1h, +24h, +7d) as columns, kept by PutSnapshot in the snapshot's own
-- transaction, so the analytics page reads the rows of its range and never
-- every snapshot nor their JSON. A row exists once a target has a
-- checkpoint snapshot (any but manual); a checkpoint's columns are NULL
-- until its snapshot is taken. cX_status and cX_reason are the snapshot's;
-- cX_metrics its values as JSON (the platforms' own metrics, read for one
-- page of the table); cX_views … cX_shares the standard values when the
-- status is ok and the platform reported them, else NULL. It is derived
-- data: deleted with its target (cascade), rebuilt from metric_snapshots
-- below.
CREATE TABLE metric_summary (
    target_id      INTEGER PRIMARY KEY REFERENCES targets (id) ON DELETE CASCADE,
    c1h_status     TEXT,
    c1h_reason     TEXT,
    c1h_fetched_at TIMESTAMP,
    c1h_metrics    TEXT,
    c1h_views      INTEGER,
    c1h_likes      INTEGER,
    c1h_comments   INTEGER,
    c1h_shares     INTEGER,
    c24h_status     TEXT,
    c24h_reason     TEXT,
    c24h_fetched_at TIMESTAMP,
    c24h_metrics    TEXT,
    c24h_views      INTEGER,
    c24h_likes      INTEGER,
    c24h_comments   INTEGER,
    c24h_shares     INTEGER,
    c7d_status     TEXT,
    c7d_reason     TEXT,
    c7d_fetched_at TIMESTAMP,
    c7d_metrics    TEXT,
    c7d_views      INTEGER,
    c7d_likes      INTEGER,
    c7d_comments   INTEGER,
    c7d_shares     INTEGER
);

INSERT INTO metric_summary (target_id)
    SELECT DISTINCT target_id FROM metric_snapshots WHERE checkpoint <> 'manual';
UPDATE metric_summary SET (c1h_status, c1h_reason, c1h_fetched_at, c1h_metrics, c1h_views, c1h_likes, c1h_comments, c1h_shares) =
    (SELECT status, reason, fetched_at, metrics,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.views') END,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.likes') END,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.comments') END,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.shares') END
     FROM metric_snapshots m WHERE m.target_id = metric_summary.target_id AND m.checkpoint = '1h');
UPDATE metric_summary SET (c24h_status, c24h_reason, c24h_fetched_at, c24h_metrics, c24h_views, c24h_likes, c24h_comments, c24h_shares) =
    (SELECT status, reason, fetched_at, metrics,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.views') END,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.likes') END,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.comments') END,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.shares') END
     FROM metric_snapshots m WHERE m.target_id = metric_summary.target_id AND m.checkpoint = '24h');
UPDATE metric_summary SET (c7d_status, c7d_reason, c7d_fetched_at, c7d_metrics, c7d_views, c7d_likes, c7d_comments, c7d_shares) =
    (SELECT status, reason, fetched_at, metrics,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.views') END,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.likes') END,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.comments') END,
        CASE WHEN status = 'ok' THEN json_extract(metrics, '$.shares') END
     FROM metric_snapshots m WHERE m.target_id = metric_summary.target_id AND m.checkpoint = '7d');

-- Published targets by publication time (analytics, the dashboard's recent
-- results, the calendar), all platforms and one platform.
CREATE INDEX targets_published ON targets (state, published_at, id);
CREATE INDEX targets_platform_published ON targets (platform, state, published_at);
-- The calendar's other half: targets not published, by scheduled time.
CREATE INDEX targets_unpublished_time ON targets (scheduled_at) WHERE state <> 'published';
-- The post list's order: a post's time is its scheduled time, else when it
-- was written.
CREATE INDEX posts_time ON posts (COALESCE(scheduled_at, created_at), id);
