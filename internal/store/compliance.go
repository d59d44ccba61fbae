package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sns-os/snsos"
)

// CreateContactMessage stores a message from the public contact form.
func (s *Store) CreateContactMessage(ctx context.Context, m *snsos.ContactMessage) error {
	m.CreatedAt = s.nowUTC()
	return mapErr(s.db.QueryRowContext(ctx, `INSERT INTO contact_messages (name, email, subject, body, lang, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, m.Name, m.Email, m.Subject, m.Body, m.Lang, m.CreatedAt).Scan(&m.ID))
}

// ListContactMessages returns messages, newest first.
func (s *Store) ListContactMessages(ctx context.Context, limit int) ([]*snsos.ContactMessage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, email, subject, body, lang, created_at, read_at FROM contact_messages ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*snsos.ContactMessage
	for rows.Next() {
		var m snsos.ContactMessage
		var read sql.NullTime
		if err := rows.Scan(&m.ID, &m.Name, &m.Email, &m.Subject, &m.Body, &m.Lang, &m.CreatedAt, &read); err != nil {
			return nil, mapErr(err)
		}
		m.CreatedAt, m.ReadAt = m.CreatedAt.UTC(), fromNull(read)
		out = append(out, &m)
	}
	return out, mapErr(rows.Err())
}

// DeletionGrace is how long sns-os may take to delete the metadata of a
// data-deletion request; tokens go at once.
const DeletionGrace = 30 * 24 * time.Hour

// CreateDeletionRequest records a platform's data-deletion request.
func (s *Store) CreateDeletionRequest(ctx context.Context, d *snsos.DeletionRequest) error {
	if d.ConfirmationCode == "" || !d.Platform.Valid() {
		return snsos.Errorf(snsos.EINVALID, "a deletion request needs a platform and a confirmation code")
	}
	d.RequestedAt = s.nowUTC()
	if d.Status == "" {
		d.Status = snsos.DeletionPending
	}
	if d.DueAt.IsZero() {
		d.DueAt = d.RequestedAt.Add(DeletionGrace)
	}
	return mapErr(insertDeletionRequest(ctx, s.db, d))
}

// FindDeletionRequestByCode returns a deletion request by its public
// confirmation code, or ENOTFOUND.
func (s *Store) FindDeletionRequestByCode(ctx context.Context, code string) (*snsos.DeletionRequest, error) {
	d, err := scanDeletionRequest(s.db.QueryRowContext(ctx, `SELECT `+deletionCols+` FROM deletion_requests WHERE confirmation_code = $1`, code))
	if err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ENOTFOUND) {
			return nil, snsos.Errorf(snsos.ENOTFOUND, "no deletion request has that confirmation code")
		}
		return nil, err
	}
	return d, nil
}

// CompleteDeletionRequest marks a deletion request done.
func (s *Store) CompleteDeletionRequest(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE deletion_requests SET status = $1, completed_at = $2 WHERE id = $3`,
		snsos.DeletionCompleted, s.nowUTC(), id)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("deletion request", id)
	}
	return nil
}
