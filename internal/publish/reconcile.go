package publish

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// clockSkew is how far the platform's clock may be from ours when a post's
// creation time is compared with the start of this target's first attempt.
const clockSkew = 5 * time.Second

// defaultDuplicateWindow is searched after a duplicate answer when the
// platform does not say its window.
const defaultDuplicateWindow = 24 * time.Hour

type reconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	e *Engine
}

// Work settles a target whose outcome is unknown: it looks for each part
// not yet confirmed on the platform. When every part is found the target is
// published (at the platform's creation time); when a part is proven absent
// — and only once no earlier call can still land — publishing resumes from
// that part; when the live copy is another post's (a duplicate answer), the
// target fails with the time of that post. When the platform cannot be
// asked, it tries again later, within the target's lookup budget, then
// hands the target to the operator. A job that finds the target publishing
// takes it over once its owner's lease has run out (see giveUp).
// NextRetry: see publishWorker.NextRetry.
func (w *reconcileWorker) NextRetry(job *river.Job[ReconcileArgs]) time.Time {
	return time.Now().Add(retryDelay(job.Attempt))
}

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
	switch t.State {
	case snsos.StatePublishing:
		return e.inFlight(ctx, 0, t)
	case snsos.StateUnknown:
		return e.reconcile(ctx, t)
	}
	return nil
}

// reconcile looks at the platform for target t (unknown) and applies what
// it finds.
func (e *Engine) reconcile(ctx context.Context, t *snsos.Target) error {
	post, err := e.cfg.Store.FindPostByID(ctx, t.PostID)
	if err != nil {
		return err
	}
	acct, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
	if err != nil {
		return err
	}
	facts := Facts{Searchable: true, Duplicate: !t.DuplicateAt.IsZero(), LiveParts: liveParts(t), Parts: partsOf(t)}
	client, _ := e.cfg.Platforms[t.Platform].(platform.Reconciler)
	if client == nil {
		facts.Searchable = false
		return e.undecided(ctx, t, facts, t.Platform.DisplayName()+" cannot be searched for the post")
	}
	parts, err := Parts(post, t)
	if err != nil {
		facts.Searchable = false
		return e.undecided(ctx, t, facts, snsos.ErrorMessage(err))
	}
	facts.Parts = len(parts)
	cred, err := e.cfg.Tokens.Credential(ctx, acct.ID)
	if err != nil {
		return e.undecided(ctx, t, facts, "no usable token: "+message(err))
	}
	auth := platform.Auth{UserID: acct.RemoteID, Handle: acct.Handle, AccessToken: cred.AccessToken}
	ours, since, err := e.searchWindow(ctx, t, facts.Duplicate)
	if err != nil {
		return err
	}
	progress := maps.Clone(t.Progress)
	if progress == nil {
		progress = map[string]string{}
	}
	var first *platform.RemotePost
	for n := 1; n <= len(parts); n++ {
		if progress[platform.PartIDKey(n)] != "" {
			continue
		}
		q := platform.PostQuery{Text: parts[n-1], Since: since, Part: n, Progress: maps.Clone(progress)}
		if n > 1 {
			q.InReplyTo = progress[platform.PartIDKey(n-1)]
		}
		found, err := client.FindPost(ctx, auth, q)
		switch {
		case errors.Is(err, platform.ErrNotFound):
			return e.partAbsent(ctx, t, facts, n, progress)
		case err != nil:
			return e.undecided(ctx, t, facts, message(err))
		}
		if n == 1 || q.InReplyTo == "" {
			if why := e.foreign(ctx, t, found, ours); why != "" {
				facts.LiveParts, facts.Why = n-1, why
				_, err := e.decideAndApply(ctx, t, OutcomeForeign, facts, change{detail: found.ID,
					mutate: func(cur *snsos.Target) { cur.Progress = progress }})
				return ignoreConflict(nil, err)
			}
		}
		progress[platform.PartIDKey(n)] = found.ID
		if n == 1 {
			first = found
		}
	}
	rootID := progress[platform.PartIDKey(1)]
	if first == nil { // part 1 was recorded by the attempt; look it up for its permalink and time
		if found, err := client.FindPost(ctx, auth, platform.PostQuery{Text: parts[0], Since: since, Part: 1, Progress: maps.Clone(progress)}); err == nil && found.ID == rootID {
			first = found
		}
	}
	url, at := "", time.Time{}
	if first != nil {
		url, at = first.URL, first.CreatedAt
	}
	_, err = e.decideAndApply(ctx, t, OutcomePublished, facts, change{detail: rootID, mutate: func(cur *snsos.Target) {
		cur.Progress, cur.RemoteID, cur.RemoteURL, cur.PublishedAt = progress, rootID, url, dbTime(at)
	}})
	return ignoreConflict(nil, err)
}

// undecided applies a lookup for target t that could not decide, why: one
// more try of the target's lookup budget.
func (e *Engine) undecided(ctx context.Context, t *snsos.Target, facts Facts, why string) error {
	facts.Why, facts.ReconcileTries = why, t.ReconcileTries+1
	_, err := e.decideAndApply(ctx, t, OutcomeUndecided, facts, change{mutate: func(t *snsos.Target) { t.ReconcileTries++ }})
	return ignoreConflict(nil, err)
}

// searchWindow returns since when the posts on the platform are target
// t's own (ours), and since when the search for them reaches back.
func (e *Engine) searchWindow(ctx context.Context, t *snsos.Target, duplicate bool) (ours, since time.Time, err error) {
	// Ours are the posts made since this target's first attempt started;
	// the search reaches back over the platform's duplicate window when it
	// called the text a duplicate, to find the earlier post.
	// (since the operator's last retry: what came before was settled).
	ours = t.UpdatedAt
	atts, err := e.cfg.Store.ListAttempts(ctx, t.ID)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	for _, a := range atts {
		if a.Number > t.AttemptBase {
			ours = a.StartedAt
			break
		}
	}
	ours = ours.Add(-clockSkew)
	since = ours
	if duplicate {
		window := defaultDuplicateWindow
		if w, ok := e.cfg.Platforms[t.Platform].(platform.DuplicateWindower); ok && w.DuplicateWindow() > 0 {
			window = w.DuplicateWindow()
		}
		since = t.DuplicateAt.Add(-window)
	}
	return ours, since, nil
}

// partAbsent applies the answer that part n of target t is not on the
// platform (the parts before it are, with their ids in progress), once no
// call of the last attempt can still land.
func (e *Engine) partAbsent(ctx context.Context, t *snsos.Target, facts Facts, n int, progress map[string]string) error {
	if now := e.now(); now.Before(t.SettleAfter) {
		// A call of the last attempt may still land: not yet proof.
		// This job looks again then (a new job with the same
		// arguments would be de-duplicated against this one).
		return river.JobSnooze(t.SettleAfter.Sub(now))
	}
	facts.LiveParts = n - 1
	facts.Why = "nothing went live"
	if n > 1 {
		facts.Why = fmt.Sprintf("parts 1–%d are live, part %d is not", n-1, n)
	}
	_, err := e.decideAndApply(ctx, t, OutcomeAbsent, facts, change{detail: facts.Why,
		mutate: func(cur *snsos.Target) { cur.Progress = progress }})
	return ignoreConflict(nil, err)
}

// foreign says why a post found for target t is not t's own ("" when it
// is): it was created before t's first attempt (unless the client proved it
// through the attempt's own container), or another target is recorded
// under it.
func (e *Engine) foreign(ctx context.Context, t *snsos.Target, found *platform.RemotePost, ours time.Time) string {
	if !found.Proven && !found.CreatedAt.IsZero() && found.CreatedAt.Before(ours) {
		return fmt.Sprintf("%s already has this text from %s (post %s), before this post was sent; it was not posted again",
			t.Platform.DisplayName(), found.CreatedAt.UTC().Format(time.RFC3339), found.ID)
	}
	if other, err := e.cfg.Store.FindTargetByRemoteID(ctx, t.AccountID, found.ID); err == nil && other.ID != t.ID {
		return fmt.Sprintf("%s already has this text as post %s, recorded for post %d; it was not posted again",
			t.Platform.DisplayName(), found.ID, other.PostID)
	}
	return ""
}

// Recover hands to reconciliation the targets left publishing by a process
// that is gone. With dead set the caller knows that no other process can
// be running them (SQLite at start-up, holding the data dir lock, before
// its own workers start): every publishing target not running here is
// taken over. Otherwise (PostgreSQL, where other processes may be
// mid-call) only targets whose owner's lease has run out on the database's
// clock are. Parked long steps are left to their owner's job.
func (e *Engine) Recover(ctx context.Context, dead bool) (int, error) {
	ts, err := e.cfg.Store.ListTargetsByState(ctx, snsos.StatePublishing)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range ts {
		if e.running(t.ID) || parked(t) {
			continue
		}
		c := change{takeover: !dead, detail: "recovered at start-up"}
		switch {
		case t.OwnerAttempt == 0: // an attempt of an earlier version, which kept no lease
			if !dead && e.now().Sub(t.UpdatedAt) < e.lease() {
				continue
			}
			c.takeover = false
		case dead:
			c.owner = t.OwnerAttempt // the owner is known dead: a compare-and-set on it
		}
		_, err := e.decideAndApply(ctx, t, OutcomeAmbiguous, Facts{Why: "publishing was interrupted (sns-os stopped) before its outcome was recorded"}, c)
		if snsos.IsCode(err, snsos.ECONFLICT) {
			continue // its lease has not run out, or it moved meanwhile
		}
		if err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		e.log.Warn("interrupted publications handed to reconciliation", "count", n)
	}
	return n, nil
}
