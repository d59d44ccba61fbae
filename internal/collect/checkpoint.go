package collect

import (
	"fmt"
	"time"

	"github.com/sns-os/snsos"
)

// A Checkpoint is one metric snapshot taken a fixed time after publication.
// Name is what the snapshot is stored under ("1h", "24h", "7d"); After is
// how long after the publication it is taken. The two usually agree, but
// the demo keeps the standard names with accelerated delays
// ({Name: "1h", After: time.Minute}).
type Checkpoint struct {
	Name  snsos.Checkpoint
	After time.Duration
}

// DefaultOffsets are the standard checkpoints: 1 hour, 24 hours and 7 days
// after publication (SNSOS_CHECKPOINTS' default).
var DefaultOffsets = []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// Checkpoints returns one Checkpoint per offset, in the order given, named
// like the configuration syntax: whole days beyond one day as "Nd" (7d),
// whole hours as "Nh" (1h, 24h), whole minutes as "Nm" (90m), anything else
// as a Go duration (30s, 1.5s). Every name parses back to its offset with
// snsos.ParseCheckpointOffset. Offsets that are not positive, and repeated
// offsets, are dropped.
func Checkpoints(offsets []time.Duration) []Checkpoint {
	out := make([]Checkpoint, 0, len(offsets))
	seen := map[time.Duration]bool{}
	for _, d := range offsets {
		if d <= 0 || seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, Checkpoint{Name: CheckpointName(d), After: d})
	}
	return out
}

// CheckpointName names the offset d as Checkpoints does.
func CheckpointName(d time.Duration) snsos.Checkpoint {
	const day = 24 * time.Hour
	switch {
	case d > day && d%day == 0:
		return snsos.Checkpoint(fmt.Sprintf("%dd", d/day))
	case d%time.Hour == 0:
		return snsos.Checkpoint(fmt.Sprintf("%dh", d/time.Hour))
	case d%time.Minute == 0:
		return snsos.Checkpoint(fmt.Sprintf("%dm", d/time.Minute))
	}
	return snsos.Checkpoint(d.String())
}

// CheckpointArgs is the job that takes one checkpoint snapshot of one
// target. ScheduleTx inserts it unique by its arguments, so a target has at
// most one job per checkpoint and publication time.
type CheckpointArgs struct {
	TargetID   int64  `json:"target_id"`
	Checkpoint string `json:"checkpoint"`
	// Base is the publication time (Unix seconds) the checkpoint counts
	// from. When a post's publication time moves (a TikTok inbox upload
	// that got its public id: see awaitPublic), its checkpoints are
	// scheduled again from the new time, and a job whose Base is no longer
	// the target's does nothing. Zero (jobs queued before Base existed)
	// always counts.
	Base int64 `json:"base,omitempty"`
}

// CheckpointKind is the River kind of CheckpointArgs.
const CheckpointKind = "metrics_checkpoint"

// Kind implements river.JobArgs.
func (CheckpointArgs) Kind() string { return CheckpointKind }
