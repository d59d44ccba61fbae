package snsos

import (
	"fmt"
	"time"
)

// Checkpoint names when a metric snapshot was taken relative to publication.
type Checkpoint string

// The standard checkpoints, and "manual" for an operator's refresh.
const (
	Checkpoint1h     Checkpoint = "1h"
	Checkpoint24h    Checkpoint = "24h"
	Checkpoint7d     Checkpoint = "7d"
	CheckpointManual Checkpoint = "manual"
)

// Valid reports whether c is well formed: "manual" or a positive duration in
// the checkpoint syntax (see ParseCheckpointOffset).
func (c Checkpoint) Valid() bool {
	if c == CheckpointManual {
		return true
	}
	_, err := ParseCheckpointOffset(string(c))
	return err == nil
}

// ParseCheckpointOffset parses an offset such as "1h", "24h", "7d" or "90m"
// (Go durations plus a "d" suffix for days).
func ParseCheckpointOffset(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := cutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err != nil || fmt.Sprint(days) != n {
			return 0, Errorf(EINVALID, "checkpoint %q: want a duration like 1h, 24h or 7d", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, Errorf(EINVALID, "checkpoint %q: want a duration like 1h, 24h or 7d", s)
		}
	}
	if d <= 0 {
		return 0, Errorf(EINVALID, "checkpoint %q: must be positive", s)
	}
	return d, nil
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// SnapshotStatus says whether a snapshot holds numbers.
type SnapshotStatus string

// Snapshot statuses.
const (
	SnapshotOK          SnapshotStatus = "ok"
	SnapshotUnavailable SnapshotStatus = "unavailable" // the platform had no numbers; Reason says why
)

// Standard metric names present for every platform (zero when unknown).
// Platform extras use the platform's own names, e.g. "reach", "saved",
// "impressions", "bookmarks", "reposts", "quotes", "replies".
const (
	MetricViews    = "views"
	MetricLikes    = "likes"
	MetricComments = "comments"
	MetricShares   = "shares"
)

// MetricSnapshot is the metrics of one target at one checkpoint.
type MetricSnapshot struct {
	ID         int64            `json:"id"`
	TargetID   int64            `json:"target_id"`
	Checkpoint Checkpoint       `json:"checkpoint"`
	Status     SnapshotStatus   `json:"status"`
	Reason     string           `json:"reason,omitempty"`
	FetchedAt  time.Time        `json:"fetched_at"`
	Values     map[string]int64 `json:"values"`
}
