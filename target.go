package snsos

import (
	"context"
	"database/sql"
	"slices"
	"time"
)

// TargetState is where one post stands on one account: the delivery state
// machine of sns-os. Every change of state goes through CanTransition, and
// the store refuses any other (see docs/ARCHITECTURE.md).
//
//	draft ─approve→ approved ─schedule→ scheduled ─(job)→ publishing → published
//	                                                        ├→ failed      (permanent)
//	                                                        ├→ retry_wait  (transient, nothing can be live)
//	                                                        └→ unknown     (ambiguous: timeout, 5xx, crash)
//	unknown ─reconcile→ published | retry_wait | needs_operator
type TargetState string

// Delivery states; the values are part of the API contract.
const (
	StateDraft         TargetState = "draft"
	StateApproved      TargetState = "approved"
	StateScheduled     TargetState = "scheduled"
	StatePublishing    TargetState = "publishing"
	StatePublished     TargetState = "published"
	StateFailed        TargetState = "failed"
	StateRetryWait     TargetState = "retry_wait"
	StateUnknown       TargetState = "unknown"
	StateNeedsOperator TargetState = "needs_operator"
	StateCanceled      TargetState = "canceled"
)

// TargetStates lists every state in lifecycle order.
var TargetStates = []TargetState{
	StateDraft, StateApproved, StateScheduled, StatePublishing, StateRetryWait,
	StateUnknown, StateNeedsOperator, StatePublished, StateFailed, StateCanceled,
}

// transitions is the whole state machine. A state absent from the map has no
// way out. The reasons for the less obvious edges:
//   - scheduled → scheduled: a reschedule, in one transaction (a new time and
//     a new publish job; the old job finds itself stale).
//   - scheduled/retry_wait → failed: preflight, a revoked account, the late
//     grace or the attempt budget fails a target before any platform call;
//     nothing can be live.
//   - scheduled → approved: the operator unschedules.
//   - scheduled/retry_wait → retry_wait: the platform's publishing quota
//     is used up right before the call; the target waits for the window
//     without calling the platform (nothing was sent, nothing is live).
//   - retry_wait → published: a thread some of whose parts are live ends
//     (canceled, refused, out of attempts) as a partial publication: it is
//     live, so it is never recorded as failed or canceled.
//   - failed → scheduled: the operator retries a permanent failure after
//     fixing it; a failed target is by definition not live.
//   - unknown → unknown: reconciliation could not decide and looks again
//     later (bookkeeping and a new job, no change of state).
//   - unknown → failed: reconciliation proved nothing of this target is live
//     and the cause is permanent (the platform's copy is another post's).
//   - needs_operator → published | failed: the operator looked at the
//     platform and says what is true (failed = "confirmed not published",
//     which Retry can then schedule); → unknown: the operator asks sns-os to
//     check again (reconciliation, not a new post). needs_operator cannot be
//     canceled: the post may be live.
//
// There is no edge out of publishing except to its outcomes, and none from
// unknown or needs_operator straight to publishing: a target that may be live
// is never posted again without reconciliation.
var transitions = map[TargetState][]TargetState{
	StateDraft:         {StateApproved, StateCanceled},
	StateApproved:      {StateScheduled, StateDraft, StateCanceled},
	StateScheduled:     {StatePublishing, StateScheduled, StateApproved, StateCanceled, StateFailed, StateRetryWait},
	StatePublishing:    {StatePublished, StateFailed, StateRetryWait, StateUnknown},
	StateRetryWait:     {StatePublishing, StateCanceled, StateFailed, StatePublished, StateRetryWait},
	StateUnknown:       {StatePublished, StateRetryWait, StateNeedsOperator, StateFailed, StateUnknown},
	StateNeedsOperator: {StatePublished, StateFailed, StateUnknown},
	StateFailed:        {StateScheduled},
}

// Valid reports whether s is a known state.
func (s TargetState) Valid() bool { return slices.Contains(TargetStates, s) }

// Next lists the states s may move to.
func (s TargetState) Next() []TargetState { return slices.Clone(transitions[s]) }

// CanTransition reports whether a target in state from may move to state to.
func CanTransition(from, to TargetState) bool { return slices.Contains(transitions[from], to) }

// Terminal reports whether no automatic process will move a target out of s.
func (s TargetState) Terminal() bool {
	return s == StatePublished || s == StateFailed || s == StateCanceled
}

// MayBeLive reports whether a target in s might already be visible on the
// platform. Such a target must be reconciled, never posted again blindly.
func (s TargetState) MayBeLive() bool {
	return s == StatePublishing || s == StateUnknown || s == StateNeedsOperator || s == StatePublished
}

// Pending reports whether s is waiting to be published (the states a revoked
// account fails).
func (s TargetState) Pending() bool {
	return s == StateApproved || s == StateScheduled || s == StateRetryWait
}

// TransitionError returns the ECONFLICT error for a refused transition.
func TransitionError(from, to TargetState) error {
	return Errorf(ECONFLICT, "a target cannot go from %s to %s", from, to)
}

// Target is one post on one account: the unit of delivery.
type Target struct {
	ID        int64       `json:"id"`
	PostID    int64       `json:"post_id"`
	AccountID int64       `json:"account_id"`
	Platform  Platform    `json:"platform"`
	State     TargetState `json:"state"`
	// Body overrides the post body on this target when not empty.
	Body string `json:"body,omitempty"`
	// Options are platform parameters under the platform's own names
	// (TikTok privacy_level, Instagram media_type, X/Threads "parts" …).
	Options map[string]any `json:"options,omitempty"`
	// MediaIDs is the media this target publishes, in its own order: nil
	// means the post's media (Post.MediaIDs) as they are; an empty, non-nil
	// list means none on this target; otherwise a subset of the post's
	// media, each at most once (Post.Validate checks it). See Post.MediaFor.
	// In JSON an absent or null media_ids is nil and [] is empty.
	MediaIDs []int64 `json:"media_ids,omitzero"`
	// Progress holds the intermediate ids of an unfinished publication
	// (container id, media ids, publish_id, ids of thread parts already
	// posted), stored as soon as each exists.
	Progress    map[string]string `json:"progress,omitempty"`
	RemoteID    string            `json:"remote_id,omitempty"`
	RemoteURL   string            `json:"remote_url,omitempty"`
	PublishedAt time.Time         `json:"published_at,omitzero"`
	// Error is the last problem in plain words ("" when none).
	Error string `json:"error,omitempty"`
	// Preflight lists what the check before the scheduled time found
	// (one problem per line; "" when all is well), and when it ran.
	Preflight   string    `json:"preflight,omitempty"`
	PreflightAt time.Time `json:"preflight_at,omitzero"`
	Attempts    int       `json:"attempts"`
	ScheduledAt time.Time `json:"scheduled_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Partial marks a published thread some of whose parts did not go out
	// (Progress says which did).
	Partial bool `json:"partial,omitempty"`
	// AmbiguousSince is when the target first became unknown (its outcome
	// ambiguous); alerts measure from it. Zero when it never was.
	AmbiguousSince time.Time `json:"ambiguous_since,omitzero"`

	// Delivery bookkeeping, written by the engine through the store.

	// OwnerAttempt is the attempt that moved the target to publishing: only
	// it may write progress or an outcome while the target is publishing.
	OwnerAttempt int64 `json:"-"`
	// OwnerJob is the job running that attempt (a snoozed step resumes
	// under the same job).
	OwnerJob int64 `json:"-"`
	// LeaseUntil is, while publishing, when the owner can no longer be
	// running (on the database's clock); zero while a long step is parked
	// (nothing in flight, its job snoozed).
	LeaseUntil time.Time `json:"-"`
	// JobSeq identifies the target's current publish job: every write that
	// queues one increments it, and a job carrying another number is stale.
	JobSeq int64 `json:"-"`
	// SettleAfter is when no call of an earlier attempt can still land: a
	// "not found" from reconciliation is proof only from then on.
	SettleAfter time.Time `json:"-"`
	// DuplicateAt is when the platform last refused the text as already
	// posted (reconciliation then searches the platform's duplicate window).
	DuplicateAt time.Time `json:"-"`
	// ReconcileTries counts lookups that could not decide, over the
	// target's whole life (a budget, never reset by a new cycle).
	ReconcileTries int `json:"-"`
	// AttemptBase is Attempts when the operator last retried the target:
	// the attempt budget counts from it.
	AttemptBase int `json:"-"`
	// DueAt is when the job a retry_wait or unknown target waits for is
	// due (a scheduled target's is ScheduledAt).
	DueAt time.Time `json:"-"`
	// Metrics holds the snapshots taken so far, oldest first.
	Metrics []*MetricSnapshot `json:"metrics"`
}

// Attempt records one try at publishing a target: when, what was called and
// what came back. It never holds a token.
type Attempt struct {
	ID         int64     `json:"id"`
	TargetID   int64     `json:"target_id"`
	Number     int       `json:"number"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Outcome is the state the attempt left the target in, "" while running.
	Outcome TargetState `json:"outcome,omitempty"`
	Detail  string      `json:"detail,omitempty"`
	Error   string      `json:"error,omitempty"`
}

// TargetVersion is a target as a caller read it: a save compares both
// fields, so a change made in between by another writer is never
// overwritten.
type TargetVersion struct {
	State     TargetState
	UpdatedAt time.Time
}

// TxHook runs inside a store transaction, after the store's own writes and
// before the commit; an error rolls everything back. It is how a job is
// enqueued atomically with the state change that needs it.
type TxHook = func(ctx context.Context, tx *sql.Tx) error

// TargetTransition describes a change of a target's state, applied by the
// store as a compare-and-set: it succeeds only if the target is in From now
// and the state machine allows From → To.
type TargetTransition struct {
	TargetID int64
	From, To TargetState
	// Mutate, when set, changes other fields of the target in the same write
	// (remote id, permalink, error, scheduled time …). It must not change
	// State.
	Mutate func(t *Target)
	// Hook runs in the same transaction after the update (job enqueue).
	Hook TxHook
	// Actor and Detail go to the audit trail.
	Actor, Detail string
	// Attempt, when set, starts an attempt in the same transaction: the
	// target's attempt count goes up and an attempt row is written; the
	// struct is filled in (ID, Number, StartedAt). Set its Detail to say
	// what is about to be called.
	Attempt *Attempt
	// Finish, when set, records in the same transaction how that attempt
	// ended: its outcome is To, and FinishedAt is set.
	Finish *Attempt

	// Owner, when set, requires the target to be owned by that attempt
	// (OwnerAttempt): how an attempt writes its own outcome.
	Owner int64
	// LeaseExpired, when set, requires a publishing target's lease to have
	// run out on the database's clock: how a process that does not own an
	// attempt takes over one whose owner can no longer be running.
	LeaseExpired bool
	// Expect, when set, requires the target to be still the version the
	// caller decided on (its updated_at): a decision made on a read that
	// another writer has since overtaken is refused.
	Expect time.Time
	// Lease is, with Attempt and To publishing, how long the new owner's
	// lease runs (from the database's clock); Job is the job running it.
	Lease time.Duration
	Job   int64
}
