package publish

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

type publishWorker struct {
	river.WorkerDefaults[PublishArgs]
	e *Engine
}

// Work publishes one target, or, when it finds the target already
// publishing (a crash, a rescued job), hands it to reconciliation. When its
// last attempt fails, the target is never left waiting in silence: see
// giveUp.
func (w *publishWorker) Work(ctx context.Context, job *river.Job[PublishArgs]) error {
	err := w.work(ctx, job)
	// The target was edited or rescheduled between reading it and moving it
	// to publishing: read it again (it may now be a draft, at another time,
	// or still due with new content). Returning nil instead would lose the
	// post: a job for the same time re-inserted by the edit was deduplicated
	// against this running one.
	for try := 0; try < 3 && errors.Is(err, errChangedMeanwhile); try++ {
		err = w.work(ctx, job)
	}
	w.e.giveUp(ctx, job.JobRow, job.Args.TargetID, err)
	return err
}

// errChangedMeanwhile aborts the move to publishing of a target that
// changed after the worker read it.
var errChangedMeanwhile = errors.New("publish: the target changed while the post was being prepared")

func (w *publishWorker) work(ctx context.Context, job *river.Job[PublishArgs]) error {
	e := w.e
	t, err := e.cfg.Store.FindTargetByID(ctx, job.Args.TargetID)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil // the post was deleted
	}
	if err != nil {
		return err
	}
	switch t.State {
	case snsos.StateScheduled:
		if !t.ScheduledAt.Equal(dbTime(job.Args.At)) {
			return nil // rescheduled: another job carries the new time
		}
	case snsos.StateRetryWait:
	case snsos.StatePublishing:
		// Someone started publishing and never finished: this process
		// crashed or the job was rescued. Never post again blindly.
		return e.toUnknown(ctx, t, "publishing was interrupted before its outcome was recorded", nil)
	case snsos.StateUnknown:
		_, err := e.cfg.Jobs.Insert(ctx, ReconcileArgs{TargetID: t.ID}, &river.InsertOpts{ScheduledAt: e.now().Add(e.cfg.ReconcileDelay)})
		return err
	default:
		return nil // published, failed, canceled, not scheduled: nothing to do
	}
	now := e.now()
	if t.State == snsos.StateScheduled && now.Before(t.ScheduledAt) {
		return river.JobSnooze(t.ScheduledAt.Sub(now))
	}
	if late := now.Sub(t.ScheduledAt); t.State == snsos.StateScheduled && late > e.cfg.LateGrace {
		return e.fail(ctx, t, snsos.StateScheduled, fmt.Sprintf("the scheduled time passed %s ago while sns-os was not running; it was held instead of posting late. Retry to post it now.", late.Round(time.Minute)), nil)
	}
	return e.publish(ctx, t)
}

// publish runs one attempt for a scheduled or retry_wait target.
func (e *Engine) publish(ctx context.Context, t *snsos.Target) error {
	from := t.State
	post, err := e.cfg.Store.FindPostByID(ctx, t.PostID)
	if err != nil {
		return err
	}
	acct, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
	if err != nil {
		return err
	}
	if acct.Status != snsos.AccountConnected {
		return e.fail(ctx, t, from, fmt.Sprintf("the %s account @%s needs to be connected again (%s)", acct.Platform.DisplayName(), acct.Handle, acct.Status), nil)
	}
	client, ok := e.cfg.Platforms[t.Platform]
	if !ok {
		return e.fail(ctx, t, from, fmt.Sprintf("%s is not configured in this sns-os (set its client id and secret)", t.Platform.DisplayName()), nil)
	}
	req, err := e.request(ctx, post, t)
	if err != nil {
		if snsos.ErrorCode(err) == snsos.EINTERNAL {
			return err
		}
		return e.fail(ctx, t, from, snsos.ErrorMessage(err), nil)
	}
	cred, err := e.cfg.Tokens.Credential(ctx, acct.ID)
	if err != nil {
		if errors.Is(err, platform.ErrAuth) || snsos.IsCode(err, snsos.ENOTFOUND) {
			reason := "the account's access was refused: " + message(err)
			if aerr := e.cfg.Tokens.AuthFailed(ctx, acct.ID, reason); aerr != nil {
				return aerr
			}
			return e.fail(ctx, t, from, reason, nil) // AuthFailed may have failed it already
		}
		return err // transient: River retries the job; the target stays as it is
	}

	// The point of no return is the platform call. Before it, the move to
	// publishing and the attempt row are committed together. The request
	// was built from what was read above; the state alone does not show an
	// edit or a reschedule since (an approved edit keeps the target
	// scheduled), so the move is refused when the target changed at all
	// (every edit of the post touches each of its targets).
	read := t
	changed := false
	attempt := &snsos.Attempt{Detail: fmt.Sprintf("publish %d part(s) to %s", len(req.Parts), t.Platform.DisplayName())}
	t, err = e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: from, To: snsos.StatePublishing,
		Attempt: attempt, Mutate: func(cur *snsos.Target) {
			changed = !cur.UpdatedAt.Equal(read.UpdatedAt) || !cur.ScheduledAt.Equal(read.ScheduledAt)
			cur.Error = ""
		},
		Hook: func(context.Context, *sql.Tx) error {
			if changed {
				return errChangedMeanwhile
			}
			return nil
		}})
	if snsos.IsCode(err, snsos.ECONFLICT) || snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil // another worker took it, or an edit removed it
	}
	if err != nil {
		return err
	}
	progress := platform.NewProgress(t.Progress, func(ctx context.Context, key, value string) error {
		return e.cfg.Store.SetTargetProgress(context.WithoutCancel(ctx), t.ID, key, value)
	})
	auth := platform.Auth{UserID: acct.RemoteID, Handle: acct.Handle, AccessToken: cred.AccessToken}
	res, perr := client.Publish(ctx, auth, req, progress)
	// Whatever happened, record it even if this job's context is over.
	ctx = context.WithoutCancel(ctx)
	if perr == nil {
		return e.published(ctx, t, attempt, res.RemoteID, res.URL, res.PublishedAt)
	}
	return e.afterFailure(ctx, t, attempt, acct, perr)
}

// afterFailure moves a publishing target according to the kind of error.
func (e *Engine) afterFailure(ctx context.Context, t *snsos.Target, a *snsos.Attempt, acct *snsos.Account, perr error) error {
	msg := message(perr)
	a.Error = msg
	switch {
	case errors.Is(perr, platform.ErrDuplicate):
		// The platform says this text is already posted: evidence, not a failure.
		return e.toUnknown(ctx, t, "the platform reports the same text as already posted: "+msg, a)
	case errors.Is(perr, platform.ErrOutcomeUnknown), errors.Is(perr, platform.ErrProgressNotSaved):
		return e.toUnknown(ctx, t, "the outcome of the call is unknown: "+msg, a)
	case errors.Is(perr, platform.ErrAuth):
		reason := "the platform refused the account's access: " + msg
		err := e.fail(ctx, t, snsos.StatePublishing, reason, a)
		if aerr := e.cfg.Tokens.AuthFailed(ctx, acct.ID, reason); aerr != nil && err == nil {
			err = aerr
		}
		return err
	case errors.Is(perr, platform.ErrRejected):
		return e.fail(ctx, t, snsos.StatePublishing, "the platform refused the post: "+msg, a)
	case errors.Is(perr, platform.ErrRateLimited), errors.Is(perr, platform.ErrTransient):
		if t.Attempts >= e.cfg.MaxAttempts {
			return e.fail(ctx, t, snsos.StatePublishing, fmt.Sprintf("gave up after %d attempts: %s", t.Attempts, msg), a)
		}
		at := dbTime(e.now().Add(e.cfg.Backoff(t.Attempts)))
		if r, ok := platform.RetryAt(perr); ok && r.After(at) {
			at = r
		}
		tid := t.ID
		_, err := e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: snsos.StatePublishing, To: snsos.StateRetryWait,
			Detail: "retry at " + at.Format(time.RFC3339), Finish: a,
			Mutate: func(t *snsos.Target) { t.Error = msg + " — retrying at " + at.Format(time.RFC3339) },
			Hook: func(ctx context.Context, tx *sql.Tx) error {
				_, err := e.cfg.Jobs.InsertTx(ctx, tx, PublishArgs{TargetID: tid, At: at}, &river.InsertOpts{ScheduledAt: at})
				return err
			}})
		return err
	default:
		// An error we cannot classify after a mutating call may have been
		// made: treat it as unknown, never as a failure to retry blindly.
		return e.toUnknown(ctx, t, "unexpected error: "+msg, a)
	}
}

// published records a publication and, in the same transaction, the
// metric checkpoint jobs and the end of attempt a (if any).
func (e *Engine) published(ctx context.Context, t *snsos.Target, a *snsos.Attempt, remoteID, url string, at time.Time) error {
	if at.IsZero() {
		at = e.now()
	}
	from := t.State
	if a != nil {
		a.Detail = "posted " + remoteID
	}
	_, err := e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: from, To: snsos.StatePublished, Detail: remoteID, Finish: a,
		Mutate: func(t *snsos.Target) { t.RemoteID, t.RemoteURL, t.PublishedAt, t.Error = remoteID, url, at.UTC(), "" },
		Hook: func(ctx context.Context, tx *sql.Tx) error {
			if e.cfg.OnPublished == nil {
				return nil
			}
			cp := *t
			cp.State, cp.RemoteID, cp.RemoteURL, cp.PublishedAt = snsos.StatePublished, remoteID, url, at.UTC()
			return e.cfg.OnPublished(ctx, tx, &cp)
		}})
	if err == nil {
		e.log.Info("published", "target_id", t.ID, "platform", string(t.Platform), "remote_id", remoteID)
	}
	return err
}

// toUnknown moves a publishing target to unknown and, in the same
// transaction, queues its reconciliation and finishes attempt a (if any).
func (e *Engine) toUnknown(ctx context.Context, t *snsos.Target, reason string, a *snsos.Attempt) error {
	tid := t.ID
	at := e.now().Add(e.cfg.ReconcileDelay)
	_, err := e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: snsos.StatePublishing, To: snsos.StateUnknown, Detail: reason, Finish: a,
		Mutate: func(t *snsos.Target) { t.Error = reason + " — checking the platform" },
		Hook: func(ctx context.Context, tx *sql.Tx) error {
			_, err := e.cfg.Jobs.InsertTx(ctx, tx, ReconcileArgs{TargetID: tid}, &river.InsertOpts{ScheduledAt: at})
			return err
		}})
	if snsos.IsCode(err, snsos.ECONFLICT) {
		return nil // already moved on
	}
	return err
}

// fail moves a target from state from to failed with a reason for people,
// finishing attempt a (if any) in the same transaction.
func (e *Engine) fail(ctx context.Context, t *snsos.Target, from snsos.TargetState, reason string, a *snsos.Attempt) error {
	_, err := e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: from, To: snsos.StateFailed, Detail: reason, Finish: a,
		Mutate: func(t *snsos.Target) { t.Error = reason }})
	if snsos.IsCode(err, snsos.ECONFLICT) {
		return nil
	}
	if err == nil {
		e.log.Warn("target failed", "target_id", t.ID, "platform", string(t.Platform), "reason", reason)
	}
	return err
}

// request builds the platform request for target t of post p.
func (e *Engine) request(ctx context.Context, p *snsos.Post, t *snsos.Target) (*platform.PublishRequest, error) {
	parts, err := Parts(p, t)
	if err != nil {
		return nil, err
	}
	req := &platform.PublishRequest{Options: t.Options}
	for i, text := range parts {
		req.Parts = append(req.Parts, platform.Part{Text: text})
		if i == 0 && len(p.MediaIDs) > 0 {
			if e.cfg.Media == nil {
				return nil, snsos.Errorf(snsos.EINVALID, "this sns-os has no media store configured")
			}
			for _, id := range p.MediaIDs {
				m, err := e.cfg.Media.PlatformMedia(ctx, id)
				if err != nil {
					if snsos.IsCode(err, snsos.ENOTFOUND) {
						return nil, snsos.Errorf(snsos.EINVALID, "media %d is missing from the media store", id)
					}
					return nil, err
				}
				m.AltText = p.MediaAlt[id] // the client sends it where the platform takes it
				req.Parts[0].Media = append(req.Parts[0].Media, m)
			}
		}
	}
	return req, nil
}

// giveUp runs after a publish or reconcile job returned err. When that was
// the job's last attempt, River discards the job, and a target still
// waiting for it would never move: a silently missed post. So the target is
// moved where the operator sees it — scheduled/retry_wait → failed (nothing
// went live), publishing → unknown (reconcile), unknown → needs_operator —
// with the error in its reason.
func (e *Engine) giveUp(ctx context.Context, job *rivertype.JobRow, targetID int64, err error) {
	var snooze *river.JobSnoozeError
	if err == nil || errors.As(err, &snooze) || job == nil || job.Attempt < job.MaxAttempts {
		return
	}
	ctx = context.WithoutCancel(ctx)
	t, ferr := e.cfg.Store.FindTargetByID(ctx, targetID)
	if ferr != nil {
		e.log.Error("give up on a target", "target_id", targetID, "err", ferr)
		return
	}
	reason := fmt.Sprintf("sns-os gave up after %d tries: %s", job.Attempt, message(err))
	switch t.State {
	case snsos.StateScheduled, snsos.StateRetryWait:
		ferr = e.fail(ctx, t, t.State, reason, nil)
	case snsos.StatePublishing:
		ferr = e.toUnknown(ctx, t, reason, nil)
	case snsos.StateUnknown:
		_, ferr = e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: snsos.StateUnknown, To: snsos.StateNeedsOperator,
			Detail: reason, Mutate: func(t *snsos.Target) {
				t.Error = reason + ". Check the account: if the post is there, mark it published; if not, schedule it again."
			}})
	}
	if ferr != nil && !snsos.IsCode(ferr, snsos.ECONFLICT) {
		e.log.Error("give up on a target", "target_id", targetID, "err", ferr)
	}
}

// message returns an error's text for people: the snsos message when there
// is one, else the error text (platform errors are already redacted).
func message(err error) string {
	var se *snsos.Error
	if errors.As(err, &se) && se.Message != "" {
		return se.Message
	}
	s := err.Error()
	return strings.TrimPrefix(s, "platform: ")
}
