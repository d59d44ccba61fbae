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

// PublishArgs asks for target TargetID to be published at At. At is part of
// the identity: rescheduling inserts a new job, and a job whose At no longer
// matches a scheduled target's time does nothing.
type PublishArgs struct {
	TargetID int64     `json:"target_id"`
	At       time.Time `json:"at"`
}

// Kind implements river.JobArgs.
func (PublishArgs) Kind() string { return "publish_target" }

// InsertOpts makes the job unique per target and time.
func (PublishArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: openStates}, MaxAttempts: 10}
}

// ReconcileArgs asks to settle a target whose outcome is unknown.
type ReconcileArgs struct {
	TargetID int64 `json:"target_id"`
	// Try counts lookups that could not decide (platform unreachable).
	Try int `json:"try,omitempty"`
}

// Kind implements river.JobArgs.
func (ReconcileArgs) Kind() string { return "reconcile_target" }

// InsertOpts makes the job unique per target and try.
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
