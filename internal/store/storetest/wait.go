package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/sns-os/snsos/internal/store"
)

// Eventually checks cond every interval until it holds, and fails the test
// with the message fail returns once limit has passed: a bound only a
// broken run reaches. The tests' one way to wait for a state.
func Eventually(t testing.TB, limit, every time.Duration, cond func() bool, fail func() string) {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			if cond() {
				return
			}
			t.Fatal(fail())
		case <-tick.C:
		}
	}
}

// SchedulerTick is how often ScheduleOften runs River's scheduling pass.
const SchedulerTick = 50 * time.Millisecond

// ScheduleOften runs River's own scheduling pass (the driver's
// JobSchedule, what River's leader runs every 5 s) on s's job tables every
// SchedulerTick until the test ends. A job due under 5 s away (a retry,
// a reconciliation, a post due in a second) otherwise waits for the
// leader's next pass, up to 5 s; River keeps that interval private. The pass only moves scheduled and retryable
// jobs due within a tick to available, as the leader's does with its 5 s
// look-ahead: no job runs before its time. Errors are ignored: the
// leader's own pass still runs.
func ScheduleOften(t testing.TB, s *store.Store) {
	t.Helper()
	var exec riverdriver.Executor
	if pool := s.Pool(); pool != nil {
		exec = riverpgxv5.New(pool).GetExecutor()
	} else {
		exec = riversqlite.New(s.DB()).GetExecutor()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(SchedulerTick)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			ahead := time.Now().Add(SchedulerTick)
			exec.JobSchedule(ctx, &riverdriver.JobScheduleParams{Max: 100, Now: &ahead})
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}
