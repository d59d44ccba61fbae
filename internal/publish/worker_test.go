package publish_test

import (
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestLeftoverJobLeavesRunningAttemptAlone: a leftover publish job (the
// post was moved to "now" while its old job waited) fires while the new
// attempt's slow call is in flight. It must leave the attempt alone; the
// post goes out once.
func TestLeftoverJobLeavesRunningAttemptAlone(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		g := newGate()
		h := newHarnessWith(t, env, harnessOptions{before: g.before, timeout: time.Minute}, nil)
		t.Cleanup(g.release) // before the server closes (cleanups run last first)
		p := h.schedule(t, "moved to now while slow", time.Now().Add(time.Hour), nil)
		old := p.Targets[0]
		if _, err := h.engine.Schedule(ctx, p.ID, time.Now()); err != nil { // post now
			t.Fatal(err)
		}
		g.waitArrival(t) // the new attempt's call is in flight
		// The old job fires now (its time "came"): same target, old number.
		res, err := h.jobs.Insert(ctx, publish.PublishArgs{TargetID: old.ID, At: time.Now(), Seq: old.JobSeq}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.waitJob(t, res.Job.ID)
		// And a job with the current number (a rescued one) too.
		cur, _ := env.Store.FindTargetByID(ctx, old.ID)
		res, err = h.jobs.Insert(ctx, publish.PublishArgs{TargetID: old.ID, At: cur.ScheduledAt.Add(-time.Millisecond), Seq: cur.JobSeq}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.waitJob(t, res.Job.ID)
		if tg, _ := env.Store.FindTargetByID(ctx, old.ID); tg.State != snsos.StatePublishing || tg.Attempts != 1 {
			t.Fatalf("while the call is in flight the target is %s after %d attempts, want publishing after 1", tg.State, tg.Attempts)
		}
		// Another process (its own in-flight list) must wait for the lease.
		other := publish.New(publish.Config{Store: env.Store, Jobs: h.jobs, Tokens: storeTokens{env.Store}})
		if n, err := other.Recover(ctx, false); err != nil || n != 0 {
			t.Fatalf("another process took over a leased attempt: %d, %v", n, err)
		}
		g.release()
		tg := h.waitState(t, old.ID, snsos.StatePublished)
		if n := h.livePosts("moved to now while slow"); n != 1 || tg.Attempts != 1 {
			t.Fatalf("%d posts after %d attempts, want 1 after 1", n, tg.Attempts)
		}
	})
}

// TestRetryWaitJobsKeepTheirTime: a stale job of a retry_wait target does
// nothing, and its current job waits for its time.
func TestRetryWaitJobsKeepTheirTime(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, func(c *publish.Config) { c.Backoff = func(int) time.Duration { return time.Hour } })
		h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultRateLimit, Reset: time.Minute})
		p := h.schedule(t, "waits its turn", time.Now(), nil)
		tg := h.waitState(t, p.Targets[0].ID, snsos.StateRetryWait)
		// A leftover job with an older number, due now, does nothing.
		res, err := h.jobs.Insert(ctx, publish.PublishArgs{TargetID: tg.ID, At: time.Now(), Seq: tg.JobSeq - 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.waitJob(t, res.Job.ID)
		if got, _ := env.Store.FindTargetByID(ctx, tg.ID); got.State != snsos.StateRetryWait || got.Attempts != 1 {
			t.Fatalf("a stale job acted: %s after %d attempts", got.State, got.Attempts)
		}
		if h.livePosts("waits its turn") != 0 {
			t.Fatal("posted before its retry time")
		}
	})
}
