package publish_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// A target whose job was lost (River discarded it with a dead process, or
// a restored backup lacks it) is queued again by the watchdog; a target
// whose job is still waiting is not given a second one.
func TestWatchdogRequeuesLostJobs(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, nil)
		s := env.Store
		// Scheduled in the past with no job at all.
		lost := &snsos.Post{Body: "lost job", ScheduledAt: time.Now().Add(-time.Minute), Targets: []*snsos.Target{{AccountID: h.account.ID, State: snsos.StateScheduled}}}
		if err := s.CreatePost(ctx, lost, nil); err != nil {
			t.Fatal(err)
		}
		n, err := h.engine.Watchdog(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Watchdog = %d, %v; want 1", n, err)
		}
		h.waitState(t, lost.Targets[0].ID, snsos.StatePublished)
		if h.livePosts("lost job") != 1 {
			t.Fatal("not published once")
		}
		// An overdue target whose job still waits (River has not run it
		// yet): the watchdog's insert is the same job, de-duplicated.
		busy := &snsos.Post{Body: "job still waiting", ScheduledAt: time.Now().Add(-time.Minute), Targets: []*snsos.Target{{AccountID: h.account.ID, State: snsos.StateScheduled}}}
		if err := s.CreatePost(ctx, busy, nil); err != nil {
			t.Fatal(err)
		}
		bt := busy.Targets[0]
		if _, err := h.jobs.Insert(ctx, publish.PublishArgs{TargetID: bt.ID, At: bt.ScheduledAt.UTC().Truncate(time.Microsecond), Seq: bt.JobSeq}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if n, err := h.engine.Watchdog(ctx); err != nil || n != 0 {
			t.Fatalf("Watchdog with the job still waiting = %d, %v; want 0", n, err)
		}
	})
}
