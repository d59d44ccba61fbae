package collect_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/sns-os/snsos/internal/store"
)

// schedulerTick is how often the tests run River's scheduling pass.
const schedulerTick = 50 * time.Millisecond

// scheduleOften runs River's own scheduling pass (the driver's JobSchedule,
// what River's leader runs every 5 s) on s's job tables every
// schedulerTick until the test ends. A job inserted for a time under 5 s
// away (a retry, a reconciliation, a post due in a second) otherwise waits
// for the leader's next pass, up to 5 s later; River keeps that interval
// private, so the tests cannot shorten it through the client. The pass only
// moves scheduled and retryable jobs due within a tick to available, as
// the leader's does with its 5 s lookahead: no job runs before its time.
// Errors are ignored: the leader's own pass still runs.
func scheduleOften(t testing.TB, s *store.Store) {
	t.Helper()
	var exec riverdriver.Executor
	if pool := s.Pool(); pool != nil {
		exec = riverpgxv5.New(pool).GetExecutor()
	} else {
		exec = riversqlite.New(s.DB()).GetExecutor()
	}
	pctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(schedulerTick)
		defer tick.Stop()
		for {
			select {
			case <-pctx.Done():
				return
			case <-tick.C:
			}
			ahead := time.Now().Add(schedulerTick)
			exec.JobSchedule(pctx, &riverdriver.JobScheduleParams{Max: 100, Now: &ahead})
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// eventually polls cond every 10 ms until it holds, and fails the test
// with the message fail returns once limit has passed: a bound only a
// broken run reaches.
func eventually(t testing.TB, limit time.Duration, cond func() bool, fail func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(fail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
