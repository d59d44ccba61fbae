package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/sns-os/snsos"
)

// PutSnapshot stores a metric snapshot. A second snapshot for the same
// target and checkpoint is ECONFLICT, except for manual ones, which may
// repeat. A snapshot of a standard checkpoint (+1h, +24h, +7d) also goes
// into the target's metric_summary row in the same transaction, so the
// analytics pages never read it back from every snapshot.
func (s *Store) PutSnapshot(ctx context.Context, m *snsos.MetricSnapshot) error {
	if !m.Checkpoint.Valid() {
		return snsos.Errorf(snsos.EINVALID, "checkpoint %q is not valid", m.Checkpoint)
	}
	if m.Status == "" {
		m.Status = snsos.SnapshotOK
	}
	if m.FetchedAt.IsZero() {
		m.FetchedAt = s.nowUTC()
	}
	if m.Values == nil {
		m.Values = map[string]int64{}
	}
	vals, err := toJSON(m.Values)
	if err != nil {
		return err
	}
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO metric_snapshots (target_id, checkpoint, status, reason, fetched_at, metrics)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, m.TargetID, m.Checkpoint, m.Status, m.Reason, dbTime(m.FetchedAt), vals).Scan(&m.ID); err != nil {
			return mapErr(err)
		}
		return summarize(ctx, tx, m, vals)
	})
	if snsos.IsCode(err, snsos.ECONFLICT) {
		if _, ferr := s.FindTargetByID(ctx, m.TargetID); ferr != nil {
			return ferr
		}
		return snsos.WrapError(snsos.ECONFLICT, err, "target already has a "+string(m.Checkpoint)+" snapshot")
	}
	return err
}

// summaryCheckpoints are the checkpoints metric_summary holds, each as
// columns named after its prefix.
var summaryCheckpoints = []struct {
	cp     snsos.Checkpoint
	prefix string
}{{snsos.Checkpoint1h, "c1h_"}, {snsos.Checkpoint24h, "c24h_"}, {snsos.Checkpoint7d, "c7d_"}}

// summaryMetrics are the values metric_summary holds as columns.
var summaryMetrics = []string{snsos.MetricViews, snsos.MetricLikes, snsos.MetricComments, snsos.MetricShares}

// summarize records snapshot m (its values as the JSON vals) in its
// target's metric_summary row: any checkpoint but manual makes the row
// exist (the target has been measured), a standard one fills its columns.
func summarize(ctx context.Context, tx *sql.Tx, m *snsos.MetricSnapshot, vals string) error {
	if m.Checkpoint == snsos.CheckpointManual {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO metric_summary (target_id) VALUES ($1) ON CONFLICT (target_id) DO NOTHING`, m.TargetID); err != nil {
		return mapErr(err)
	}
	for _, c := range summaryCheckpoints {
		if c.cp != m.Checkpoint {
			continue
		}
		cols := []string{"status", "reason", "fetched_at", "metrics"}
		args := []any{string(m.Status), m.Reason, dbTime(m.FetchedAt), vals}
		for _, name := range summaryMetrics {
			cols = append(cols, name)
			if v, ok := m.Values[name]; ok && m.Status == snsos.SnapshotOK {
				args = append(args, v)
			} else {
				args = append(args, nil)
			}
		}
		set := make([]string, len(cols))
		for i, col := range cols {
			set[i] = c.prefix + col + " = $" + strconv.Itoa(i+1)
		}
		args = append(args, m.TargetID)
		_, err := tx.ExecContext(ctx, `UPDATE metric_summary SET `+strings.Join(set, ", ")+` WHERE target_id = $`+strconv.Itoa(len(args)), args...)
		return mapErr(err)
	}
	return nil
}

// ListSnapshots returns a target's snapshots, oldest first.
func (s *Store) ListSnapshots(ctx context.Context, targetID int64) ([]*snsos.MetricSnapshot, error) {
	return s.listSnapshots(ctx, `target_id = $1`, targetID)
}

func (s *Store) listSnapshots(ctx context.Context, where string, args ...any) ([]*snsos.MetricSnapshot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, target_id, checkpoint, status, reason, fetched_at, metrics FROM metric_snapshots WHERE `+where+` ORDER BY fetched_at, id`, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*snsos.MetricSnapshot{}
	for rows.Next() {
		var m snsos.MetricSnapshot
		var vals string
		var fetched sql.NullTime
		if err := rows.Scan(&m.ID, &m.TargetID, &m.Checkpoint, &m.Status, &m.Reason, &fetched, &vals); err != nil {
			return nil, mapErr(err)
		}
		m.FetchedAt = fromNull(fetched)
		if err := fromJSON(vals, &m.Values); err != nil {
			return nil, err
		}
		out = append(out, &m)
	}
	return out, mapErr(rows.Err())
}
