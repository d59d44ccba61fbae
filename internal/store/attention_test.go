package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestAttentionTargets: each kind of the attention list comes in the order
// the list shows it, the first limit of them with the count of all (all of
// them when the limit is 0): failed and needs_operator by their last
// update, the newest first and the higher id first at the same time;
// unconfirmed ones by when their outcome first became unknown (an unknown
// target without that time by its last update; an ordinary retry is none);
// at risk by scheduled time on the accounts given; waiting counted by
// account.
func TestAttentionTargets(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s, db := env.Store, env.Store.DB()
		x := mustAccount(t, s, snsos.PlatformX, "attn-x")
		th := mustAccount(t, s, snsos.PlatformThreads, "attn-th")
		now := time.Date(2027, 3, 15, 12, 0, 0, 0, time.UTC)
		n := 0
		// mk writes a target in state, last updated at updated, its outcome
		// unknown since ambiguous (when not zero), scheduled at scheduled.
		mk := func(a *snsos.Account, state snsos.TargetState, updated, ambiguous, scheduled time.Time) int64 {
			t.Helper()
			n++
			p := &snsos.Post{Body: fmt.Sprintf("attention %d", n), ScheduledAt: scheduled,
				Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled, ScheduledAt: scheduled}}}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			var amb any
			if !ambiguous.IsZero() {
				amb = ambiguous
			}
			if _, err := db.ExecContext(ctx, `UPDATE targets SET state = $1, updated_at = $2, ambiguous_since = $3 WHERE id = $4`,
				string(state), updated, amb, p.Targets[0].ID); err != nil {
				t.Fatal(err)
			}
			return p.Targets[0].ID
		}
		ago := func(d time.Duration) time.Time { return now.Add(-d) }
		var zero time.Time
		f1 := mk(x, snsos.StateFailed, ago(3*time.Hour), zero, ago(4*time.Hour))
		f2 := mk(x, snsos.StateFailed, ago(time.Hour), zero, ago(4*time.Hour))
		f3 := mk(th, snsos.StateFailed, ago(time.Hour), zero, ago(4*time.Hour)) // same time as f2, higher id
		f4 := mk(x, snsos.StateFailed, ago(2*time.Hour), zero, ago(4*time.Hour))
		no := mk(x, snsos.StateNeedsOperator, ago(time.Hour), ago(2*time.Hour), ago(4*time.Hour))
		u1 := mk(x, snsos.StateUnknown, ago(time.Minute), ago(40*time.Minute), ago(time.Hour)) // rewritten lately, unknown long
		u2 := mk(x, snsos.StateUnknown, ago(20*time.Minute), zero, ago(time.Hour))             // no first time: its last update
		mk(x, snsos.StateUnknown, ago(time.Minute), ago(5*time.Minute), ago(time.Hour))        // too recent
		u3 := mk(th, snsos.StateRetryWait, ago(time.Minute), ago(time.Hour), ago(2*time.Hour))
		u4 := mk(x, snsos.StatePublishing, ago(time.Minute), ago(30*time.Minute), ago(2*time.Hour))
		mk(x, snsos.StateRetryWait, ago(time.Hour), zero, ago(2*time.Hour)) // an ordinary retry
		r1 := mk(th, snsos.StateScheduled, ago(time.Hour), zero, now.Add(2*time.Hour))
		r2 := mk(th, snsos.StateScheduled, ago(time.Hour), zero, now.Add(time.Hour))
		mk(x, snsos.StateScheduled, ago(time.Hour), zero, now.Add(time.Hour))
		mk(x, snsos.StateApproved, ago(time.Hour), zero, now.Add(time.Hour))

		ids := func(ts []*snsos.Target) string {
			var out []int64
			for _, tg := range ts {
				out = append(out, tg.ID)
			}
			return fmt.Sprint(out)
		}
		check := func(what string, ts []*snsos.Target, total int, err error, wantTotal int, want ...int64) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if ids(ts) != fmt.Sprint(want) || total != wantTotal {
				t.Errorf("%s: %s of %d, want %v of %d", what, ids(ts), total, want, wantTotal)
			}
		}
		ts, total, err := s.ProblemTargets(ctx, snsos.StateFailed, 0)
		check("failed, all", ts, total, err, 4, f3, f2, f4, f1)
		ts, total, err = s.ProblemTargets(ctx, snsos.StateFailed, 2)
		check("failed, first 2", ts, total, err, 4, f3, f2)
		ts, total, err = s.ProblemTargets(ctx, snsos.StateFailed, 10)
		check("failed, first 10", ts, total, err, 4, f3, f2, f4, f1)
		ts, total, err = s.ProblemTargets(ctx, snsos.StateNeedsOperator, 1)
		check("needs_operator", ts, total, err, 1, no)

		before := now.Add(-15 * time.Minute)
		ts, total, err = s.UnconfirmedTargets(ctx, before, 0)
		check("unconfirmed, all", ts, total, err, 4, u2, u4, u1, u3)
		ts, total, err = s.UnconfirmedTargets(ctx, before, 3)
		check("unconfirmed, first 3", ts, total, err, 4, u2, u4, u1)

		ts, total, err = s.AtRiskTargets(ctx, []int64{th.ID}, 1)
		check("at risk, first 1", ts, total, err, 3, u3)
		ts, total, err = s.AtRiskTargets(ctx, []int64{th.ID}, 0)
		check("at risk, all", ts, total, err, 3, u3, r2, r1) // u3 is trying again
		ts, total, err = s.AtRiskTargets(ctx, nil, 5)
		check("at risk, no account", ts, total, err, 0)

		waiting, err := s.CountWaitingTargets(ctx)
		if err != nil || len(waiting) != 2 || waiting[x.ID] != 3 || waiting[th.ID] != 3 {
			t.Errorf("waiting = %v, %v; want x 3 (scheduled, approved, retry), threads 3 (retry, two scheduled)", waiting, err)
		}
	})
}
