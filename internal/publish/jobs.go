package publish

import (
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// openStates are the job states a unique job is deduplicated against:
// everything but finished, so that a target can be scheduled again after
// its earlier job completed.
var openStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// PublishArgs asks for target TargetID to be published at At. Seq names
// the job: every write that queues a publish job gives the target a new
// JobSeq and the job the same number, and a job whose Seq is not the
// target's current one is stale and does nothing (a reschedule, an edit, a
// retry queued meanwhile). A job before its At snoozes until then.
type PublishArgs struct {
	TargetID int64     `json:"target_id"`
	At       time.Time `json:"at"`
	Seq      int64     `json:"seq,omitempty"`
}

// Kind implements river.JobArgs.
func (PublishArgs) Kind() string { return "publish_target" }

// InsertOpts makes the job unique per target and time.
func (PublishArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: openStates}, MaxAttempts: 10}
}

// ReconcileArgs asks to settle a target whose outcome is unknown (or to
// take over a publishing one whose owner's lease ran out). At, the time it
// was queued for, keeps jobs of different rounds apart.
type ReconcileArgs struct {
	TargetID int64     `json:"target_id"`
	At       time.Time `json:"at,omitzero"`
	// Try is read from jobs queued by earlier versions; unused.
	Try int `json:"try,omitempty"`
}

// Kind implements river.JobArgs.
func (ReconcileArgs) Kind() string { return "reconcile_target" }

// InsertOpts makes the job unique per target and time.
func (ReconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: openStates}, MaxAttempts: 10}
}

// PreflightArgs asks to check a scheduled target before its time.
type PreflightArgs struct {
	TargetID int64     `json:"target_id"`
	At       time.Time `json:"at"`
}

// Kind implements river.JobArgs.
func (PreflightArgs) Kind() string { return "preflight_target" }

// InsertOpts makes the job unique per target and time.
func (PreflightArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: openStates}, MaxAttempts: 3}
}
