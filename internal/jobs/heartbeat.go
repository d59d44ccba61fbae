package jobs

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
)

// HeartbeatArgs is a periodic job that proves the queue works end to end:
// each run records its time, which readiness and logs can show.
type HeartbeatArgs struct{}

// Kind implements river.JobArgs.
func (HeartbeatArgs) Kind() string { return "heartbeat" }

// InsertOpts keeps at most one heartbeat queued.
func (HeartbeatArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Minute}, MaxAttempts: 1}
}

// Heartbeat works HeartbeatArgs.
type Heartbeat struct {
	river.WorkerDefaults[HeartbeatArgs]
	last atomic.Int64
	now  func() time.Time
}

// NewHeartbeat returns the worker; now may be nil for time.Now.
func NewHeartbeat(now func() time.Time) *Heartbeat {
	if now == nil {
		now = time.Now
	}
	return &Heartbeat{now: now}
}

// Work records the time of the run.
func (h *Heartbeat) Work(ctx context.Context, job *river.Job[HeartbeatArgs]) error {
	h.last.Store(h.now().UnixNano())
	return nil
}

// Last returns when a heartbeat last ran in this process (zero if never).
func (h *Heartbeat) Last() time.Time {
	n := h.last.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Register adds the heartbeat worker to workers and returns the periodic
// job that schedules it every interval (and once at start).
func (h *Heartbeat) Register(workers *river.Workers, interval time.Duration) *river.PeriodicJob {
	river.AddWorker(workers, h)
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return HeartbeatArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
