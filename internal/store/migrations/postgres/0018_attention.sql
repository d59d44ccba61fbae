-- The dashboard's Needs attention, bounded (postgres). It shows the first few
-- failed and needs_operator targets, the latest update first, and counts
-- the rest: targets_state_updated walks a state's targets in that order
-- and stops after the few instead of sorting every failed target.
-- targets_state_account counts each account's targets still to go out
-- from the index alone (no row of the thousands scheduled is read), and
-- finds the scheduled targets of an account that is not connected (at
-- risk) without reading the connected accounts' ones.
CREATE INDEX targets_state_updated ON targets (state, updated_at, id);
CREATE INDEX targets_state_account ON targets (state, account_id, scheduled_at);
