package publish

import (
	"fmt"
	"time"

	"github.com/sns-os/snsos"
)

// Outcome is what just happened to a target: the result of a platform call,
// of a reconciliation, of a job running out of tries, or an operator's
// action. Decide turns it, with the target's facts, into the next state.
type Outcome int

// The outcomes.
const (
	// OutcomePublished: the platform has every part.
	OutcomePublished Outcome = iota + 1
	// OutcomeTransient: nothing went live (a refused connection, a 5xx to
	// a read, a 429 with the platform's retry time); safe to try again.
	OutcomeTransient
	// OutcomeAmbiguous: a call may have landed (timeout, 5xx or reset after
	// a mutating request, an interrupted attempt, an unclassified error).
	OutcomeAmbiguous
	// OutcomeDuplicate: the platform refused the text as already posted:
	// evidence for reconciliation, never a reason to retry.
	OutcomeDuplicate
	// OutcomeRejected: refused for good (content, configuration, preflight).
	OutcomeRejected
	// OutcomeAuth: the account's access was refused.
	OutcomeAuth
	// OutcomeAbsent: reconciliation proved that part LiveParts+1 is not live.
	OutcomeAbsent
	// OutcomeUndecided: reconciliation could not tell.
	OutcomeUndecided
	// OutcomeForeign: the live copy of the text is another post (older than
	// this target's first attempt, or recorded by another target).
	OutcomeForeign
	// OutcomeLate: the time passed beyond the late grace while sns-os was
	// not running.
	OutcomeLate
	// OutcomeGaveUp: the job ran out of tries (database down, token
	// endpoint unreachable …).
	OutcomeGaveUp
	// OutcomeCanceled: the operator cancels.
	OutcomeCanceled
	// OutcomeConfirmedLive: the operator looked and the post is live.
	OutcomeConfirmedLive
	// OutcomeConfirmedAbsent: the operator looked and it is not.
	OutcomeConfirmedAbsent
	// OutcomeCheckAgain: the operator asks sns-os to look again.
	OutcomeCheckAgain
	// OutcomeRetry: the operator retries a failed target now.
	OutcomeRetry
	// OutcomeQuotaExhausted: right before the call, the platform's
	// publishing quota is used up; nothing was sent, the target waits
	// (until RetryAt, else QuotaWait) without spending an attempt.
	OutcomeQuotaExhausted
)

// Facts are what Decide needs to know of a target besides the outcome.
type Facts struct {
	State snsos.TargetState
	// Attempts is the number of publish attempts made so far.
	Attempts int
	// ReconcileTries counts undecided lookups so far, this one included.
	ReconcileTries int
	// LiveParts is how many parts of the target are known to be live;
	// Parts how many it has.
	LiveParts, Parts int
	// Duplicate: the platform called the text a duplicate.
	Duplicate bool
	// Searchable: the platform can be searched for the post (Reconciler).
	Searchable bool
	// RetryAt is the platform's own retry time (429), if any.
	RetryAt time.Time
	// Why is what happened, in words (the platform's reason …).
	Why string
}

// Next is the job a decision queues in the same transaction.
type Next int

// The jobs a decision may queue.
const (
	NextNone      Next = iota
	NextPublish        // a publish job at At (a new JobSeq)
	NextReconcile      // a reconcile job at At
)

// Decision is where a target goes next.
type Decision struct {
	To      snsos.TargetState
	Partial bool // published with parts missing
	Next    Next
	At      time.Time
	// Reason is the target's error text for people ("" clears it).
	Reason string
}

// Policy holds the bounds Decide applies.
type Policy struct {
	MaxAttempts    int
	ReconcileTries int
	ReconcileDelay time.Duration
	Backoff        func(n int) time.Duration
}

// operatorCheck is what a target handed to the operator asks them to do.
const operatorCheck = "Look at the account: if the post is there, mark it published (with its link); if it is not, mark it not published, then Retry."

// Decide is the one place where the delivery rules live: outcome × state ×
// attempts → next state, when, and why. Every writer of a target's state —
// the publish worker, reconciliation, give-up, token failures and the
// operator's actions — goes through it. It returns ECONFLICT when the
// outcome does not apply to the state (for example canceling a target
// whose post may be live).
func (p Policy) Decide(now time.Time, o Outcome, f Facts) (Decision, error) {
	d, err := p.decide(now, o, f)
	if err != nil {
		return Decision{}, err
	}
	if d.To != f.State && !snsos.CanTransition(f.State, d.To) || d.To == f.State && !snsos.CanTransition(f.State, f.State) {
		return Decision{}, snsos.Errorf(snsos.ECONFLICT, "a %s target cannot become %s", f.State, d.To)
	}
	return d, nil
}

func (p Policy) decide(now time.Time, o Outcome, f Facts) (Decision, error) {
	// end is where a target goes when nothing more will be tried: failed,
	// unless parts of a thread are live — then it is a partial publication.
	end := func(why string) Decision {
		if f.LiveParts > 0 {
			return Decision{To: snsos.StatePublished, Partial: true,
				Reason: fmt.Sprintf("only parts 1–%d of %d went out: %s", f.LiveParts, f.Parts, why)}
		}
		return Decision{To: snsos.StateFailed, Reason: why}
	}
	outOfAttempts := f.Attempts >= p.MaxAttempts
	refuse := func() (Decision, error) {
		return Decision{}, snsos.Errorf(snsos.ECONFLICT, "a %s target cannot take that action", f.State)
	}
	switch o {
	case OutcomePublished:
		return Decision{To: snsos.StatePublished}, nil
	case OutcomeTransient:
		if f.State != snsos.StatePublishing {
			return refuse()
		}
		if outOfAttempts {
			return end(fmt.Sprintf("gave up after %d attempts: %s", f.Attempts, f.Why)), nil
		}
		at := now.Add(p.Backoff(f.Attempts))
		if f.RetryAt.After(at) {
			at = f.RetryAt
		}
		at = dbTime(at)
		return Decision{To: snsos.StateRetryWait, Next: NextPublish, At: at,
			Reason: f.Why + " — retrying at " + at.Format(time.RFC3339)}, nil
	case OutcomeAmbiguous, OutcomeDuplicate:
		if f.State != snsos.StatePublishing {
			return refuse()
		}
		return Decision{To: snsos.StateUnknown, Next: NextReconcile, At: now.Add(p.ReconcileDelay),
			Reason: f.Why + " — checking the platform"}, nil
	case OutcomeRejected, OutcomeAuth:
		switch f.State {
		case snsos.StatePublishing, snsos.StateScheduled, snsos.StateRetryWait, snsos.StateUnknown:
			return end(f.Why), nil
		}
		return refuse()
	case OutcomeAbsent:
		if f.State != snsos.StateUnknown {
			return refuse()
		}
		if f.Duplicate {
			return Decision{To: snsos.StateNeedsOperator, Reason: "the platform refused the text as already posted, but sns-os cannot find that post. " + operatorCheck}, nil
		}
		if outOfAttempts {
			return end(fmt.Sprintf("gave up after %d attempts: %s", f.Attempts, f.Why)), nil
		}
		return Decision{To: snsos.StateRetryWait, Next: NextPublish, At: dbTime(now), Reason: "checked the platform: " + f.Why + "; publishing again"}, nil
	case OutcomeUndecided:
		if f.State != snsos.StateUnknown {
			return refuse()
		}
		if !f.Searchable {
			return Decision{To: snsos.StateNeedsOperator, Reason: "sns-os cannot check this platform for the post (" + f.Why + "). " + operatorCheck}, nil
		}
		if f.ReconcileTries >= p.ReconcileTries {
			return Decision{To: snsos.StateNeedsOperator, Reason: fmt.Sprintf("sns-os could not find out whether the post went live after %d tries (%s). %s", f.ReconcileTries, f.Why, operatorCheck)}, nil
		}
		return Decision{To: snsos.StateUnknown, Next: NextReconcile, At: now.Add(p.Backoff(f.ReconcileTries)),
			Reason: f.Why + " — checking the platform again"}, nil
	case OutcomeForeign:
		if f.State != snsos.StateUnknown {
			return refuse()
		}
		return end(f.Why), nil
	case OutcomeLate:
		if f.State != snsos.StateScheduled {
			return refuse()
		}
		return Decision{To: snsos.StateFailed, Reason: f.Why}, nil
	case OutcomeGaveUp:
		switch f.State {
		case snsos.StateScheduled, snsos.StateRetryWait:
			return end(f.Why), nil
		case snsos.StatePublishing:
			return Decision{To: snsos.StateUnknown, Next: NextReconcile, At: now.Add(p.ReconcileDelay), Reason: f.Why + " — checking the platform"}, nil
		case snsos.StateUnknown:
			return Decision{To: snsos.StateNeedsOperator, Reason: f.Why + ". " + operatorCheck}, nil
		}
		return refuse()
	case OutcomeCanceled:
		switch f.State {
		case snsos.StateDraft, snsos.StateApproved, snsos.StateScheduled:
			return Decision{To: snsos.StateCanceled}, nil
		case snsos.StateRetryWait:
			if f.LiveParts > 0 {
				return end("canceled by the operator"), nil
			}
			return Decision{To: snsos.StateCanceled}, nil
		}
		return Decision{}, snsos.Errorf(snsos.ECONFLICT, "a %s target cannot be canceled: it may be live; settle it first", f.State)
	case OutcomeConfirmedLive:
		if f.State != snsos.StateNeedsOperator {
			return refuse()
		}
		return Decision{To: snsos.StatePublished}, nil
	case OutcomeConfirmedAbsent:
		if f.State != snsos.StateNeedsOperator {
			return refuse()
		}
		return Decision{To: snsos.StateFailed, Reason: "confirmed by the operator: not published"}, nil
	case OutcomeCheckAgain:
		if f.State != snsos.StateNeedsOperator && f.State != snsos.StateUnknown {
			return refuse()
		}
		return Decision{To: snsos.StateUnknown, Next: NextReconcile, At: now, Reason: "checking the platform again (asked by the operator)"}, nil
	case OutcomeRetry:
		if f.State != snsos.StateFailed {
			return refuse()
		}
		return Decision{To: snsos.StateScheduled, Next: NextPublish, At: dbTime(now)}, nil
	case OutcomeQuotaExhausted:
		if f.State != snsos.StateScheduled && f.State != snsos.StateRetryWait {
			return refuse()
		}
		at := f.RetryAt
		if !at.After(now) {
			at = now.Add(QuotaWait)
		}
		at = dbTime(at)
		return Decision{To: snsos.StateRetryWait, Next: NextPublish, At: at,
			Reason: f.Why + " — trying again at " + at.Format(time.RFC3339)}, nil
	}
	return Decision{}, snsos.Errorf(snsos.EINTERNAL, "publish: unknown outcome %d", o)
}
