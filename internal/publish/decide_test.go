package publish_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := publish.Policy{MaxAttempts: 3, ReconcileTries: 4, ReconcileDelay: 20 * time.Second, Backoff: publish.ExponentialBackoff(30 * time.Second)}
	S := func(s snsos.TargetState) snsos.TargetState { return s }
	tests := []struct {
		name    string
		o       publish.Outcome
		f       publish.Facts
		to      snsos.TargetState
		partial bool
		next    publish.Next
		at      time.Time
		refused bool
	}{
		{"success", publish.OutcomePublished, publish.Facts{State: S(snsos.StatePublishing)}, snsos.StatePublished, false, publish.NextNone, time.Time{}, false},
		{"transient retries after the backoff", publish.OutcomeTransient, publish.Facts{State: snsos.StatePublishing, Attempts: 1}, snsos.StateRetryWait, false, publish.NextPublish, now.Add(30 * time.Second), false},
		{"429 waits for the platform's reset", publish.OutcomeTransient, publish.Facts{State: snsos.StatePublishing, Attempts: 1, RetryAt: now.Add(time.Hour)}, snsos.StateRetryWait, false, publish.NextPublish, now.Add(time.Hour), false},
		{"transient at the budget fails", publish.OutcomeTransient, publish.Facts{State: snsos.StatePublishing, Attempts: 3}, snsos.StateFailed, false, publish.NextNone, time.Time{}, false},
		{"transient at the budget with parts live is partial", publish.OutcomeTransient, publish.Facts{State: snsos.StatePublishing, Attempts: 3, LiveParts: 2, Parts: 3}, snsos.StatePublished, true, publish.NextNone, time.Time{}, false},
		{"ambiguous reconciles", publish.OutcomeAmbiguous, publish.Facts{State: snsos.StatePublishing}, snsos.StateUnknown, false, publish.NextReconcile, now.Add(20 * time.Second), false},
		{"duplicate reconciles, never retries", publish.OutcomeDuplicate, publish.Facts{State: snsos.StatePublishing}, snsos.StateUnknown, false, publish.NextReconcile, now.Add(20 * time.Second), false},
		{"rejected fails", publish.OutcomeRejected, publish.Facts{State: snsos.StatePublishing}, snsos.StateFailed, false, publish.NextNone, time.Time{}, false},
		{"rejected part 3 is partial", publish.OutcomeRejected, publish.Facts{State: snsos.StatePublishing, LiveParts: 2, Parts: 3}, snsos.StatePublished, true, publish.NextNone, time.Time{}, false},
		{"absent resumes now", publish.OutcomeAbsent, publish.Facts{State: snsos.StateUnknown, Attempts: 1}, snsos.StateRetryWait, false, publish.NextPublish, now, false},
		{"absent at the budget fails", publish.OutcomeAbsent, publish.Facts{State: snsos.StateUnknown, Attempts: 3}, snsos.StateFailed, false, publish.NextNone, time.Time{}, false},
		{"absent after a duplicate answer goes to the operator", publish.OutcomeAbsent, publish.Facts{State: snsos.StateUnknown, Attempts: 1, Duplicate: true}, snsos.StateNeedsOperator, false, publish.NextNone, time.Time{}, false},
		{"undecided looks again", publish.OutcomeUndecided, publish.Facts{State: snsos.StateUnknown, ReconcileTries: 1, Searchable: true}, snsos.StateUnknown, false, publish.NextReconcile, now.Add(30 * time.Second), false},
		{"undecided at the lookup budget", publish.OutcomeUndecided, publish.Facts{State: snsos.StateUnknown, ReconcileTries: 4, Searchable: true}, snsos.StateNeedsOperator, false, publish.NextNone, time.Time{}, false},
		{"a platform that cannot be searched goes to the operator at once", publish.OutcomeUndecided, publish.Facts{State: snsos.StateUnknown, ReconcileTries: 1}, snsos.StateNeedsOperator, false, publish.NextNone, time.Time{}, false},
		{"foreign fails", publish.OutcomeForeign, publish.Facts{State: snsos.StateUnknown}, snsos.StateFailed, false, publish.NextNone, time.Time{}, false},
		{"gave up while publishing reconciles", publish.OutcomeGaveUp, publish.Facts{State: snsos.StatePublishing}, snsos.StateUnknown, false, publish.NextReconcile, now.Add(20 * time.Second), false},
		{"gave up while unknown goes to the operator", publish.OutcomeGaveUp, publish.Facts{State: snsos.StateUnknown}, snsos.StateNeedsOperator, false, publish.NextNone, time.Time{}, false},
		{"gave up while scheduled fails", publish.OutcomeGaveUp, publish.Facts{State: snsos.StateScheduled}, snsos.StateFailed, false, publish.NextNone, time.Time{}, false},
		{"cancel scheduled", publish.OutcomeCanceled, publish.Facts{State: snsos.StateScheduled}, snsos.StateCanceled, false, publish.NextNone, time.Time{}, false},
		{"cancel a thread with parts live is partial", publish.OutcomeCanceled, publish.Facts{State: snsos.StateRetryWait, LiveParts: 1, Parts: 2}, snsos.StatePublished, true, publish.NextNone, time.Time{}, false},
		{"cancel needs_operator refused", publish.OutcomeCanceled, publish.Facts{State: snsos.StateNeedsOperator}, "", false, 0, time.Time{}, true},
		{"cancel unknown refused", publish.OutcomeCanceled, publish.Facts{State: snsos.StateUnknown}, "", false, 0, time.Time{}, true},
		{"operator: live", publish.OutcomeConfirmedLive, publish.Facts{State: snsos.StateNeedsOperator}, snsos.StatePublished, false, publish.NextNone, time.Time{}, false},
		{"operator: not live", publish.OutcomeConfirmedAbsent, publish.Facts{State: snsos.StateNeedsOperator}, snsos.StateFailed, false, publish.NextNone, time.Time{}, false},
		{"operator: not live refused elsewhere", publish.OutcomeConfirmedAbsent, publish.Facts{State: snsos.StateUnknown}, "", false, 0, time.Time{}, true},
		{"operator: check again", publish.OutcomeCheckAgain, publish.Facts{State: snsos.StateNeedsOperator}, snsos.StateUnknown, false, publish.NextReconcile, now, false},
		{"retry failed", publish.OutcomeRetry, publish.Facts{State: snsos.StateFailed}, snsos.StateScheduled, false, publish.NextPublish, now, false},
		{"late fails", publish.OutcomeLate, publish.Facts{State: snsos.StateScheduled}, snsos.StateFailed, false, publish.NextNone, time.Time{}, false},
		{"transient outside publishing is refused", publish.OutcomeTransient, publish.Facts{State: snsos.StateScheduled}, "", false, 0, time.Time{}, true},
		{"quota used up waits an hour", publish.OutcomeQuotaExhausted, publish.Facts{State: snsos.StateScheduled}, snsos.StateRetryWait, false, publish.NextPublish, now.Add(publish.QuotaWait), false},
		{"quota used up waits for the known reset", publish.OutcomeQuotaExhausted, publish.Facts{State: snsos.StateRetryWait, RetryAt: now.Add(3 * time.Hour)}, snsos.StateRetryWait, false, publish.NextPublish, now.Add(3 * time.Hour), false},
		{"quota used up does not spend the budget", publish.OutcomeQuotaExhausted, publish.Facts{State: snsos.StateScheduled, Attempts: 3}, snsos.StateRetryWait, false, publish.NextPublish, now.Add(publish.QuotaWait), false},
		{"quota used up while publishing is refused", publish.OutcomeQuotaExhausted, publish.Facts{State: snsos.StatePublishing}, "", false, 0, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.f
			f.Why = "the platform said so"
			d, err := p.Decide(now, tt.o, f)
			if tt.refused {
				if !snsos.IsCode(err, snsos.ECONFLICT) {
					t.Fatalf("Decide = %+v, %v; want ECONFLICT", d, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.To != tt.to || d.Partial != tt.partial || d.Next != tt.next || !d.At.Equal(tt.at) {
				t.Fatalf("Decide = %+v, want to %s partial %v next %v at %s", d, tt.to, tt.partial, tt.next, tt.at)
			}
			if (d.To == snsos.StateFailed || d.To == snsos.StateNeedsOperator) && d.Reason == "" {
				t.Fatal("no reason for the operator")
			}
		})
	}
}

// TestAttemptBudgetAcrossReconcile: a call that keeps ending ambiguous
// while nothing goes live is retried within one attempt budget, across the
// retry and reconcile paths, then fails.
func TestAttemptBudgetAcrossReconcile(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, func(c *publish.Config) { c.MaxAttempts = 3 })
		h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatus, Status: 503, Times: -1})
		p := h.schedule(t, "never accepted", time.Now(), nil)
		tg := h.waitState(t, p.Targets[0].ID, snsos.StateFailed)
		if tg.Attempts != 3 || !strings.Contains(tg.Error, "gave up after 3 attempts") {
			t.Fatalf("target after the budget: attempts %d, %q", tg.Attempts, tg.Error)
		}
	})
}

// TestPartialThreadRefused: a thread whose later part is refused for good
// is published, marked partial, with the ids of the parts that went out.
func TestPartialThreadRefused(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		var sim *xsim.Sim
		h := newHarnessWith(t, env, harnessOptions{before: countPosts(func(n int) {
			if n == 3 { // part 3 is refused: out of credits
				sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultCredits})
			}
		})}, nil)
		sim = h.sim
		p := h.schedule(t, "", time.Now(), map[string]any{"parts": []any{"partial one", "partial two", "partial three"}})
		tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		if !tg.Partial || tg.RemoteID == "" || tg.RemoteID != tg.Progress[platform.PartIDKey(1)] || tg.Progress[platform.PartIDKey(2)] == "" ||
			tg.Progress[platform.PartIDKey(3)] != "" || !strings.Contains(tg.Error, "only parts 1–2 of 3") {
			t.Fatalf("partial thread: %+v", tg)
		}
		if h.livePosts("partial one") != 1 || h.livePosts("partial two") != 1 || h.livePosts("partial three") != 0 {
			t.Fatal("platform state")
		}
		if h.checkpoint.Load() != 1 {
			t.Fatalf("%d checkpoint schedules, want 1 (a partial thread is measured)", h.checkpoint.Load())
		}
	})
}
