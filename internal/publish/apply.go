package publish

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// change is one write of a target's state: a decision applied to the
// target as it was read.
type change struct {
	t *snsos.Target // as read
	d Decision
	// owner, when set, is the attempt that owns the publishing target and
	// writes its own outcome (a compare-and-set on it).
	owner int64
	// takeover: a process that does not own the publishing target moves it
	// on because the owner's lease ran out (checked on the database's clock).
	takeover bool
	finish   *snsos.Attempt
	// mutate changes other fields in the same write (remote id, progress …).
	mutate func(t *snsos.Target)
	actor  string
	detail string
}

// apply is the one writer of target state: it applies a decision as one
// compare-and-set transaction that also records the reason, the
// bookkeeping the state needs (when the target became ambiguous, when a
// "not found" becomes proof, the next job's number), the end of the
// attempt, the audit row, the next job and — on publication — the metric
// checkpoint jobs. A target changed by someone else in between gives
// ECONFLICT and nothing is written.
func (e *Engine) apply(ctx context.Context, c change) (*snsos.Target, error) {
	d := c.d
	now := e.now()
	from := c.t.State
	var seq int64
	var published *snsos.Target
	handle := "" // for a permalink built here (read before the transaction)
	if d.To == snsos.StatePublished {
		if a, err := e.cfg.Store.FindAccountByID(ctx, c.t.AccountID); err == nil {
			handle = a.Handle
		}
	}
	var expect time.Time
	if c.owner == 0 {
		// Anyone but the owner decides on what it read: a write by someone
		// else since (another reconciliation, the operator) wins.
		expect = c.t.UpdatedAt
	}
	tr := snsos.TargetTransition{TargetID: c.t.ID, From: from, To: d.To, Owner: c.owner, LeaseExpired: c.takeover, Expect: expect,
		Finish: c.finish, Actor: c.actor, Detail: c.detail,
		Mutate: func(t *snsos.Target) {
			t.Error = d.Reason
			t.Partial = d.Partial
			if c.mutate != nil {
				c.mutate(t)
			}
			switch d.To {
			case snsos.StateUnknown:
				if t.AmbiguousSince.IsZero() {
					t.AmbiguousSince = now
				}
				if from == snsos.StatePublishing {
					// The attempt's calls have ended (or its lease ran out):
					// one still in the network lands within the margin.
					t.SettleAfter = dbTime(now.Add(e.cfg.LandMargin))
				}
			case snsos.StatePublished, snsos.StateFailed, snsos.StateCanceled:
				t.AmbiguousSince = time.Time{}
			}
			if d.To == snsos.StatePublished && t.PublishedAt.IsZero() {
				t.PublishedAt = now
			}
			if d.To == snsos.StatePublished && t.RemoteID == "" {
				// A partial thread (or an operator's word without a link
				// the platform's client can read) is recorded under part 1.
				t.RemoteID = t.Progress[platform.PartIDKey(1)]
			}
			if d.To == snsos.StatePublished && t.RemoteURL == "" && t.RemoteID != "" {
				t.RemoteURL = e.permalink(t.Platform, handle, t.RemoteID)
			}
			if d.Next == NextPublish {
				t.JobSeq++
				seq = t.JobSeq
			}
			if d.Next != NextNone {
				t.DueAt = dbTime(d.At)
			}
			if d.To == snsos.StatePublished {
				cp := *t
				cp.State = snsos.StatePublished
				published = &cp
			}
		},
		Hook: func(ctx context.Context, tx *sql.Tx) error {
			switch d.Next {
			case NextPublish:
				if _, err := e.cfg.Jobs.InsertTx(ctx, tx, PublishArgs{TargetID: c.t.ID, At: dbTime(d.At), Seq: seq}, &river.InsertOpts{ScheduledAt: d.At}); err != nil {
					return err
				}
				if from == snsos.StateFailed { // an operator retry: check it again first
					return e.insertPreflight(ctx, tx, c.t.ID, d.At)
				}
			case NextReconcile:
				if _, err := e.cfg.Jobs.InsertTx(ctx, tx, ReconcileArgs{TargetID: c.t.ID, At: dbTime(d.At)}, &river.InsertOpts{ScheduledAt: d.At}); err != nil {
					return err
				}
			}
			if published != nil && e.cfg.OnPublished != nil {
				return e.cfg.OnPublished(ctx, tx, published)
			}
			return nil
		}}
	t, err := e.cfg.Store.TransitionTarget(ctx, tr)
	if err != nil {
		return nil, err
	}
	if e.cfg.OnApplied != nil {
		e.cfg.OnApplied(from, t)
	}
	switch d.To {
	case snsos.StatePublished:
		e.log.Info("published", "target_id", t.ID, "platform", string(t.Platform), "remote_id", t.RemoteID, "partial", t.Partial)
	case snsos.StateFailed:
		e.log.Warn("target failed", "target_id", t.ID, "platform", string(t.Platform), "reason", d.Reason)
	case snsos.StateNeedsOperator:
		e.log.Warn("target needs the operator", "target_id", t.ID, "platform", string(t.Platform), "reason", d.Reason)
	}
	return t, nil
}

// decideAndApply decides outcome o for target t (as read) and applies it.
func (e *Engine) decideAndApply(ctx context.Context, t *snsos.Target, o Outcome, f Facts, c change) (*snsos.Target, error) {
	f.State = t.State
	if f.Attempts == 0 {
		f.Attempts = t.Attempts
	}
	f.Attempts -= t.AttemptBase // the budget counts from the last operator retry
	if f.Parts == 0 {
		f.Parts = 1
	}
	d, err := e.policy().Decide(e.now(), o, f)
	if err != nil {
		return nil, err
	}
	c.t, c.d = t, d
	return e.apply(ctx, c)
}

// permalink returns the link of post id by handle when the platform's
// client can build one ("" otherwise).
func (e *Engine) permalink(p snsos.Platform, handle, id string) string {
	if l, ok := e.cfg.Platforms[p].(platform.Permalinker); ok {
		return l.Permalink(handle, id)
	}
	return ""
}

func (e *Engine) policy() Policy {
	return Policy{MaxAttempts: e.cfg.MaxAttempts, ReconcileTries: e.cfg.ReconcileTries, ReconcileDelay: e.cfg.ReconcileDelay, Backoff: e.cfg.Backoff}
}
