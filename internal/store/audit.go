package store

import (
	"context"
	"database/sql"

	"github.com/sns-os/snsos"
)

// audit writes an audit event inside tx.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, actor, action, subjectType string, subjectID int64, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (at, actor, action, subject_type, subject_id, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.nowUTC(), actor, action, subjectType, subjectID, detail)
	return mapErr(err)
}

// AddAuditEvent records e (At is set to now when zero).
func (s *Store) AddAuditEvent(ctx context.Context, e *snsos.AuditEvent) error {
	if e.At.IsZero() {
		e.At = s.nowUTC()
	}
	return mapErr(s.db.QueryRowContext(ctx, `INSERT INTO audit_events (at, actor, action, subject_type, subject_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, dbTime(e.At), e.Actor, e.Action, e.SubjectType, e.SubjectID, e.Detail).Scan(&e.ID))
}

// ListAuditEvents returns the newest events first, at most limit, optionally
// only those about one subject (subjectType "" for all).
func (s *Store) ListAuditEvents(ctx context.Context, subjectType string, subjectID int64, limit int) ([]*snsos.AuditEvent, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, actor, action, subject_type, subject_id, detail FROM audit_events
		WHERE ($1 = '' OR (subject_type = $1 AND subject_id = $2)) ORDER BY id DESC LIMIT $3`, subjectType, subjectID, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*snsos.AuditEvent
	for rows.Next() {
		var e snsos.AuditEvent
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.SubjectType, &e.SubjectID, &e.Detail); err != nil {
			return nil, mapErr(err)
		}
		e.At = e.At.UTC()
		out = append(out, &e)
	}
	return out, mapErr(rows.Err())
}
