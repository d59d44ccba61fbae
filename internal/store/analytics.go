package store

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// TargetRange narrows ListTargetsInRange.
type TargetRange struct {
	// From and To bound the target's time, [From, To); a zero bound is
	// open.
	From, To time.Time
	// States, when not empty, keeps only targets in these states.
	States []snsos.TargetState
	// Platform, when set, keeps only that platform's targets.
	Platform snsos.Platform
	// Metrics loads each target's snapshots (oldest first).
	Metrics bool
	// Limit, when positive, keeps only the first Limit targets in time
	// order.
	Limit int
}

// DatedTarget is a target placed in time, with its post's text.
type DatedTarget struct {
	*snsos.Target
	PostBody string
	// At is when the target went live (PublishedAt) when it has been
	// published, else when it is scheduled for (ScheduledAt).
	At time.Time
}

// ListTargetsInRange returns the targets whose time falls in [From, To):
// a published target by its publication time, any other by its scheduled
// time (targets without one are left out), ordered by that time. It runs a
// fixed number of queries whatever the range holds: what the calendar, the
// iCal feed and the analytics pages read.
func (s *Store) ListTargetsInRange(ctx context.Context, f TargetRange) ([]*DatedTarget, error) {
	from, to := f.From, f.To
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	args := []any{dbTime(from), dbTime(to)}
	where := `((state = 'published' AND published_at >= $1 AND published_at < $2) OR
		(state <> 'published' AND scheduled_at >= $1 AND scheduled_at < $2))`
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			args = append(args, string(st))
			ph[i] = "$" + strconv.Itoa(len(args))
		}
		where += ` AND state IN (` + strings.Join(ph, ", ") + `)`
	}
	if f.Platform != "" {
		args = append(args, string(f.Platform))
		where += ` AND platform = $` + strconv.Itoa(len(args))
	}
	var targets []*snsos.Target
	var err error
	if f.Limit > 0 {
		targets, err = queryTargets(ctx, s.db, `SELECT `+targetCols+` FROM targets WHERE `+where+
			` ORDER BY CASE WHEN state = 'published' THEN published_at ELSE scheduled_at END, id LIMIT `+strconv.Itoa(f.Limit), args...)
		if err == nil && len(targets) > 0 {
			// The later queries read exactly these targets.
			ids := make([]int64, len(targets))
			for i, t := range targets {
				ids[i] = t.ID
			}
			where, args = `id IN (`+idList(ids)+`)`, nil
		}
	} else {
		targets, err = s.listTargets(ctx, where, args...)
	}
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return []*DatedTarget{}, nil
	}
	bodies := map[int64]string{}
	rows, err := s.db.QueryContext(ctx, `SELECT id, body FROM posts WHERE id IN (SELECT post_id FROM targets WHERE `+where+`)`, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			rows.Close()
			return nil, mapErr(err)
		}
		bodies[id] = body
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*DatedTarget, 0, len(targets))
	byID := make(map[int64]*snsos.Target, len(targets))
	for _, t := range targets {
		at := t.ScheduledAt
		if t.State == snsos.StatePublished {
			at = t.PublishedAt
		}
		byID[t.ID] = t
		out = append(out, &DatedTarget{Target: t, PostBody: bodies[t.PostID], At: at})
	}
	if f.Metrics {
		snaps, err := s.listSnapshots(ctx, `target_id IN (SELECT id FROM targets WHERE `+where+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, m := range snaps {
			if t := byID[m.TargetID]; t != nil {
				t.Metrics = append(t.Metrics, m)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
