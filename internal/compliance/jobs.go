package compliance

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
)

// PurgeArgs is the job that purges one confirmed deletion request.
type PurgeArgs struct {
	RequestID int64 `json:"request_id"`
}

// Kind implements river.JobArgs.
func (PurgeArgs) Kind() string { return "deletion_purge" }

// InsertOpts keeps one unfinished purge job per request, so the scan and
// the callback cannot queue two.
func (PurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 20,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		}},
	}
}

// busyWait is how long a purge waits for a target being published.
const busyWait = time.Minute

// PurgeWorker works PurgeArgs.
type PurgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	s *Service
}

// Work purges the request. While one of its targets is being published the
// job waits (snoozes) for it; a request that no longer exists ends it;
// other failures are retried by River.
func (w *PurgeWorker) Work(ctx context.Context, job *river.Job[PurgeArgs]) error {
	err := w.s.Purge(ctx, job.Args.RequestID)
	switch {
	case err == nil:
		return nil
	case snsos.IsCode(err, snsos.ENOTFOUND):
		return river.JobCancel(err)
	case snsos.IsCode(err, snsos.ECONFLICT):
		w.s.log.Info("purge waits", "request_id", job.Args.RequestID, "reason", snsos.ErrorMessage(err))
		return river.JobSnooze(busyWait)
	}
	w.s.log.Error("purge failed; it is retried", "request_id", job.Args.RequestID, "err", err)
	return err
}

// ScanInterval is how often the scan makes sure every due purge is queued.
const ScanInterval = time.Hour

// ScanArgs is the periodic job that queues the purge of every confirmed
// request past its due time (a purge job lost or never queued is queued
// again) and forgets the signed requests too old to be replayed.
type ScanArgs struct{}

// Kind implements river.JobArgs.
func (ScanArgs) Kind() string { return "deletion_scan" }

// InsertOpts keeps at most one scan per interval.
func (ScanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: ScanInterval}}
}

// ScanWorker works ScanArgs.
type ScanWorker struct {
	river.WorkerDefaults[ScanArgs]
	s *Service
}

// Work runs one scan.
func (w *ScanWorker) Work(ctx context.Context, job *river.Job[ScanArgs]) error {
	_, err := w.s.Scan(ctx)
	return err
}

// Register adds the purge and scan workers to workers and returns the
// periodic job that runs the scan every ScanInterval (and once at start).
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &PurgeWorker{s: s})
	river.AddWorker(workers, &ScanWorker{s: s})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(ScanInterval),
		func() (river.JobArgs, *river.InsertOpts) { return ScanArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}

// Scan queues the purge of every confirmed request past its due time and
// prunes the signed requests seen longer ago than a replay could be
// accepted; it returns how many purges it queued (duplicates of queued
// jobs are not counted).
func (s *Service) Scan(ctx context.Context) (int, error) {
	now := s.now()
	if n, err := s.cfg.Store.PruneSignedRequests(ctx, now.Add(-s.cfg.MaxAge-FutureSkew)); err != nil {
		s.log.Warn("old signed requests not pruned", "err", err)
	} else if n > 0 {
		s.log.Debug("old signed requests pruned", "count", n)
	}
	if s.cfg.Jobs == nil {
		return 0, errors.New("compliance: no job inserter configured")
	}
	due, err := s.cfg.Store.ListDueDeletionRequests(ctx, now)
	if err != nil {
		return 0, err
	}
	queued := 0
	var errs []error
	for _, d := range due {
		res, err := s.cfg.Jobs.Insert(ctx, PurgeArgs{RequestID: d.ID}, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !res.UniqueSkippedAsDuplicate {
			queued++
		}
	}
	if queued > 0 {
		s.log.Info("purges queued", "count", queued)
	}
	return queued, errors.Join(errs...)
}
