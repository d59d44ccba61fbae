package store

import (
	"context"
	"strconv"
	"time"

	"github.com/sns-os/snsos"
)

// The targets of the attention list (internal/attention), kind by kind, in
// the order the list shows them, with how many there are. The dashboard
// asks for the first few of each kind: a thousand failed targets then cost
// a few rows and a COUNT over an index (migration 0018), not a thousand
// rows and a post each. A limit of 0 reads them all (the alerter, which
// remembers every item's key).

// targetPick is one kind's targets: a condition on targets and the order
// the list shows them in.
type targetPick struct {
	where, order string
	args         []any
}

// query reads the first limit targets of the pick (all when limit <= 0).
func (p targetPick) query(limit int) string {
	q := `SELECT ` + targetCols + ` FROM targets WHERE ` + p.where + ` ORDER BY ` + p.order
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	return q
}

// count counts the pick's targets.
func (p targetPick) count() string { return `SELECT COUNT(*) FROM targets WHERE ` + p.where }

// first reads the first limit targets of p and counts them all: the count
// is only run when the page is full.
func (s *Store) first(ctx context.Context, p targetPick, limit int) ([]*snsos.Target, int, error) {
	ts, err := queryTargets(ctx, s.db, p.query(limit), p.args...)
	if err != nil || limit <= 0 || len(ts) < limit {
		return ts, len(ts), err
	}
	var n int
	err = s.db.QueryRowContext(ctx, p.count(), p.args...).Scan(&n)
	return ts, n, mapErr(err)
}

// problemPick is the targets in state, the latest update first.
func problemPick(state snsos.TargetState) targetPick {
	return targetPick{where: `state = $1`, order: `updated_at DESC, id DESC`, args: []any{string(state)}}
}

// ProblemTargets returns the targets in state (attention asks for failed
// and needs_operator), the latest update first, then the highest id: at
// most limit of them (all when limit <= 0), and how many there are.
func (s *Store) ProblemTargets(ctx context.Context, state snsos.TargetState, limit int) ([]*snsos.Target, int, error) {
	return s.first(ctx, problemPick(state), limit)
}

// unconfirmedPick is the targets whose outcome became unknown at or before
// before: unknown ones (since they first became unknown, else since their
// last write), and those trying again after an unknown outcome
// (retry_wait, publishing with ambiguous_since), the latest first. An
// ordinary retry (no ambiguous_since) is not one. The states are few (what
// is in flight or unresolved), so sorting them is cheap.
func unconfirmedPick(before time.Time) targetPick {
	return targetPick{
		where: `state IN ('unknown', 'retry_wait', 'publishing') AND (state = 'unknown' OR ambiguous_since IS NOT NULL)
			AND COALESCE(ambiguous_since, updated_at) <= $1`,
		order: `COALESCE(ambiguous_since, updated_at) DESC, id DESC`, args: []any{dbTime(before)}}
}

// UnconfirmedTargets returns the targets whose outcome has been unknown
// since before or earlier (see unconfirmedPick), the latest first: at most
// limit of them (all when limit <= 0), and how many there are.
func (s *Store) UnconfirmedTargets(ctx context.Context, before time.Time, limit int) ([]*snsos.Target, int, error) {
	return s.first(ctx, unconfirmedPick(before), limit)
}

// atRiskPick is the scheduled targets (scheduled, retry_wait) of accounts,
// the soonest first.
func atRiskPick(accounts []int64) targetPick {
	return targetPick{where: `state IN ('scheduled', 'retry_wait') AND account_id IN (` + idList(accounts) + `)`,
		order: `scheduled_at, id`}
}

// AtRiskTargets returns the targets still scheduled (scheduled, retry_wait)
// on the given accounts (attention passes those not connected), the
// soonest first: at most limit of them (all when limit <= 0), and how many
// there are. No account, no target.
func (s *Store) AtRiskTargets(ctx context.Context, accounts []int64, limit int) ([]*snsos.Target, int, error) {
	if len(accounts) == 0 {
		return []*snsos.Target{}, 0, nil
	}
	return s.first(ctx, atRiskPick(accounts), limit)
}

// waitingQuery counts each account's targets still to go out.
const waitingQuery = `SELECT account_id, COUNT(*) FROM targets WHERE state IN ('approved', 'scheduled', 'retry_wait') GROUP BY account_id`

// CountWaitingTargets returns how many targets still to go out (approved,
// scheduled, retry_wait) each account has; an account with none is
// absent. One pass over the index targets_state_account, no row read.
func (s *Store) CountWaitingTargets(ctx context.Context) (map[int64]int, error) {
	rows, err := s.db.QueryContext(ctx, waitingQuery)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, mapErr(err)
		}
		out[id] = n
	}
	return out, mapErr(rows.Err())
}
