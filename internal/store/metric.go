package store

import (
	"context"
	"database/sql"

	"github.com/sns-os/snsos"
)

// PutSnapshot stores a metric snapshot. A second snapshot for the same
// target and checkpoint is ECONFLICT, except for manual ones, which may
// repeat.
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
	err = s.db.QueryRowContext(ctx, `INSERT INTO metric_snapshots (target_id, checkpoint, status, reason, fetched_at, metrics)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, m.TargetID, m.Checkpoint, m.Status, m.Reason, dbTime(m.FetchedAt), vals).Scan(&m.ID)
	if err = mapErr(err); snsos.IsCode(err, snsos.ECONFLICT) {
		if _, ferr := s.FindTargetByID(ctx, m.TargetID); ferr != nil {
			return ferr
		}
		return snsos.WrapError(snsos.ECONFLICT, err, "target already has a "+string(m.Checkpoint)+" snapshot")
	}
	return err
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
