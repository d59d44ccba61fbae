-- Metric snapshots by target (PostgreSQL): every post page, post list and
-- analytics page reads snapshots by target_id, which the partial unique
-- index (checkpoint <> 'manual') cannot serve.
CREATE INDEX metric_snapshots_target ON metric_snapshots (target_id, fetched_at);
