package collect

// A video sent to the account's TikTok inbox is published for sns-os the
// moment TikTok has it, recorded under the upload's id (its publish_id).
// The operator finishes it in the TikTok app, and only then, if they post
// it publicly, does it get a public video id — and metrics. So the
// checkpoints of such a post wait for that id instead of reporting a
// private post: each checkpoint job asks TikTok where the upload stands
// (the client's FindPost with the target's progress, which reads
// status/fetch) every InboxRetry. When a public id appears, the job records
// it on the target, with the time it was seen as the publication time, and
// schedules every checkpoint again from then (new jobs whose Base is the
// new time, in the same transaction); the jobs counted from the upload
// find their Base stale and end. While none appears, the jobs keep asking
// until the last checkpoint's offset after the upload; then each stores an
// "unavailable" snapshot saying the video stayed in the inbox. A job that
// cannot ask (the account must be reconnected for a while, TikTok refuses
// the call) asks again later too, until the same deadline: before it, a
// job stores nothing, since a snapshot is one per checkpoint name and the
// jobs counted from the public time would find theirs already taken.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// pendingReader is a client some of whose published posts wait for a
// public id (TikTok's inbox uploads): FindPost, asked with the post's
// progress, returns the public post once there is one.
type pendingReader interface {
	platform.Reconciler
	AwaitsPublicPost(progress map[string]string, remoteID string) bool
}

// awaitPublic takes checkpoint name of target t while t waits for a
// public id: it records the id when one has appeared (the checkpoints
// start again from now), or snoozes the job — also when the platform
// could not say, or the account must be reconnected — or, past the last
// checkpoint's offset, stores an "unavailable" snapshot. waiting is false
// for a post that waits for nothing: the checkpoint goes on as usual.
func (c *Collector) awaitPublic(ctx context.Context, t *snsos.Target, name snsos.Checkpoint, log *slog.Logger) (waiting bool, err error) {
	pr, ok := c.platforms[t.Platform].(pendingReader)
	if !ok || !pr.AwaitsPublicPost(t.Progress, t.RemoteID) {
		return false, nil
	}
	got, prob, err := c.publicPost(ctx, pr, t)
	if err != nil {
		return true, err
	}
	if got != nil {
		log.InfoContext(ctx, "inbox upload posted publicly; checkpoints counted from now", "remote_id", got.RemoteID)
		return true, nil // this job counts from the upload: the new jobs take the snapshots
	}
	now := c.now()
	last := c.lastOffset()
	deadline := t.PublishedAt.Add(last)
	if prob != nil && prob.kind != notReady {
		if prob.authFailed {
			if err := c.tokens.AuthFailed(ctx, t.AccountID, prob.reason); err != nil {
				return true, fmt.Errorf("collect: report refused credentials of account %d: %w", t.AccountID, err)
			}
		}
		if now.Before(deadline) {
			// A snapshot stored now would take the checkpoint's name from
			// the job that counts from the public time, should the video
			// go public later: the problem (an account to reconnect for a
			// while, a refused call) is asked about again, as the waiting
			// is, until the same deadline.
			wait := max(min(c.inboxRetry, deadline.Sub(now)), time.Second)
			log.WarnContext(ctx, "the inbox upload's status could not be read; checkpoint snoozed", "problem", prob.reason, "wait", wait)
			return true, river.JobSnooze(wait)
		}
		log.WarnContext(ctx, "metric checkpoint unavailable: the inbox upload's status could not be read", "problem", prob.reason)
		return true, c.put(ctx, unavailable(t.ID, name, now, prob.reason))
	}
	if !now.Before(deadline) {
		log.InfoContext(ctx, "inbox upload never posted publicly; checkpoint unavailable")
		return true, c.put(ctx, unavailable(t.ID, name, now, inboxReason(t.Platform, last)))
	}
	wait := c.inboxRetry
	if prob != nil && !prob.retryAt.IsZero() {
		wait = max(wait, prob.retryAt.Sub(now))
	}
	wait = max(min(wait, deadline.Sub(now)), time.Second)
	log.InfoContext(ctx, "post waits in the inbox; checkpoint snoozed", "wait", wait)
	return true, river.JobSnooze(wait)
}

// refreshPublic is RefreshNow's look at a post that waits for a public
// id: the target with the id recorded once it has one (its checkpoints
// start again from now), a snsos error saying it still waits otherwise.
// Any other target comes back as it is.
func (c *Collector) refreshPublic(ctx context.Context, t *snsos.Target) (*snsos.Target, error) {
	pr, ok := c.platforms[t.Platform].(pendingReader)
	if !ok || !pr.AwaitsPublicPost(t.Progress, t.RemoteID) {
		return t, nil
	}
	got, prob, err := c.publicPost(ctx, pr, t)
	switch {
	case err != nil:
		return nil, err
	case got != nil:
		return got, nil
	case prob != nil:
		if prob.authFailed {
			if err := c.tokens.AuthFailed(ctx, t.AccountID, prob.reason); err != nil {
				c.log.ErrorContext(ctx, "reporting refused credentials failed", "account_id", t.AccountID, "error", err)
			}
		}
		return nil, snsos.WrapError(prob.code, prob.err, prob.reason)
	}
	pl := t.Platform.DisplayName()
	return nil, snsos.Errorf(snsos.ECONFLICT, "the video waits in the %s inbox: post it from the %s app, and its metrics start "+
		"once it is public", pl, pl)
}

// publicPost asks the platform whether target t, which waits for a public
// id, has one now, and records it (see RecordPublicPost) with every
// checkpoint scheduled again from now. It returns the target as recorded
// (by this call or by another job first), nil while there is no public id,
// or a *problem when the platform could not say.
func (c *Collector) publicPost(ctx context.Context, pr pendingReader, t *snsos.Target) (*snsos.Target, *problem, error) {
	auth, reconnect, prob, err := c.auth(ctx, t)
	if prob != nil || err != nil {
		return nil, prob, err
	}
	found, err := pr.FindPost(ctx, auth, platform.PostQuery{Part: 1, Progress: t.Progress, Since: t.PublishedAt})
	switch {
	case errors.Is(err, platform.ErrNotFound):
		return nil, nil, nil // nothing says it went public
	case err != nil:
		if prob := platformProblem(err, t.Platform.DisplayName(), reconnect); prob != nil {
			return nil, prob, nil
		}
		return nil, nil, fmt.Errorf("collect: read the status of target %d: %w", t.ID, err)
	case found == nil || found.ID == "" || found.ID == t.RemoteID || pr.AwaitsPublicPost(t.Progress, found.ID):
		return nil, nil, nil
	}
	now := c.now()
	got, err := c.store.RecordPublicPost(ctx, t.ID, t.RemoteID, found.ID, found.URL, now, func(ctx context.Context, tx *sql.Tx) error {
		return c.insertCheckpoints(ctx, tx, t.ID, now, now.Unix())
	})
	if snsos.IsCode(err, snsos.ECONFLICT) {
		if cur, ferr := c.store.FindTargetByID(ctx, t.ID); ferr == nil && cur.RemoteID != t.RemoteID {
			return cur, nil, nil // another job recorded it first
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("collect: record the public id of target %d: %w", t.ID, err)
	}
	return got, nil, nil
}

// lastOffset is the offset of the last checkpoint: how long after an
// inbox upload its checkpoints wait for a public id.
func (c *Collector) lastOffset() time.Duration {
	var last time.Duration
	for _, cp := range c.checkpoints {
		last = max(last, cp.After)
	}
	return last
}

// inboxReason is the reason of the snapshots of a video that stayed in
// pl's inbox for d after its upload.
func inboxReason(pl snsos.Platform, d time.Duration) string {
	n := pl.DisplayName()
	return fmt.Sprintf("sent to the %s inbox: no public post appeared within %s of the upload (it was not posted from the %s app, "+
		"or only for \"Only me\"), so %s reports no metrics for it", n, spanWords(d), n, n)
}

// spanWords says d in words: "7 days", "24 hours", "1 minute", else Go's
// form.
func spanWords(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return d.String()
}
