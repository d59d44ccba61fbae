package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestReleaseStep: River inserts any job given a time as "scheduled",
// which only its leader's pass (every 5 s) releases; the scheduling step
// the client runs at a near job's time releases that one, never one whose
// time has not come.
func TestReleaseStep(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		if err := jobs.Migrate(ctx, env.Store.DB(), env.Store.Pool(), nil); err != nil {
			t.Fatal(err)
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, &pingWorker{ranAt: make(chan time.Time, 10)})
		// Not started: nothing works the jobs, so their rows show how
		// they were inserted.
		c, err := jobs.New(jobs.Config{DB: env.Store.DB(), Pool: env.Store.Pool(), Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		state := func(id int64) rivertype.JobState {
			t.Helper()
			row, err := c.JobGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return row.State
		}
		now := time.Now()
		near, err := c.Insert(ctx, pingArgs{N: 2}, &river.InsertOpts{ScheduledAt: now.Add(2 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		later, err := c.Insert(ctx, pingArgs{N: 3}, &river.InsertOpts{ScheduledAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if s := state(near.Job.ID); s != rivertype.JobStateScheduled {
			t.Fatalf("a job due in 2 s was inserted %s", s)
		}
		if err := c.Release(ctx, now.Add(1500*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if s := state(near.Job.ID); s != rivertype.JobStateScheduled {
			t.Fatalf("released before its time: %s", s)
		}
		if err := c.Release(ctx, now.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		if s, l := state(near.Job.ID), state(later.Job.ID); s != rivertype.JobStateAvailable || l != rivertype.JobStateScheduled {
			t.Fatalf("at its time: the near job %s, the later one %s", s, l)
		}
	})
}

// TestNearJobRunsThroughItsRelease: a started client arranges a release at
// the time of a job due within River's scheduler interval (none for a job
// due later), and the job runs once.
func TestNearJobRunsThroughItsRelease(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		w := &pingWorker{ranAt: make(chan time.Time, 10)}
		c := startClient(t, env, w)
		ctx := context.Background()
		if _, err := c.Insert(ctx, pingArgs{N: 9}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if n := c.PendingReleases(); n != 0 {
			t.Fatalf("%d releases arranged for a job due in an hour", n)
		}
		due := time.Now().Add(300 * time.Millisecond)
		res, err := c.Insert(ctx, pingArgs{N: 1}, &river.InsertOpts{ScheduledAt: due})
		if err != nil {
			t.Fatal(err)
		}
		if n := c.PendingReleases(); n != 2 {
			t.Fatalf("%d releases arranged for a job due in 300 ms, want 2 (at its time, and once more)", n)
		}
		// A job due a second ago is released at once too.
		past, err := c.Insert(ctx, pingArgs{N: 2}, &river.InsertOpts{ScheduledAt: time.Now().Add(-time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if row := waitJob(t, c, past.Job.ID); row.State != rivertype.JobStateCompleted {
			t.Fatalf("the job due a second ago: %s", row.State)
		}
		row := waitJob(t, c, res.Job.ID)
		if row.State != rivertype.JobStateCompleted || w.runs.Load() != 2 {
			t.Fatalf("job %s, %d runs", row.State, w.runs.Load())
		}
		<-w.ranAt // the job due a second ago
		if ran := <-w.ranAt; ran.Before(due) {
			t.Fatalf("ran at %v, before its time %v", ran, due)
		}
	})
}
