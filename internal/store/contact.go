package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/sns-os/snsos"
)

// The inbox: messages from the public contact form (contact_messages),
// handled or not, and the deletion requests a message may open. The
// older CreateContactMessage and ListContactMessages (compliance.go) stay
// for callers that need neither.

// ContactFilter selects inbox messages, newest first.
type ContactFilter struct {
	// Unhandled keeps only the messages not handled yet.
	Unhandled bool
	// Limit bounds the list (default and maximum 500).
	Limit int
}

const contactColumns = `id, name, email, subject, body, lang, created_at, read_at, handled_at, deletion_code`

func scanContact(row interface{ Scan(...any) error }) (*snsos.ContactMessage, error) {
	var m snsos.ContactMessage
	var read, handled sql.NullTime
	if err := row.Scan(&m.ID, &m.Name, &m.Email, &m.Subject, &m.Body, &m.Lang, &m.CreatedAt, &read, &handled, &m.DeletionCode); err != nil {
		return nil, mapErr(err)
	}
	m.CreatedAt, m.ReadAt, m.HandledAt = m.CreatedAt.UTC(), fromNull(read), fromNull(handled)
	return &m, nil
}

// CreateContact stores a message from the contact form. With d, it also
// opens deletion request d (no platform, status unconfirmed) in the same
// transaction, and the message
// carries its confirmation code: a message is never stored without the
// request it asked for, nor a request without its message. The request's
// due date is snsos.DeletionCompleteWithin after now.
func (s *Store) CreateContact(ctx context.Context, m *snsos.ContactMessage, d *snsos.DeletionRequest) error {
	now := s.nowUTC()
	if d != nil {
		if d.ConfirmationCode == "" {
			return snsos.Errorf(snsos.EINVALID, "a deletion request needs a confirmation code")
		}
		d.Platform, d.Status, d.RequestedAt = "", snsos.DeletionUnconfirmed, now
		if d.DueAt.IsZero() {
			d.DueAt = now.Add(snsos.DeletionCompleteWithin)
		}
		m.DeletionCode = d.ConfirmationCode
	}
	m.CreatedAt = now
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if d != nil {
			if err := insertDeletionRequest(ctx, tx, d); err != nil {
				return mapErr(err)
			}
		}
		return mapErr(tx.QueryRowContext(ctx, `INSERT INTO contact_messages (name, email, subject, body, lang, created_at, deletion_code)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, m.Name, m.Email, m.Subject, m.Body, m.Lang, m.CreatedAt, m.DeletionCode).Scan(&m.ID))
	})
}

// ListInbox returns contact messages, newest first.
func (s *Store) ListInbox(ctx context.Context, f ContactFilter) ([]*snsos.ContactMessage, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	where := ""
	if f.Unhandled {
		where = "WHERE handled_at IS NULL"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+contactColumns+` FROM contact_messages `+where+` ORDER BY id DESC LIMIT $1`, f.Limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*snsos.ContactMessage
	for rows.Next() {
		m, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, mapErr(rows.Err())
}

// ListUnhandledContactMessages returns up to limit messages not handled
// yet, newest first (the attention list).
func (s *Store) ListUnhandledContactMessages(ctx context.Context, limit int) ([]*snsos.ContactMessage, error) {
	return s.ListInbox(ctx, ContactFilter{Unhandled: true, Limit: limit})
}

// CountUnhandledContactMessages counts the messages not handled yet.
func (s *Store) CountUnhandledContactMessages(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM contact_messages WHERE handled_at IS NULL`).Scan(&n)
	return n, mapErr(err)
}

// FindContactMessage returns a message, or ENOTFOUND.
func (s *Store) FindContactMessage(ctx context.Context, id int64) (*snsos.ContactMessage, error) {
	m, err := scanContact(s.db.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contact_messages WHERE id = $1`, id))
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil, notFound("contact message", id)
	}
	return m, err
}

// MarkContactRead records that the operator opened the message (the first
// time only).
func (s *Store) MarkContactRead(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE contact_messages SET read_at = $1 WHERE id = $2 AND read_at IS NULL`, s.nowUTC(), id)
	return mapErr(err)
}

// SetContactHandled marks a message handled, or not handled again.
func (s *Store) SetContactHandled(ctx context.Context, id int64, handled bool) error {
	var at any
	if handled {
		at = s.nowUTC()
	}
	res, err := s.db.ExecContext(ctx, `UPDATE contact_messages SET handled_at = $1 WHERE id = $2`, at, id)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("contact message", id)
	}
	return nil
}

// openRequest is the condition, on a contact_messages row, that its
// deletion_code names a request not completed yet (unconfirmed, or
// confirmed and waiting for its purge): the message is what the inbox
// shows it by, so it stays while the request is open.
const openRequest = `EXISTS (SELECT 1 FROM deletion_requests d
	WHERE d.confirmation_code = contact_messages.deletion_code AND d.status <> '` + string(snsos.DeletionCompleted) + `')`

// DeleteContactMessage deletes one message. A message that carries a
// deletion request not completed yet is ECONFLICT and stays: without it
// nothing could confirm the request, and its status page would say
// "waiting" for ever.
func (s *Store) DeleteContactMessage(ctx context.Context, id int64) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM contact_messages WHERE id = $1 AND NOT `+openRequest, id)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM contact_messages WHERE id = $1`, id).Scan(&one)
		if err = mapErr(err); snsos.IsCode(err, snsos.ENOTFOUND) {
			return notFound("contact message", id)
		} else if err != nil {
			return err
		}
		return snsos.Errorf(snsos.ECONFLICT, "message %d carries a data deletion request that is still open; settle the request first", id)
	})
}

// CompleteContactDeletion carries out a confirmed deletion request that
// concerns no platform account: the messages from email (compared without
// case) are deleted and the request with code is marked completed, in one
// transaction (confirmed and completed at once: nothing else is held about
// a sender). A message that carries another request still open stays,
// with that request, until the operator settles it. It returns how many
// messages went. A request that is not awaiting confirmation any more is
// ECONFLICT, and nothing is deleted.
func (s *Store) CompleteContactDeletion(ctx context.Context, code, email string) (int64, error) {
	email = strings.TrimSpace(email)
	if code == "" || email == "" {
		return 0, snsos.Errorf(snsos.EINVALID, "a contact deletion needs the request's code and the sender's address")
	}
	var n int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		now := s.nowUTC()
		res, err := tx.ExecContext(ctx, `UPDATE deletion_requests SET status = $1, confirmed_at = $2, completed_at = $2
			WHERE confirmation_code = $3 AND status = $4`, snsos.DeletionCompleted, now, code, snsos.DeletionUnconfirmed)
		if err != nil {
			return mapErr(err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return snsos.Errorf(snsos.ECONFLICT, "the deletion request is not awaiting confirmation")
		}
		// This request is completed by now, so its own message goes too.
		if res, err = tx.ExecContext(ctx, `DELETE FROM contact_messages WHERE LOWER(email) = LOWER($1) AND NOT `+openRequest, email); err != nil {
			return mapErr(err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
