package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
)

// ScanInterval is how often the periodic scan looks for tokens to refresh.
const ScanInterval = 5 * time.Minute

// RefreshArgs is the job that refreshes one account's token if it is due.
type RefreshArgs struct {
	AccountID int64 `json:"account_id"`
}

// Kind implements river.JobArgs.
func (RefreshArgs) Kind() string { return "token_refresh" }

// InsertOpts makes the job unique per account among jobs not yet finished,
// so two processes (or two scans) cannot queue two refreshes of one account.
func (RefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 5,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		}},
	}
}

// RefreshWorker works RefreshArgs through the same path as Credential.
type RefreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	s *Service
}

// Work refreshes the account's token if it is due. An account that needs
// reconnecting (or no longer exists) ends the job without retries; other
// failures are retried by River.
func (w *RefreshWorker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
	_, err := w.s.Credential(ctx, job.Args.AccountID)
	switch {
	case err == nil:
		return nil
	case NeedsReconnect(err), snsos.IsCode(err, snsos.ENOTFOUND):
		w.s.log.Info("token refresh skipped", "account_id", job.Args.AccountID, "reason", snsos.ErrorMessage(err))
		return river.JobCancel(err)
	}
	return err
}

// RefreshScanArgs is the periodic job that queues a RefreshArgs for every
// account whose token is due, and prunes expired authorization requests.
type RefreshScanArgs struct{}

// Kind implements river.JobArgs.
func (RefreshScanArgs) Kind() string { return "token_refresh_scan" }

// InsertOpts keeps at most one scan per interval.
func (RefreshScanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: ScanInterval}}
}

// RefreshScanWorker works RefreshScanArgs.
type RefreshScanWorker struct {
	river.WorkerDefaults[RefreshScanArgs]
	s *Service
}

// Work runs one scan.
func (w *RefreshScanWorker) Work(ctx context.Context, job *river.Job[RefreshScanArgs]) error {
	_, err := w.s.scan(ctx)
	return err
}

// Register adds the refresh and scan workers to workers and returns the
// periodic job that runs the scan every ScanInterval (and once at start).
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &RefreshWorker{s: s})
	river.AddWorker(workers, &RefreshScanWorker{s: s})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(ScanInterval),
		func() (river.JobArgs, *river.InsertOpts) { return RefreshScanArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}

// scan prunes expired authorization requests and queues a refresh of each
// connected account whose token is due; it returns how many jobs it
// inserted (duplicates of queued jobs are not counted).
func (s *Service) scan(ctx context.Context) (int, error) {
	now := s.now()
	if n, err := s.store.DeleteOAuthStatesBefore(ctx, now); err != nil {
		s.log.Warn("expired authorization requests not pruned", "err", err)
	} else if n > 0 {
		s.log.Debug("expired authorization requests pruned", "count", n)
	}
	s.saveUnsaved(ctx) // refreshed pairs the database refused until now
	ins := s.inserter()
	if ins == nil {
		return 0, errors.New("tokens: no job inserter configured")
	}
	metas, err := s.store.ListCredentialsExpiringBefore(ctx, now.Add(maxMargin()))
	if err != nil {
		return 0, err
	}
	inserted := 0
	var errs []error
	for _, m := range metas {
		a, err := s.store.FindAccountByID(ctx, m.AccountID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if a.Status != snsos.AccountConnected || !policyOf(a.Platform).due(m.ExpiresAt, m.IssuedAt, now) {
			continue
		}
		res, err := ins.Insert(ctx, RefreshArgs{AccountID: a.ID}, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !res.UniqueSkippedAsDuplicate {
			inserted++
		}
	}
	if inserted > 0 {
		s.log.Info("token refreshes queued", "count", inserted)
	}
	return inserted, errors.Join(errs...)
}
