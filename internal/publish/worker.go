package publish

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/rules"
)

type publishWorker struct {
	river.WorkerDefaults[PublishArgs]
	e *Engine
}

// Work publishes one target. A stale job (its Seq is not the target's
// current one) does nothing. A job that finds the target already publishing
// never posts: the owner is running (it leaves it alone), or parked its
// long step under this very job (it resumes it), or is gone — then, once
// the owner's lease has run out, it hands the target to reconciliation.
// When its last attempt fails, the target is never left waiting in
// silence: see giveUp.
func (w *publishWorker) Work(ctx context.Context, job *river.Job[PublishArgs]) error {
	err := w.work(ctx, job)
	// The target was edited between reading it and moving it to
	// publishing: read it again (it may now be a draft, at another time, or
	// still due with new content).
	for try := 0; try < 3 && errors.Is(err, errChangedMeanwhile); try++ {
		err = w.work(ctx, job)
	}
	w.e.giveUp(ctx, job.JobRow, job.Args.TargetID, err)
	return err
}

// NextRetry bounds River's backoff for a publish job that failed before
// any platform call (no token yet, the database briefly away): a due post
// is tried again within a minute, not after River's long exponential
// waits, until the job's attempts run out and giveUp shows it.
func (w *publishWorker) NextRetry(job *river.Job[PublishArgs]) time.Time {
	return time.Now().Add(retryDelay(job.Attempt))
}

// retryDelay is 2^attempt seconds, at most a minute.
func retryDelay(attempt int) time.Duration {
	return min(time.Second<<min(attempt, 6), time.Minute)
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
	case snsos.StateScheduled, snsos.StateRetryWait:
		if !current(job.Args, t) {
			return nil // stale: a later write queued the target's current job
		}
	case snsos.StatePublishing:
		return e.inFlight(ctx, job.ID, t)
	default:
		return nil // published, failed, canceled, unknown (its reconcile job is queued), not scheduled
	}
	now := e.now()
	if at := dbTime(job.Args.At); now.Before(at) {
		return river.JobSnooze(at.Sub(now))
	}
	if late := now.Sub(t.ScheduledAt); t.State == snsos.StateScheduled && late > e.cfg.LateGrace {
		why := fmt.Sprintf("the scheduled time passed %s ago while sns-os was not running; it was held instead of posting late. Retry to post it now.", late.Round(time.Minute))
		return ignoreConflict(e.decideAndApply(ctx, t, OutcomeLate, Facts{Why: why}, change{}))
	}
	if t.Attempts-t.AttemptBase >= e.cfg.MaxAttempts {
		why := fmt.Sprintf("gave up after %d attempts (the attempt budget of a post)", t.Attempts)
		return ignoreConflict(e.decideAndApply(ctx, t, OutcomeGaveUp, Facts{Why: why, LiveParts: liveParts(t), Parts: partsOf(t)}, change{}))
	}
	return e.publish(ctx, job.ID, t)
}

// current reports whether job args a is the target's current publish job.
// Jobs queued before job numbers existed carry none: a scheduled target's
// is current while its time matches.
func current(a PublishArgs, t *snsos.Target) bool {
	if a.Seq != 0 || t.JobSeq != 0 {
		return a.Seq == t.JobSeq
	}
	return t.State != snsos.StateScheduled || t.ScheduledAt.Equal(dbTime(a.At))
}

// inFlight handles a target found publishing by a job or a recovery that
// is not, or may not be, its running owner.
func (e *Engine) inFlight(ctx context.Context, jobID int64, t *snsos.Target) error {
	if e.running(t.ID) {
		return nil // its owner is running in this process
	}
	if parked(t) { // a long step waits, nothing in flight
		if jobID != 0 && t.OwnerJob == jobID {
			return e.resume(ctx, jobID, t)
		}
		return nil // the owner's job resumes it
	}
	if t.OwnerAttempt == 0 {
		// Moved to publishing by an earlier version, which kept no lease:
		// its attempt is over once a lease would have run out since then.
		if wait := t.UpdatedAt.Add(e.lease()).Sub(e.now()); wait > 0 {
			return river.JobSnooze(wait + time.Second)
		}
		_, err := e.decideAndApply(ctx, t, OutcomeAmbiguous, Facts{Why: "publishing was interrupted before its outcome was recorded"},
			change{detail: "interrupted before this version"})
		return ignoreConflict(nil, err)
	}
	dbNow, err := e.cfg.Store.DBNow(ctx)
	if err != nil {
		return err
	}
	if !t.LeaseUntil.Before(dbNow) {
		// Another process may be mid-call: wait until its lease runs out.
		return river.JobSnooze(t.LeaseUntil.Sub(dbNow) + time.Second)
	}
	_, err = e.decideAndApply(ctx, t, OutcomeAmbiguous, Facts{Why: "publishing was interrupted before its outcome was recorded"},
		change{takeover: true, detail: "owner's lease ran out"})
	return ignoreConflict(nil, err)
}

// publish runs one attempt for a scheduled or retry_wait target.
func (e *Engine) publish(ctx context.Context, jobID int64, t *snsos.Target) error {
	post, err := e.cfg.Store.FindPostByID(ctx, t.PostID)
	if err != nil {
		return err
	}
	acct, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
	if err != nil {
		return err
	}
	facts := Facts{LiveParts: liveParts(t), Parts: partsOf(t)}
	if ps, err := Parts(post, t); err == nil {
		facts.Parts = len(ps)
	}
	refuse := func(o Outcome, why string) error {
		facts.Why = why
		return ignoreConflict(e.decideAndApply(ctx, t, o, facts, change{}))
	}
	if acct.Status != snsos.AccountConnected {
		return refuse(OutcomeAuth, fmt.Sprintf("the %s account @%s needs to be connected again (%s)", acct.Platform.DisplayName(), acct.Handle, acct.Status))
	}
	client, ok := e.cfg.Platforms[t.Platform]
	if !ok {
		return refuse(OutcomeRejected, fmt.Sprintf("%s is not configured in this sns-os (set its client id and secret)", t.Platform.DisplayName()))
	}
	req, err := e.request(ctx, post, t, acct)
	if err != nil {
		if snsos.ErrorCode(err) == snsos.EINTERNAL {
			return err
		}
		return refuse(OutcomeRejected, snsos.ErrorMessage(err))
	}
	cred, err := e.cfg.Tokens.Credential(ctx, acct.ID)
	if err != nil {
		if errors.Is(err, platform.ErrAuth) || snsos.IsCode(err, snsos.ENOTFOUND) {
			reason := "the account's access was refused: " + message(err)
			if aerr := e.cfg.Tokens.AuthFailed(ctx, acct.ID, reason); aerr != nil {
				return aerr
			}
			t, err = e.cfg.Store.FindTargetByID(ctx, t.ID) // AuthFailed may have settled it already
			if err != nil || t.State != snsos.StateScheduled && t.State != snsos.StateRetryWait {
				return err
			}
			return refuse(OutcomeAuth, reason)
		}
		return err // transient: River retries the job; the target stays as it is
	}
	auth := platform.Auth{UserID: acct.RemoteID, Handle: acct.Handle, AccessToken: cred.AccessToken}
	if why := e.quotaUsedUp(ctx, client, acct, auth); why != "" {
		// Over the platform's cap: wait for the window instead of a
		// refusal; nothing is sent and no attempt is spent.
		facts.Why = why
		return ignoreConflict(e.decideAndApply(ctx, t, OutcomeQuotaExhausted, facts, change{detail: "publishing quota used up"}))
	}
	return e.start(ctx, jobID, t, acct, client, req, cred.AccessToken)
}

// start moves target t (scheduled or retry_wait, as read) to publishing
// under a new attempt and makes the platform call.
//
// The point of no return is the platform call. Before it, the move to
// publishing, the attempt row and its ownership (with a lease on the
// database's clock) are committed together. This process notes the target
// as its own first, so its other jobs never mistake the running attempt for
// an interrupted one. The move is refused when the target changed at all
// since it was read (an approved edit keeps it scheduled): the request was
// built from what was read.
func (e *Engine) start(ctx context.Context, jobID int64, t *snsos.Target, acct *snsos.Account,
	client platform.Platform, req *platform.PublishRequest, token snsos.Secret) error {
	e.claim(t.ID)
	defer e.release(t.ID)
	read := t
	changed := false
	attempt := &snsos.Attempt{Detail: fmt.Sprintf("publish %d part(s) to %s", len(req.Parts), t.Platform.DisplayName())}
	t, err := e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: t.State, To: snsos.StatePublishing,
		Attempt: attempt, Lease: e.lease(), Job: jobID, Mutate: func(cur *snsos.Target) {
			changed = !cur.UpdatedAt.Equal(read.UpdatedAt) || !cur.ScheduledAt.Equal(read.ScheduledAt) || cur.JobSeq != read.JobSeq
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
	return e.call(ctx, jobID, t, attempt, acct, client, req, token)
}

// resume continues an attempt whose long step was parked under job jobID.
func (e *Engine) resume(ctx context.Context, jobID int64, t *snsos.Target) error {
	post, err := e.cfg.Store.FindPostByID(ctx, t.PostID)
	if err != nil {
		return err
	}
	acct, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
	if err != nil {
		return err
	}
	client, ok := e.cfg.Platforms[t.Platform]
	if !ok {
		return fmt.Errorf("publish: %s is not configured; the parked attempt of target %d cannot resume", t.Platform, t.ID)
	}
	req, err := e.request(ctx, post, t, acct)
	if err != nil && snsos.ErrorCode(err) != snsos.EINTERNAL {
		// The request can no longer be built (its media is gone): no retry
		// of this job would resume the step, so reconciliation settles it.
		_, err := e.decideAndApply(ctx, t, OutcomeAmbiguous,
			Facts{Why: "a waiting publishing step could not go on: " + snsos.ErrorMessage(err)},
			change{owner: t.OwnerAttempt, detail: "parked step: request not built"})
		return ignoreConflict(nil, err)
	}
	if err != nil {
		return err
	}
	cred, err := e.cfg.Tokens.Credential(ctx, acct.ID)
	if errors.Is(err, platform.ErrAuth) || snsos.IsCode(err, snsos.ENOTFOUND) {
		// The account lost its access while the step waited (revoked,
		// refused refresh, disconnected): no retry of this job can resume
		// it, and what the platform did with the step (a TikTok upload
		// goes live on its own) is unknown, so reconciliation settles it.
		// Nothing is in flight: the step is parked.
		_, err := e.decideAndApply(ctx, t, OutcomeAmbiguous,
			Facts{Why: "the account's access was refused while a publishing step waited: " + message(err)},
			change{owner: t.OwnerAttempt, detail: "parked step: no usable token"})
		return ignoreConflict(nil, err)
	}
	if err != nil {
		return err // transient: River retries; the attempt stays parked and owned
	}
	e.claim(t.ID)
	defer e.release(t.ID)
	if err := e.cfg.Store.SetTargetLease(ctx, t.ID, t.OwnerAttempt, jobID, e.lease()); err != nil {
		return ignoreConflict(nil, err)
	}
	return e.call(ctx, jobID, t, &snsos.Attempt{ID: t.OwnerAttempt, TargetID: t.ID}, acct, client, req, cred.AccessToken)
}

// call makes the platform call of attempt a, which owns t, and records its
// outcome as that owner.
func (e *Engine) call(ctx context.Context, jobID int64, t *snsos.Target, a *snsos.Attempt, acct *snsos.Account,
	client platform.Platform, req *platform.PublishRequest, token snsos.Secret) error {
	owner := a.ID
	progress := platform.NewProgress(t.Progress, func(ctx context.Context, key, value string) error {
		return e.cfg.Store.SetTargetProgress(context.WithoutCancel(ctx), t.ID, owner, key, value)
	})
	auth := platform.Auth{UserID: acct.RemoteID, Handle: acct.Handle, AccessToken: token}
	res, perr := e.linksAnswer(ctx, client, t, req)
	if perr == nil {
		res, perr = client.Publish(ctx, auth, req, progress)
	}
	// Whatever happened, record it even if this job's context is over.
	ctx = context.WithoutCancel(ctx)
	if d, ok := platform.ContinueAfter(perr); ok {
		// A long step: nothing in flight. Park the lease; this job resumes.
		if err := e.cfg.Store.SetTargetLease(ctx, t.ID, owner, jobID, 0); err != nil {
			return err
		}
		return river.JobSnooze(d)
	}
	cur := *t
	cur.Progress = progress.Values()
	facts := Facts{Attempts: t.Attempts, LiveParts: liveParts(&cur), Parts: len(req.Parts)}
	c := change{owner: owner, finish: a}
	if perr == nil {
		a.Detail = "posted " + res.RemoteID
		link := res.URL
		if res.Inbox {
			// In the account's TikTok inbox: the operator finishes the post
			// in the app; the upload's id has no public link.
			a.Detail, link = "sent to the account's inbox as "+res.RemoteID, ""
		}
		c.detail = res.RemoteID
		c.mutate = func(t *snsos.Target) {
			t.RemoteID, t.RemoteURL, t.PublishedAt = res.RemoteID, link, dbTime(res.PublishedAt)
		}
		_, err := e.decideAndApply(ctx, t, OutcomePublished, facts, c)
		return ignoreConflict(nil, err)
	}
	msg := message(perr)
	a.Error = msg
	facts.Why = msg
	var o Outcome
	switch {
	case errors.Is(perr, platform.ErrDuplicate):
		o, facts.Why = OutcomeDuplicate, "the platform reports the same text as already posted: "+msg
		c.mutate = func(t *snsos.Target) { t.DuplicateAt = e.now() }
	case errors.Is(perr, platform.ErrOutcomeUnknown), errors.Is(perr, platform.ErrProgressNotSaved):
		o, facts.Why = OutcomeAmbiguous, "the outcome of the call is unknown: "+msg
	case errors.Is(perr, platform.ErrAuth):
		o, facts.Why = OutcomeAuth, "the platform refused the account's access: "+msg
	case errors.Is(perr, platform.ErrRejected):
		o, facts.Why = OutcomeRejected, "the platform refused the post: "+msg
	case errors.Is(perr, platform.ErrRateLimited), errors.Is(perr, platform.ErrTransient):
		o = OutcomeTransient
		if r, ok := platform.RetryAt(perr); ok {
			facts.RetryAt = r
		}
	default:
		// An error we cannot classify after a mutating call may have been
		// made: treat it as unknown, never as a failure to retry blindly.
		o, facts.Why = OutcomeAmbiguous, "unexpected error: "+msg
	}
	var authErr error
	if o == OutcomeAuth {
		// The token service tries a refresh first: a refusal it cures is
		// not the end of the target (design.md §5).
		authErr = e.cfg.Tokens.AuthFailed(ctx, acct.ID, facts.Why)
		switch {
		case t.Platform == snsos.PlatformTikTok && tiktokStarted(cur.Progress):
			// Refused after TikTok took the post's init: TikTok may
			// publish it on its own, so this is no proof that nothing went
			// out. Reconciliation reads TikTok's status (or, without a
			// token, asks the operator).
			o, facts.Why = OutcomeAmbiguous, "the platform refused the account's access after TikTok took the post: "+msg
		case authErr == nil && e.stillConnected(ctx, acct.ID):
			// The refused call was the one that posts, or one before it:
			// nothing went out, and the renewed token makes this a failed
			// try like any other.
			o, facts.Why = OutcomeTransient, "the platform refused the access token, which a refresh renewed: "+msg
		}
	}
	_, err := e.decideAndApply(ctx, t, o, facts, c)
	if err == nil {
		err = authErr
	}
	return ignoreConflict(nil, err)
}

// stillConnected reports whether account id is connected as stored now.
func (e *Engine) stillConnected(ctx context.Context, id int64) bool {
	a, err := e.cfg.Store.FindAccountByID(ctx, id)
	return err == nil && a.Status == snsos.AccountConnected
}

// request builds the platform request for target t of post p: the text of
// each part, the target's own media (Post.MediaFor) on the first part, and
// its options with, on platforms that have one, the media type resolved
// (rules.MediaType: the operator's choice, else the one the media make) in
// Options["media_type"], so the client never guesses. The resolved type is
// the first part's; later parts of a thread carry no media. A TikTok
// request also carries the post mode of account a (tiktokOptions).
func (e *Engine) request(ctx context.Context, p *snsos.Post, t *snsos.Target, a *snsos.Account) (*platform.PublishRequest, error) {
	parts, err := Parts(p, t)
	if err != nil {
		return nil, err
	}
	media, err := e.platformMedia(ctx, p, t)
	if err != nil {
		return nil, err
	}
	refs := make([]snsos.MediaRef, len(media))
	for i, m := range media {
		refs[i] = snsos.MediaRef{Mime: m.MIME, Size: m.Size}
	}
	mediaType, err := rules.MediaType(t.Platform, t.Options, refs)
	if err != nil {
		return nil, snsos.Errorf(snsos.EINVALID, "%s", joinMessages(err))
	}
	req := &platform.PublishRequest{Options: maps.Clone(t.Options)}
	if mediaType != "" {
		if req.Options == nil {
			req.Options = map[string]any{}
		}
		req.Options[rules.OptMediaType] = mediaType
	}
	if err := e.tiktokOptions(ctx, p, t, a, req); err != nil {
		return nil, err
	}
	for i, text := range parts {
		req.Parts = append(req.Parts, platform.Part{Text: text})
		if i == 0 {
			req.Parts[0].Media = media
		}
	}
	return req, nil
}

// platformMedia returns the media target t of post p publishes, in its
// order, with their alt texts.
func (e *Engine) platformMedia(ctx context.Context, p *snsos.Post, t *snsos.Target) ([]platform.Media, error) {
	ids := p.MediaFor(t)
	if len(ids) == 0 {
		return nil, nil
	}
	if e.cfg.Media == nil {
		return nil, snsos.Errorf(snsos.EINVALID, "this sns-os has no media store configured")
	}
	out := make([]platform.Media, 0, len(ids))
	for _, id := range ids {
		m, err := e.cfg.Media.PlatformMedia(ctx, id)
		if err != nil {
			if snsos.IsCode(err, snsos.ENOTFOUND) {
				return nil, snsos.Errorf(snsos.EINVALID, "media %d is missing from the media store", id)
			}
			return nil, err
		}
		m.AltText = p.MediaAlt[id] // the client sends it where the platform takes it
		out = append(out, m)
	}
	return out, nil
}

// joinMessages returns the messages of the field errors err wraps, joined,
// else its message.
func joinMessages(err error) string {
	v := fieldErrors(err)
	if len(v) == 0 {
		return snsos.ErrorMessage(err)
	}
	msgs := make([]string, len(v))
	for i, fe := range v {
		msgs[i] = fe.Message
	}
	return strings.Join(msgs, " ")
}

// giveUp runs after a publish or reconcile job returned err. When that was
// the job's last attempt, River discards the job, and a target still
// waiting for it would never move: a silently missed post. So the target is
// moved where the operator sees it (Decide with OutcomeGaveUp), the error in
// its reason. A publishing target is only moved by its owner's job, or,
// once the owner's lease ran out, by anyone; otherwise a takeover check is
// queued for when the lease ends.
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
	why := fmt.Sprintf("sns-os gave up after %d tries: %s", job.Attempt, message(err))
	c := change{}
	switch t.State {
	case snsos.StateScheduled, snsos.StateRetryWait:
		var a PublishArgs
		if job.Kind == (PublishArgs{}).Kind() && json.Unmarshal(job.EncodedArgs, &a) == nil && !current(a, t) {
			return // a stale job: the target's current job carries on
		}
	case snsos.StateUnknown:
	case snsos.StatePublishing:
		switch {
		case e.running(t.ID):
			return
		case t.OwnerJob == job.ID:
			c.owner = t.OwnerAttempt // this job's own attempt, which has returned
		default:
			if parked(t) {
				return // its owner's job resumes it
			}
			at := t.LeaseUntil
			if at.IsZero() { // an attempt of an earlier version
				at = t.UpdatedAt.Add(e.lease())
			}
			if _, ierr := e.cfg.Jobs.Insert(ctx, ReconcileArgs{TargetID: t.ID, At: dbTime(at)}, &river.InsertOpts{ScheduledAt: at}); ierr != nil {
				e.log.Error("give up on a target", "target_id", targetID, "err", ierr)
			}
			return
		}
	default:
		return
	}
	_, ferr = e.decideAndApply(ctx, t, OutcomeGaveUp, Facts{Why: why, LiveParts: liveParts(t), Parts: partsOf(t)}, c)
	if ferr != nil && !snsos.IsCode(ferr, snsos.ECONFLICT) {
		e.log.Error("give up on a target", "target_id", targetID, "err", ferr)
	}
}

// parked reports whether t's owner parked a long step (no lease: nothing
// in flight, its job snoozed).
func parked(t *snsos.Target) bool { return t.OwnerAttempt != 0 && t.LeaseUntil.IsZero() }

// ignoreConflict drops ECONFLICT (someone else moved the target first:
// their write stands) and returns any other error.
func ignoreConflict(_ *snsos.Target, err error) error {
	if snsos.IsCode(err, snsos.ECONFLICT) {
		return nil
	}
	return err
}

// liveParts counts the leading parts of t recorded live in its progress.
func liveParts(t *snsos.Target) int {
	n := 0
	for t.Progress[platform.PartIDKey(n+1)] != "" {
		n++
	}
	return n
}

// partsOf is the number of parts of t when its post is not at hand: the
// "parts" option's length, else 1.
func partsOf(t *snsos.Target) int {
	if l, ok := t.Options["parts"].([]any); ok && len(l) > 0 {
		return len(l)
	}
	return 1
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

// linksAnswer checks, for a platform that fetches the media, that every
// link answers before a fresh attempt calls it (a resumed one has made its
// containers already: their state, not the links, decides). A link that
// does not answer is a transient failure of this attempt — nothing was
// sent — so a brief outage of sns-os's public address is retried with
// backoff, and an address that stays unreachable fails the target once the
// attempt budget is spent, with the reason.
func (e *Engine) linksAnswer(ctx context.Context, client platform.Platform, t *snsos.Target, req *platform.PublishRequest) (*platform.Published, error) {
	if len(t.Progress) > 0 {
		return nil, nil
	}
	problem, err := e.checkMediaLinks(ctx, client, req.Parts)
	if err != nil { // the job is ending; nothing was sent
		return nil, &platform.Error{Kind: platform.KindTransient, Platform: t.Platform, Op: "check media links", Reason: "stopped before the call", Err: err}
	}
	if problem != "" {
		return nil, &platform.Error{Kind: platform.KindTransient, Platform: t.Platform, Op: "check media links", Reason: problem}
	}
	return nil, nil
}
