package jobs_test

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/store/storetest"
)

type pingArgs struct {
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	runs  atomic.Int32
	ranAt chan time.Time
}

func (w *pingWorker) Work(ctx context.Context, job *river.Job[pingArgs]) error {
	w.runs.Add(1)
	w.ranAt <- time.Now()
	return nil
}

func startClient(t *testing.T, env *storetest.Env, w river.Worker[pingArgs]) *jobs.Client {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, env.Store.DB(), env.Store.Pool(), nil); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	c, err := jobs.New(jobs.Config{DB: env.Store.DB(), Pool: env.Store.Pool(), Workers: workers, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.Stop(sctx)
	})
	return c
}

// waitJob polls the job row until it reaches a final state or the bound
// passes. The bound only limits a broken run; a passing run returns as soon
// as the job completes.
func waitJob(t *testing.T, c *jobs.Client, id int64) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		row, err := c.JobGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if row.State == rivertype.JobStateCompleted || row.State == rivertype.JobStateDiscarded || row.State == rivertype.JobStateCancelled {
			return row
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d still %s after 20s", id, row.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestScheduledJobRunsOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		w := &pingWorker{ranAt: make(chan time.Time, 4)}
		c := startClient(t, env, w)
		ctx := context.Background()
		if err := c.Ready(); err != nil {
			t.Fatal(err)
		}
		due := time.Now().Add(time.Second)
		res, err := c.Insert(ctx, pingArgs{N: 1}, &river.InsertOpts{ScheduledAt: due, UniqueOpts: river.UniqueOpts{ByArgs: true}})
		if err != nil {
			t.Fatal(err)
		}
		// A second insert of the same unique job is skipped.
		dup, err := c.Insert(ctx, pingArgs{N: 1}, &river.InsertOpts{ScheduledAt: due, UniqueOpts: river.UniqueOpts{ByArgs: true}})
		if err != nil || !dup.UniqueSkippedAsDuplicate || dup.Job.ID != res.Job.ID {
			t.Fatalf("duplicate insert: %+v %v", dup, err)
		}
		row := waitJob(t, c, res.Job.ID)
		if row.State != rivertype.JobStateCompleted || row.Attempt != 1 {
			t.Fatalf("job ended %s after %d attempts", row.State, row.Attempt)
		}
		ran := <-w.ranAt
		if ran.Before(due) {
			t.Fatalf("job ran %v before its time", due.Sub(ran))
		}
		if n := w.runs.Load(); n != 1 {
			t.Fatalf("job ran %d times, want 1", n)
		}
	})
}

func TestInsertTxIsTransactional(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		w := &pingWorker{ranAt: make(chan time.Time, 4)}
		c := startClient(t, env, w)
		ctx := context.Background()
		db := env.Store.DB()

		// Rolled back: no job.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.InsertTx(ctx, tx, pingArgs{N: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		if _, err := c.JobGet(ctx, res.Job.ID); !errors.Is(err, river.ErrNotFound) {
			t.Fatalf("rolled-back job exists: %v", err)
		}

		// Committed with an app row: the job runs.
		tx, err = db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (at, actor, action) VALUES ($1, 'test', 'with-job')`, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		res, err = c.InsertTx(ctx, tx, pingArgs{N: 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if row := waitJob(t, c, res.Job.ID); row.State != rivertype.JobStateCompleted {
			t.Fatalf("committed job ended %s", row.State)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'with-job'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("app row: %d %v", n, err)
		}
		_ = sql.ErrNoRows
	})
}

type slowArgs struct{}

func (slowArgs) Kind() string { return "test_slow" }

type slowWorker struct {
	river.WorkerDefaults[slowArgs]
	started  chan struct{}
	release  chan struct{}
	finished atomic.Bool
}

func (w *slowWorker) Work(ctx context.Context, job *river.Job[slowArgs]) error {
	close(w.started)
	<-w.release
	w.finished.Store(true)
	return nil
}

// TestStopWaitsForRunningJob: a graceful stop lets a running job finish.
func TestStopWaitsForRunningJob(t *testing.T) {
	env := storetest.New(t, "sqlite")
	ctx := context.Background()
	if err := jobs.Migrate(ctx, env.Store.DB(), nil, nil); err != nil {
		t.Fatal(err)
	}
	w := &slowWorker{started: make(chan struct{}), release: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	c, err := jobs.New(jobs.Config{DB: env.Store.DB(), Workers: workers, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Insert(ctx, slowArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	<-w.started
	stopped := make(chan bool)
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		graceful, _ := c.Stop(sctx)
		stopped <- graceful
	}()
	close(w.release)
	if graceful := <-stopped; !graceful || !w.finished.Load() {
		t.Fatalf("graceful=%v finished=%v", graceful, w.finished.Load())
	}
	if c.Ready() == nil {
		t.Fatal("Ready after Stop")
	}
}
