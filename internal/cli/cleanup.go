package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// SessionCleanupArgs is the periodic job that deletes the operator
// sessions that have ended (idle or past their absolute lifetime), so the
// sessions table holds only live ones, and the shared sign-in counts whose
// window has passed.
type SessionCleanupArgs struct{}

// Kind implements river.JobArgs.
func (SessionCleanupArgs) Kind() string { return "session_cleanup" }

// InsertOpts keeps at most one run an interval; a failed run waits for the
// next one.
func (SessionCleanupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: sessionCleanupInterval}, MaxAttempts: 1}
}

// sessionCleanupInterval is how often ended sessions are deleted.
const sessionCleanupInterval = time.Hour

// sessionStore is what the cleanup needs. *store.Store implements it.
type sessionStore interface {
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
	DeleteExpiredThrottles(ctx context.Context, now time.Time) (int64, error)
}

type sessionCleanup struct {
	river.WorkerDefaults[SessionCleanupArgs]
	store sessionStore
	log   *slog.Logger
	// now is the clock that judges which sessions have ended, the web
	// handler's (nil: time.Now, as the handler's default).
	now func() time.Time
}

func (w *sessionCleanup) Work(ctx context.Context, _ *river.Job[SessionCleanupArgs]) error {
	now := time.Now
	if w.now != nil {
		now = w.now
	}
	n, err := w.store.DeleteExpiredSessions(ctx, now())
	if err != nil {
		return err
	}
	if n > 0 {
		w.log.Debug("ended sessions deleted", "count", n)
	}
	// An expired count is restarted by the client's next attempt anyway;
	// deleting it keeps a flood of one-off addresses from piling up.
	if n, err = w.store.DeleteExpiredThrottles(ctx, now()); err != nil {
		return err
	}
	if n > 0 {
		w.log.Debug("expired sign-in counts deleted", "count", n)
	}
	return nil
}

// registerSessionCleanup adds the worker and returns its periodic job (run
// at start too).
func registerSessionCleanup(workers *river.Workers, st sessionStore, log *slog.Logger) *river.PeriodicJob {
	river.AddWorker(workers, &sessionCleanup{store: st, log: log})
	return river.NewPeriodicJob(river.PeriodicInterval(sessionCleanupInterval),
		func() (river.JobArgs, *river.InsertOpts) { return SessionCleanupArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
