package publish

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
)

// watchdogBatch bounds the targets one watchdog run looks at.
const watchdogBatch = 500

// WatchdogArgs runs the watchdog (a periodic job).
type WatchdogArgs struct{}

// Kind implements river.JobArgs.
func (WatchdogArgs) Kind() string { return "publish_watchdog" }

// InsertOpts: one at a time, no retries (the next minute is the retry).
func (WatchdogArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: time.Minute}}
}

type watchdogWorker struct {
	river.WorkerDefaults[WatchdogArgs]
	e *Engine
}

func (w *watchdogWorker) Work(ctx context.Context, _ *river.Job[WatchdogArgs]) error {
	_, err := w.e.Watchdog(ctx)
	return err
}

// Periodic returns the engine's periodic jobs: the watchdog, every minute.
func (e *Engine) Periodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return WatchdogArgs{}, nil }, nil)}
}

// jobGone reports whether job id has finished or no longer exists.
func (e *Engine) jobGone(ctx context.Context, id int64) (bool, error) {
	j, err := e.cfg.Jobs.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	switch j.State {
	case rivertype.JobStateCompleted, rivertype.JobStateDiscarded, rivertype.JobStateCancelled:
		return true, nil
	}
	return false, nil
}

// Watchdog makes sure no target waits for a job that no longer exists
// (River discards a job whose last attempt died with its process, and a
// database can be restored from a backup without its queue): every overdue
// scheduled, retry_wait or unknown target gets its job queued again with
// the very arguments it had — which River de-duplicates while the original
// is still waiting or running, so this is a no-op for a healthy target —
// and every publishing target whose owner's lease ran out is taken over.
// It returns how many targets it acted on.
func (e *Engine) Watchdog(ctx context.Context) (int, error) {
	now := e.now()
	ts, err := e.cfg.Store.ListOverdueTargets(ctx, now.Add(-e.cfg.ReconcileDelay), watchdogBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range ts {
		var args river.JobArgs
		switch t.State {
		case snsos.StateScheduled:
			args = PublishArgs{TargetID: t.ID, At: dbTime(t.ScheduledAt), Seq: t.JobSeq}
		case snsos.StateRetryWait:
			args = PublishArgs{TargetID: t.ID, At: dbTime(t.DueAt), Seq: t.JobSeq}
		case snsos.StateUnknown:
			args = ReconcileArgs{TargetID: t.ID, At: dbTime(t.DueAt)}
		case snsos.StatePublishing:
			if e.running(t.ID) {
				continue
			}
			if parked(t) {
				// A parked long step whose job is gone (discarded, or lost
				// with a restored backup) would wait for ever: nothing is in
				// flight, so reconciliation may settle it.
				if gone, err := e.jobGone(ctx, t.OwnerJob); err != nil || !gone {
					continue
				}
				_, err := e.decideAndApply(ctx, t, OutcomeAmbiguous, Facts{Why: "the job of a long publishing step was lost"},
					change{owner: t.OwnerAttempt, detail: "watchdog: parked step without its job"})
				if err == nil {
					n++
				} else if !snsos.IsCode(err, snsos.ECONFLICT) {
					return n, err
				}
				continue
			}
			if t.OwnerAttempt == 0 && now.Sub(t.UpdatedAt) < e.lease() {
				continue
			}
			c := change{takeover: t.OwnerAttempt != 0, detail: "watchdog: the owner's lease ran out"}
			_, err := e.decideAndApply(ctx, t, OutcomeAmbiguous, Facts{Why: "publishing was interrupted before its outcome was recorded"}, c)
			if err == nil {
				n++
			} else if !snsos.IsCode(err, snsos.ECONFLICT) {
				return n, err
			}
			continue
		default:
			continue
		}
		res, err := e.cfg.Jobs.Insert(ctx, args, nil)
		if err != nil {
			return n, err
		}
		if !res.UniqueSkippedAsDuplicate {
			n++
			e.log.Warn("a lost job was queued again", "target_id", t.ID, "state", string(t.State), "kind", args.Kind())
		}
	}
	return n, nil
}
