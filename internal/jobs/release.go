package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// River inserts every job given a ScheduledAt as "scheduled", even one due
// now or in the past, and only its leader's scheduler moves scheduled jobs
// to "available": every 5 s, taking those due in the next 5 s. A job due
// now therefore waited up to 5 s for its first run, and one due in 1 s
// (a retry's backoff, a reconciliation's delay) as long: the tail of the
// pickup lateness (preflight checks inserted by a create were first run
// 1.4-3.7 s late). So for a job due within the scheduler's interval the
// client runs River's own scheduling step (the driver's JobSchedule, what
// the leader runs) itself at the job's time, and once more a moment later
// for an inserting transaction that committed after it. The job keeps its
// ScheduledAt, so its row says when it was due. A job still never runs
// before its time: the step releases only jobs whose time has come, and
// the producers fetch only those. On SQLite the step waits for the one
// write connection, so it runs after the inserting transaction commits.

// schedulerInterval is River's scheduler interval (maintenance's
// JobSchedulerIntervalDefault, not configurable from outside).
const schedulerInterval = 5 * time.Second

// releaser runs the scheduling step at the due times of near jobs.
type releaser struct {
	exec riverdriver.Executor
	now  func() time.Time

	mu      sync.Mutex
	ctx     context.Context // set by start, done at stop
	pending map[*time.Timer]struct{}
}

// opts returns the options to insert a job with, unchanged, and arranges
// the releases of a job due within the scheduler's interval.
func (r *releaser) opts(opts *river.InsertOpts) *river.InsertOpts {
	if r == nil || opts == nil || opts.ScheduledAt.IsZero() {
		return opts
	}
	if wait := opts.ScheduledAt.Sub(r.now()); wait < schedulerInterval {
		wait = max(wait, 0)
		r.after(wait)
		r.after(wait + commitLag)
	}
	return opts
}

// commitLag is when the second release runs after the first: time for the
// transaction that inserted the job to commit.
const commitLag = 150 * time.Millisecond

// maxPending bounds the releases waiting at once; beyond it (a burst of
// inserts) the leader's pass releases the jobs, as River alone would.
const maxPending = 1024

// after runs the scheduling step once wait has passed, unless the client
// stopped meanwhile.
func (r *releaser) after(wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == nil || r.ctx.Err() != nil || len(r.pending) >= maxPending {
		return // not working (the leader's pass will do when it starts), or too many
	}
	var t *time.Timer
	t = time.AfterFunc(wait, func() {
		r.mu.Lock()
		ctx := r.ctx
		delete(r.pending, t)
		r.mu.Unlock()
		r.release(ctx)
	})
	r.pending[t] = struct{}{}
}

// release moves the jobs due by now to available, as the leader's pass
// would; an error only leaves them to that pass.
func (r *releaser) release(ctx context.Context) {
	if ctx == nil || ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	now := r.now()
	_, _ = r.exec.JobSchedule(ctx, &riverdriver.JobScheduleParams{Max: 1000, Now: &now})
}

func (r *releaser) start(ctx context.Context) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.ctx, r.pending = ctx, map[*time.Timer]struct{}{}
	r.mu.Unlock()
}

// stop cancels the releases not yet run.
func (r *releaser) stop() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for t := range r.pending {
		t.Stop()
	}
	r.pending = map[*time.Timer]struct{}{}
}
