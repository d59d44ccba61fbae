package store

import (
	"context"
	"database/sql"
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
// iCal feed, compose and the dashboard read.
//
// The two halves are two range reads, each on its own index
// (targets_published, targets_unpublished_time), joined by UNION ALL: one
// OR over published_at and scheduled_at could use neither and read every
// target, twice.
func (s *Store) ListTargetsInRange(ctx context.Context, f TargetRange) ([]*DatedTarget, error) {
	query, args := rangeQuery(f)
	targets, err := s.queryDated(ctx, query, args...)
	if err != nil || len(targets) == 0 {
		return targets, err
	}
	ids := make([]int64, len(targets))
	postIDs := make([]int64, 0, len(targets))
	seen := map[int64]bool{}
	byID := make(map[int64]*snsos.Target, len(targets))
	for i, t := range targets {
		ids[i] = t.ID
		byID[t.ID] = t.Target
		if !seen[t.PostID] {
			seen[t.PostID] = true
			postIDs = append(postIDs, t.PostID)
		}
	}
	bodies, err := s.postBodies(ctx, postIDs)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		t.PostBody = bodies[t.PostID]
	}
	if f.Metrics {
		snaps, err := s.listSnapshots(ctx, `target_id IN (`+idList(ids)+`)`)
		if err != nil {
			return nil, err
		}
		for _, m := range snaps {
			if t := byID[m.TargetID]; t != nil {
				t.Metrics = append(t.Metrics, m)
			}
		}
	}
	sort.SliceStable(targets, func(i, j int) bool {
		if !targets[i].At.Equal(targets[j].At) {
			return targets[i].At.Before(targets[j].At)
		}
		return targets[i].ID < targets[j].ID
	})
	return targets, nil
}

// queryDated runs query, which selects targetCols and then the target's
// time, and scans every row.
func (s *Store) queryDated(ctx context.Context, query string, args ...any) ([]*DatedTarget, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*DatedTarget{}
	for rows.Next() {
		var at sql.NullTime
		t, err := scanTarget(withExtra{rows, []any{&at}})
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, &DatedTarget{Target: t, At: fromNull(at)})
	}
	return out, mapErr(rows.Err())
}

// withExtra scans the columns a scan function knows, then extra ones
// selected after them.
type withExtra struct {
	r     scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.r.Scan(append(dest, w.extra...)...) }

// postBodies returns the text of the posts with these ids, by id.
func (s *Store) postBodies(ctx context.Context, ids []int64) (map[int64]string, error) {
	bodies := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return bodies, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, body FROM posts WHERE id IN (`+idList(ids)+`)`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, mapErr(err)
		}
		bodies[id] = body
	}
	return bodies, mapErr(rows.Err())
}

// rangeQuery is ListTargetsInRange's query: targetCols and the time.
func rangeQuery(f TargetRange) (string, []any) {
	from, to := f.From, f.To
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	args := []any{dbTime(from), dbTime(to)}
	var filter string
	published, other := len(f.States) == 0, len(f.States) == 0
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			args = append(args, string(st))
			ph[i] = "$" + strconv.Itoa(len(args))
			published = published || st == snsos.StatePublished
			other = other || st != snsos.StatePublished
		}
		filter += ` AND state IN (` + strings.Join(ph, ", ") + `)`
	}
	if f.Platform != "" {
		args = append(args, string(f.Platform))
		filter += ` AND platform = $` + strconv.Itoa(len(args))
	}
	var halves []string
	if published {
		halves = append(halves, `SELECT `+targetCols+`, published_at AS at FROM targets
			WHERE state = 'published' AND published_at >= $1 AND published_at < $2`+filter)
	}
	if other {
		halves = append(halves, `SELECT `+targetCols+`, scheduled_at AS at FROM targets
			WHERE state <> 'published' AND scheduled_at >= $1 AND scheduled_at < $2`+filter)
	}
	query := strings.Join(halves, ` UNION ALL `)
	if f.Limit > 0 {
		query += ` ORDER BY at, id LIMIT ` + strconv.Itoa(f.Limit)
	}
	return query, args
}
