-- Delivery ownership and budgets (postgres). While a target is publishing, the
-- attempt that moved it there owns it (owner_attempt, run by owner_job) until
-- lease_until on the database's clock; every later write of that attempt is
-- a compare-and-set on it. job_seq names the target's current publish job
-- (a job carrying another number is stale). settle_after is when no earlier
-- call can still land, so that "not found" proves absence; duplicate_at is
-- when the platform last called the text a duplicate; ambiguous_since is
-- when the target first became unknown (alert age); reconcile_tries counts
-- undecided lookups over the target's life; attempt_base is the attempt count
-- at the operator's last retry (the budget counts from it); partial marks a thread that is
-- live with some parts missing; due_at is when the job a retry_wait or unknown
-- target waits for is due (the watchdog queues it again if it was lost).
ALTER TABLE targets ADD COLUMN owner_attempt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE targets ADD COLUMN owner_job BIGINT NOT NULL DEFAULT 0;
ALTER TABLE targets ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE targets ADD COLUMN job_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE targets ADD COLUMN settle_after TIMESTAMPTZ;
ALTER TABLE targets ADD COLUMN duplicate_at TIMESTAMPTZ;
ALTER TABLE targets ADD COLUMN ambiguous_since TIMESTAMPTZ;
ALTER TABLE targets ADD COLUMN reconcile_tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE targets ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
ALTER TABLE targets ADD COLUMN due_at TIMESTAMPTZ;
ALTER TABLE targets ADD COLUMN partial BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX targets_remote ON targets (account_id, remote_id);
