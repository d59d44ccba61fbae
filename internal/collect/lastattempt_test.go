package collect_test

// A checkpoint job whose last River attempt fails leaves a snapshot that
// says so; earlier attempts, snoozes and runs interrupted by a shutdown
// leave nothing.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/collect"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/x"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// hookX is the X client with a function run before each metrics read.
type hookX struct {
	*x.Client
	before func()
}

func (c *hookX) Metrics(ctx context.Context, acct platform.Auth, posts []platform.PostRef) ([]platform.PostMetrics, error) {
	c.before()
	return c.Client.Metrics(ctx, acct, posts)
}

// failingStore fails to load accounts while broken is set: a database that
// is down for the checkpoint worker.
type failingStore struct {
	*store.Store
	broken *atomic.Bool
}

func (s failingStore) FindAccountByID(ctx context.Context, id int64) (*snsos.Account, error) {
	if s.broken.Load() {
		return nil, errors.New("database is unreachable")
	}
	return s.Store.FindAccountByID(ctx, id)
}

// insertCheckpoint inserts the 1h checkpoint job of tg with maxAttempts,
// as ScheduleTx would but without its ten attempts and their growing
// backoff.
func (h *harness) insertCheckpoint(t *testing.T, tg *snsos.Target, maxAttempts int) int64 {
	t.Helper()
	res, err := h.jobs.Insert(context.Background(), collect.CheckpointArgs{TargetID: tg.ID, Checkpoint: "1h"},
		&river.InsertOpts{MaxAttempts: maxAttempts})
	if err != nil {
		t.Fatal(err)
	}
	return res.Job.ID
}

// waitErrors polls a job until River recorded n failed attempts.
func (h *harness) waitErrors(t *testing.T, id int64, n int) *rivertype.JobRow {
	t.Helper()
	var row *rivertype.JobRow
	eventually(t, 30*time.Second, func() bool {
		var err error
		if row, err = h.jobs.JobGet(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		return len(row.Errors) >= n
	}, func() string {
		return fmt.Sprintf("job %d has %d errors after 30s (%s), want %d", id, len(row.Errors), row.State, n)
	})
	return row
}

func (h *harness) snapshots(t *testing.T, targetID int64) []*snsos.MetricSnapshot {
	t.Helper()
	got, err := h.env.Store.ListSnapshots(context.Background(), targetID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// onlyUnavailable checks that the target has exactly one snapshot, the 1h
// one, unavailable with a reason containing each of want.
func onlyUnavailable(t *testing.T, got []*snsos.MetricSnapshot, want ...string) *snsos.MetricSnapshot {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%d snapshots, want 1: %+v", len(got), got)
	}
	m := got[0]
	if m.Checkpoint != "1h" || m.Status != snsos.SnapshotUnavailable {
		t.Fatalf("snapshot %s %s %q, want 1h unavailable", m.Checkpoint, m.Status, m.Reason)
	}
	for _, w := range want {
		if !strings.Contains(m.Reason, w) {
			t.Errorf("reason %q does not say %q", m.Reason, w)
		}
	}
	for _, k := range standard {
		if v, ok := m.Values[k]; !ok || v != 0 {
			t.Errorf("unavailable snapshot %s = %d, %v", k, v, ok)
		}
	}
	return m
}

// refreshWorks checks that a manual refresh still reads the metrics after
// the checkpoint gave up, and leaves the checkpoint's snapshot alone.
func (h *harness) refreshWorks(t *testing.T, tg *snsos.Target, checkpoint *snsos.MetricSnapshot) {
	t.Helper()
	m, err := h.col.RefreshNow(context.Background(), tg.ID)
	if err != nil {
		t.Fatalf("manual refresh after the failed checkpoint: %v", err)
	}
	if m.Checkpoint != snsos.CheckpointManual || m.Status != snsos.SnapshotOK {
		t.Fatalf("manual snapshot %+v", m)
	}
	got := h.snapshots(t, tg.ID)
	if len(got) != 2 || len(byCheckpoint(got, "1h")) != 1 || byCheckpoint(got, "1h")[0].Reason != checkpoint.Reason {
		t.Fatalf("snapshots after the refresh: %+v", got)
	}
}

// TestLastAttemptTimesOut: X never answers within the job's time limit.
// The first attempt fails and stores nothing (River will try again); the
// last one stores the "unavailable" snapshot the attempt decided on.
func TestLastAttemptTimesOut(t *testing.T) {
	t.Parallel()
	collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
		// The time limit leaves the reads before the call room on a busy
		// machine, so the call itself is what runs out of time.
		h := newHarness(t, env, options{checkpoints: []collect.Checkpoint{}, maxTries: 1,
			jobTimeout: 1500 * time.Millisecond})
		tg := h.publish(t, "x hangs", "")
		h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultHang, Times: -1})
		id := h.insertCheckpoint(t, tg, 2)

		row := h.waitErrors(t, id, 1)
		if got := h.snapshots(t, tg.ID); len(got) != 0 {
			t.Fatalf("the first of two attempts stored %+v", got)
		}
		if row.FinalizedAt != nil {
			t.Fatalf("job finalized after its first attempt: %s", row.State)
		}

		row = h.waitJob(t, id)
		if row.State != rivertype.JobStateCompleted || row.Attempt != 2 {
			t.Fatalf("job ended %s after %d attempts: %v", row.State, row.Attempt, row.Errors)
		}
		m := onlyUnavailable(t, h.snapshots(t, tg.ID), "X did not answer the metrics request", "no complete response in time")
		h.sim.ClearFaults()
		h.refreshWorks(t, tg, m)
	})
}

// TestLastAttemptInternalError: the database fails on every attempt. Only
// the last attempt stores a snapshot, which says so in words.
func TestLastAttemptInternalError(t *testing.T) {
	t.Parallel()
	collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
		broken := &atomic.Bool{}
		h := newHarness(t, env, options{checkpoints: []collect.Checkpoint{},
			store: func(s *store.Store) collect.Store { return failingStore{Store: s, broken: broken} }})
		tg := h.publish(t, "database down", "")
		broken.Store(true)
		id := h.insertCheckpoint(t, tg, 2)

		h.waitErrors(t, id, 1)
		if got := h.snapshots(t, tg.ID); len(got) != 0 {
			t.Fatalf("the first of two attempts stored %+v", got)
		}
		row := h.waitJob(t, id)
		if row.State != rivertype.JobStateCompleted || len(row.Errors) != 1 {
			t.Fatalf("job ended %s with %v", row.State, row.Errors)
		}
		m := onlyUnavailable(t, h.snapshots(t, tg.ID),
			"sns-os gave up reading the metrics after 2 attempts because of an internal error (see the server log)")
		broken.Store(false)
		h.refreshWorks(t, tg, m)
	})
}

// TestLastAttemptPanics: a panic on the last attempt leaves a snapshot too;
// River still records the panic.
func TestLastAttemptPanics(t *testing.T) {
	t.Parallel()
	collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
		var panicking atomic.Bool
		h := newHarness(t, env, options{checkpoints: []collect.Checkpoint{},
			platform: func(h *harness) platform.Platform {
				return &hookX{Client: h.xc, before: func() {
					if panicking.Load() {
						panic("metrics reader bug")
					}
				}}
			}})
		tg := h.publish(t, "reader panics", "")
		panicking.Store(true)
		id := h.insertCheckpoint(t, tg, 1)

		row := h.waitJob(t, id)
		if row.State != rivertype.JobStateDiscarded || len(row.Errors) != 1 || !strings.Contains(row.Errors[0].Error, "metrics reader bug") {
			t.Fatalf("job ended %s with %+v", row.State, row.Errors)
		}
		m := onlyUnavailable(t, h.snapshots(t, tg.ID), "after 1 attempt because of an internal error")
		panicking.Store(false)
		h.refreshWorks(t, tg, m)
	})
}

// TestLastAttemptSnoozes: a job on its last (only) attempt that snoozes
// stores nothing until it gives up after its tries.
func TestLastAttemptSnoozes(t *testing.T) {
	t.Parallel()
	collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, options{checkpoints: []collect.Checkpoint{}, retry: 50 * time.Millisecond, maxTries: 3})
		tg := h.publish(t, "snoozing", "")
		h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultStatus, Status: 503, Times: -1})
		id := h.insertCheckpoint(t, tg, 1)

		row := h.waitJob(t, id)
		if row.State != rivertype.JobStateCompleted || len(row.Errors) != 0 {
			t.Fatalf("job ended %s with %v", row.State, row.Errors)
		}
		if n := snoozeCount(t, row); n != 2 {
			t.Errorf("job snoozed %d times, want 2", n)
		}
		onlyUnavailable(t, h.snapshots(t, tg.ID), "X had no metrics for this post after 3 tries: X did not answer the metrics request")
	})
}

// TestLastAttemptShutdown: a shutdown interrupting the last attempt stores
// nothing; River keeps the job to run again.
func TestLastAttemptShutdown(t *testing.T) {
	t.Parallel()
	collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
		started := make(chan struct{}, 1)
		h := newHarness(t, env, options{checkpoints: []collect.Checkpoint{}, maxTries: 1,
			platform: func(h *harness) platform.Platform {
				return &hookX{Client: h.xc, before: func() {
					select {
					case started <- struct{}{}:
					default:
					}
				}}
			}})
		tg := h.publish(t, "shutdown", "")
		h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultHang, Times: -1})
		id := h.insertCheckpoint(t, tg, 1)
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatal("the checkpoint job did not start")
		}
		// The job is running and its metrics request can only hang (the
		// fault holds every read): a stop with a short deadline cannot be
		// graceful, whether the request has reached the simulator yet or not.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if graceful, err := h.jobs.Stop(ctx); graceful {
			t.Fatalf("stop was graceful (%v): the job did not hang", err)
		}
		row, err := h.jobs.JobGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if row.FinalizedAt != nil || row.State != rivertype.JobStateAvailable {
			t.Errorf("interrupted job is %s (finalized %v), want available to run again", row.State, row.FinalizedAt)
		}
		if got := h.snapshots(t, tg.ID); len(got) != 0 {
			t.Fatalf("an interrupted run stored %+v", got)
		}
	})
}
