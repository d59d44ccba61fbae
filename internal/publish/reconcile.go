package publish

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

type reconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	e *Engine
}

// Work settles a target whose outcome is unknown: it looks for each part
// not yet confirmed among the account's recent posts. A found part is
// recorded; when every part is found the target is published. When a part
// is proven absent, the target goes back to retry_wait and publishing
// resumes from that part. When the platform cannot be asked, it tries again
// later, and after ReconcileTries hands the target to the operator.
func (w *reconcileWorker) Work(ctx context.Context, job *river.Job[ReconcileArgs]) error {
	err := w.work(ctx, job)
	w.e.giveUp(ctx, job.JobRow, job.Args.TargetID, err)
	return err
}

func (w *reconcileWorker) work(ctx context.Context, job *river.Job[ReconcileArgs]) error {
	e := w.e
	t, err := e.cfg.Store.FindTargetByID(ctx, job.Args.TargetID)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.State != snsos.StateUnknown {
		return nil
	}
	decided, why, err := e.reconcile(ctx, t)
	if err != nil {
		return err
	}
	if decided {
		return nil
	}
	// Undecided: ask again later, then give the target to the operator.
	try := job.Args.Try + 1
	if try >= e.cfg.ReconcileTries {
		reason := fmt.Sprintf("sns-os could not find out whether the post went live (%s). Check the account: if the post is there, mark it published; if not, schedule it again.", why)
		_, err := e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: snsos.StateUnknown, To: snsos.StateNeedsOperator,
			Detail: why, Mutate: func(t *snsos.Target) { t.Error = reason }})
		if snsos.IsCode(err, snsos.ECONFLICT) {
			return nil
		}
		return err
	}
	at := e.now().Add(e.cfg.Backoff(try))
	_, err = e.cfg.Jobs.Insert(ctx, ReconcileArgs{TargetID: t.ID, Try: try}, &river.InsertOpts{ScheduledAt: at})
	return err
}

// reconcile returns decided=true when it moved the target on; otherwise why
// says what stopped it.
func (e *Engine) reconcile(ctx context.Context, t *snsos.Target) (decided bool, why string, err error) {
	post, err := e.cfg.Store.FindPostByID(ctx, t.PostID)
	if err != nil {
		return false, "", err
	}
	acct, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
	if err != nil {
		return false, "", err
	}
	client, _ := e.cfg.Platforms[t.Platform].(platform.Reconciler)
	if client == nil {
		return false, t.Platform.DisplayName() + " cannot be checked automatically", nil
	}
	parts, err := Parts(post, t)
	if err != nil {
		return false, snsos.ErrorMessage(err), nil
	}
	cred, err := e.cfg.Tokens.Credential(ctx, acct.ID)
	if err != nil {
		return false, "no usable token: " + message(err), nil
	}
	auth := platform.Auth{UserID: acct.RemoteID, Handle: acct.Handle, AccessToken: cred.AccessToken}
	since := t.UpdatedAt
	if atts, err := e.cfg.Store.ListAttempts(ctx, t.ID); err == nil && len(atts) > 0 {
		since = atts[0].StartedAt
	}
	since = since.Add(-time.Minute)

	progress := t.Progress
	firstURL := ""
	for n := 1; n <= len(parts); n++ {
		if id, ok := progress[platform.PartIDKey(n)]; ok && id != "" {
			continue
		}
		q := platform.PostQuery{Text: parts[n-1], Since: since}
		if n > 1 {
			q.InReplyTo = progress[platform.PartIDKey(n-1)]
		}
		found, err := client.FindPost(ctx, auth, q)
		switch {
		case errors.Is(err, platform.ErrNotFound):
			// Proof that part n is not live: publishing may resume from it.
			return true, "", e.resume(ctx, t, n)
		case err != nil:
			return false, message(err), nil
		}
		if err := e.cfg.Store.SetTargetProgress(ctx, t.ID, platform.PartIDKey(n), found.ID); err != nil {
			return false, "", err
		}
		if progress == nil {
			progress = map[string]string{}
		}
		progress[platform.PartIDKey(n)] = found.ID
		if n == 1 {
			firstURL = found.URL
		}
	}
	rootID := progress[platform.PartIDKey(1)]
	if firstURL == "" { // part 1 was confirmed earlier; look it up for its permalink
		if found, err := client.FindPost(ctx, auth, platform.PostQuery{Text: parts[0], Since: since}); err == nil && found.ID == rootID {
			firstURL = found.URL
		}
	}
	err = e.published(ctx, t, nil, rootID, firstURL, time.Time{})
	if snsos.IsCode(err, snsos.ECONFLICT) {
		return true, "", nil
	}
	return err == nil, "", err
}

// resume moves an unknown target whose part n is proven absent back to
// retry_wait and queues publishing, which skips the parts already posted.
func (e *Engine) resume(ctx context.Context, t *snsos.Target, n int) error {
	tid := t.ID
	at := dbTime(e.now())
	detail := "nothing went live"
	if n > 1 {
		detail = fmt.Sprintf("parts 1–%d are live, part %d is not", n-1, n)
	}
	_, err := e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: snsos.StateUnknown, To: snsos.StateRetryWait, Detail: detail,
		Mutate: func(t *snsos.Target) { t.Error = "checked the platform: " + detail + "; publishing again" },
		Hook: func(ctx context.Context, tx *sql.Tx) error {
			_, err := e.cfg.Jobs.InsertTx(ctx, tx, PublishArgs{TargetID: tid, At: at}, &river.InsertOpts{ScheduledAt: at})
			return err
		}})
	if snsos.IsCode(err, snsos.ECONFLICT) {
		return nil
	}
	return err
}

// Recover hands to reconciliation every target left publishing by a process
// that is gone: those whose last change is older than staleAfter. On SQLite
// a starting server holds the data dir lock, so no other process can be
// publishing and staleAfter is 0; on PostgreSQL it must exceed the job
// timeout, so a live process mid-call is never second-guessed.
func (e *Engine) Recover(ctx context.Context, staleAfter time.Duration) (int, error) {
	ts, err := e.cfg.Store.ListTargetsByState(ctx, snsos.StatePublishing)
	if err != nil {
		return 0, err
	}
	n := 0
	cutoff := e.now().Add(-staleAfter)
	for _, t := range ts {
		if t.UpdatedAt.After(cutoff) {
			continue
		}
		if err := e.toUnknown(ctx, t, "publishing was interrupted (sns-os stopped) before its outcome was recorded", nil); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		e.log.Warn("interrupted publications handed to reconciliation", "count", n)
	}
	return n, nil
}
