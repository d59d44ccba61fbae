package collect

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// The analytics page reads its long ranges from per-day sums that the store
// keeps derived from the targets and their summaries (store.AnalyticsDays):
// every change marks its day, in its own transaction, and this job rebuilds
// the marked days once a minute. Until it has, the page reads those days'
// targets itself, so the job only ever makes the page faster, never right.

// DaysInterval is how often the marked days are rebuilt.
const DaysInterval = time.Minute

// DayStore is what the job needs of the store.
type DayStore interface {
	RefreshAnalyticsDays(ctx context.Context, max int) (int, error)
}

// DaysArgs is the periodic job that rebuilds the marked days.
type DaysArgs struct{}

// Kind implements river.JobArgs.
func (DaysArgs) Kind() string { return "analytics_days" }

// InsertOpts keeps at most one run per interval; a failed run waits for the
// next one, which finds the same marks.
func (DaysArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: DaysInterval}}
}

type daysWorker struct {
	river.WorkerDefaults[DaysArgs]
	st  DayStore
	log *slog.Logger
}

// Work rebuilds every marked day, a few per transaction (the store's
// batches), so the writer is never held for long.
func (w *daysWorker) Work(ctx context.Context, job *river.Job[DaysArgs]) error {
	n, err := w.st.RefreshAnalyticsDays(ctx, 1<<30)
	if n > 0 {
		w.log.Debug("analytics days rebuilt", "days", n)
	}
	return err
}

// RegisterDays adds the job's worker to workers and returns the periodic
// job (run once at start too).
func RegisterDays(workers *river.Workers, st DayStore, log *slog.Logger) *river.PeriodicJob {
	if log == nil {
		log = slog.Default()
	}
	river.AddWorker(workers, &daysWorker{st: st, log: log})
	return river.NewPeriodicJob(river.PeriodicInterval(DaysInterval),
		func() (river.JobArgs, *river.InsertOpts) { return DaysArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
