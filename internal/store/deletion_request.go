package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sns-os/snsos"
)

const deletionCols = `id, platform, remote_user_id, confirmation_code, status, requested_at, due_at, completed_at,
	account_ids, confirmed_at, tokens_deleted_at, purged`

func scanDeletionRequest(r scanner) (*snsos.DeletionRequest, error) {
	var d snsos.DeletionRequest
	var due, done, confirmed, tokens sql.NullTime
	var ids, purged string
	if err := r.Scan(&d.ID, &d.Platform, &d.RemoteUserID, &d.ConfirmationCode, &d.Status, &d.RequestedAt, &due, &done,
		&ids, &confirmed, &tokens, &purged); err != nil {
		return nil, err
	}
	d.RequestedAt, d.DueAt, d.CompletedAt = d.RequestedAt.UTC(), fromNull(due), fromNull(done)
	d.ConfirmedAt, d.TokensDeletedAt = fromNull(confirmed), fromNull(tokens)
	var err error
	if d.AccountIDs, err = idsFromColumn(ids); err != nil {
		return nil, err
	}
	if purged != "" {
		d.Purged = &snsos.PurgeCounts{}
		if err := fromJSON(purged, d.Purged); err != nil {
			return nil, err
		}
	}
	return &d, nil
}

// idsColumn encodes ids as a JSON list ("[]" for none).
func idsColumn(ids []int64) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids) // a list of integers always encodes
	return string(b)
}

func idsFromColumn(s string) ([]int64, error) {
	var ids []int64
	if err := fromJSON(s, &ids); err != nil {
		return nil, err
	}
	return ids, nil
}

type execQuerier interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertDeletionRequest writes d (every field but ID, which it sets).
func insertDeletionRequest(ctx context.Context, q execQuerier, d *snsos.DeletionRequest) error {
	purged := ""
	if d.Purged != nil {
		b, err := json.Marshal(d.Purged)
		if err != nil {
			return fmt.Errorf("store: encode: %w", err)
		}
		purged = string(b)
	}
	return q.QueryRowContext(ctx, `INSERT INTO deletion_requests (platform, remote_user_id, confirmation_code, status,
			requested_at, due_at, completed_at, account_ids, confirmed_at, tokens_deleted_at, purged)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, d.Platform, d.RemoteUserID, d.ConfirmationCode, d.Status,
		d.RequestedAt, dbTime(d.DueAt), dbTime(d.CompletedAt), idsColumn(d.AccountIDs), dbTime(d.ConfirmedAt),
		dbTime(d.TokensDeletedAt), purged).Scan(&d.ID)
}

// FindDeletionRequestByID returns a deletion request, or ENOTFOUND.
func (s *Store) FindDeletionRequestByID(ctx context.Context, id int64) (*snsos.DeletionRequest, error) {
	return findDeletionRequest(ctx, s.db, id)
}

func findDeletionRequest(ctx context.Context, q querier, id int64) (*snsos.DeletionRequest, error) {
	d, err := scanDeletionRequest(q.QueryRowContext(ctx, `SELECT `+deletionCols+` FROM deletion_requests WHERE id = $1`, id))
	if err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ENOTFOUND) {
			return nil, notFound("deletion request", id)
		}
		return nil, err
	}
	return d, nil
}

// ListDeletionRequests returns the requests not completed yet and those
// completed at or after completedSince, newest first (at most 200).
func (s *Store) ListDeletionRequests(ctx context.Context, completedSince time.Time) ([]*snsos.DeletionRequest, error) {
	return s.queryDeletionRequests(ctx, `WHERE status <> $1 OR completed_at >= $2 ORDER BY id DESC LIMIT 200`,
		snsos.DeletionCompleted, completedSince.UTC().Truncate(time.Microsecond))
}

// ListDueDeletionRequests returns the confirmed requests not completed yet
// whose purge was due by now, oldest first (at most 100): the ones whose
// purge job the periodic scan makes sure of.
func (s *Store) ListDueDeletionRequests(ctx context.Context, now time.Time) ([]*snsos.DeletionRequest, error) {
	return s.queryDeletionRequests(ctx, `WHERE status <> $1 AND confirmed_at IS NOT NULL AND due_at <= $2 ORDER BY due_at, id LIMIT 100`,
		snsos.DeletionCompleted, now.UTC().Truncate(time.Microsecond))
}

func (s *Store) queryDeletionRequests(ctx context.Context, rest string, args ...any) ([]*snsos.DeletionRequest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deletionCols+` FROM deletion_requests `+rest, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*snsos.DeletionRequest
	for rows.Next() {
		d, err := scanDeletionRequest(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, d)
	}
	return out, mapErr(rows.Err())
}

// Access removal sources: how sns-os lost, or gave up, access to an account.
const (
	RemovedByDeauthorize  = "deauthorize"   // the platform's deauthorize callback (the user removed the app)
	RemovedByDataDeletion = "data_deletion" // the platform's data-deletion callback
	RemovedByRefresh      = "refresh"       // the platform refused the refresh token as revoked
	RemovedByConfirmation = "confirmation"  // the operator confirmed a deletion request from the contact form
)

// AuditAccessRemoved is the audit action of an access removal; its detail is
// an AccessRemovedDetail as JSON.
const AuditAccessRemoved = "account.access_removed"

// AccessRemovedDetail is the detail of an AuditAccessRemoved event.
type AccessRemovedDetail struct {
	Source    string `json:"source"`
	RequestID int64  `json:"request_id,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// AccessRemoval says that access to accounts ended: they become revoked,
// their tokens are deleted, and each gets an AuditAccessRemoved event.
type AccessRemoval struct {
	AccountIDs []int64
	Source     string // one of the RemovedBy constants
	Actor      string // audit actor: "platform:instagram", "operator", "system"
	Reason     string // the accounts' status reason, for people
	RequestID  int64  // the deletion request behind it, if any
}

// RemoveAccess marks the accounts revoked with r.Reason and deletes their
// tokens, in one transaction. Accounts that no longer exist are skipped.
func (s *Store) RemoveAccess(ctx context.Context, r AccessRemoval) error {
	return s.withTx(ctx, func(tx *sql.Tx) error { return s.removeAccess(ctx, tx, r) })
}

func (s *Store) removeAccess(ctx context.Context, tx *sql.Tx, r AccessRemoval) error {
	detail, err := json.Marshal(AccessRemovedDetail{Source: r.Source, RequestID: r.RequestID, Reason: r.Reason})
	if err != nil {
		return fmt.Errorf("store: encode: %w", err)
	}
	now := s.nowUTC()
	for _, id := range r.AccountIDs {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4`,
			snsos.AccountRevoked, r.Reason, now, id)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // purged meanwhile
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE account_id = $1`, id); err != nil {
			return mapErr(err)
		}
		if err := s.audit(ctx, tx, r.Actor, AuditAccessRemoved, "account", id, string(detail)); err != nil {
			return err
		}
	}
	return nil
}

// ActOnSignedRequest acts on a verified signed request in one transaction:
// it records sr as seen (ECONFLICT when it was already, so a replay racing
// the original changes nothing), creates d when it is not nil (sr.RequestID
// becomes its id), removes the access r describes (r.RequestID is set to
// d's id) and runs hook (which queues the purge).
func (s *Store) ActOnSignedRequest(ctx context.Context, sr *SignedRequest, d *snsos.DeletionRequest, r AccessRemoval, hook TxHook) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if d != nil {
			if d.ConfirmationCode == "" || !d.Platform.Valid() {
				return snsos.Errorf(snsos.EINVALID, "a deletion request needs a platform and a confirmation code")
			}
			// A verified callback is its own confirmation, and the tokens go
			// in this transaction.
			now := s.nowUTC()
			d.RequestedAt, d.ConfirmedAt, d.TokensDeletedAt = now, now, now
			if d.Status == "" {
				d.Status = snsos.DeletionPending
			}
			if d.Status == snsos.DeletionCompleted { // nothing held: done at once
				d.CompletedAt = now
			}
			if d.DueAt.IsZero() {
				d.DueAt = now.Add(DeletionGrace)
			}
			if err := insertDeletionRequest(ctx, tx, d); err != nil {
				return mapErr(err)
			}
			sr.RequestID, r.RequestID = d.ID, d.ID
			if err := s.audit(ctx, tx, "platform:"+string(d.Platform), "deletion.request", "deletion_request", d.ID,
				fmt.Sprintf("%d account(s)", len(d.AccountIDs))); err != nil {
				return err
			}
		}
		sr.SeenAt = s.nowUTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO signed_requests (signature_hash, platform, kind, request_id, seen_at)
			VALUES ($1, $2, $3, $4, $5)`, sr.Hash, sr.Platform, sr.Kind, sr.RequestID, sr.SeenAt); err != nil {
			return mapErr(err)
		}
		if err := s.removeAccess(ctx, tx, r); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx)
		}
		return nil
	})
}

// ConfirmDeletionRequest accepts request id for action, as the operator
// confirms a request made through the contact form: the request becomes
// pending and is about accountIDs from now, their tokens are deleted at
// once (r says how the access removal is recorded; its AccountIDs and
// RequestID are set here), and hook queues the purge, all in one
// transaction. A request confirmed before, or completed, is ECONFLICT and
// nothing changes.
func (s *Store) ConfirmDeletionRequest(ctx context.Context, id int64, accountIDs []int64, r AccessRemoval, hook TxHook) (*snsos.DeletionRequest, error) {
	var out *snsos.DeletionRequest
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		d, err := findDeletionRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if !d.ConfirmedAt.IsZero() || d.Status == snsos.DeletionCompleted {
			return snsos.Errorf(snsos.ECONFLICT, "the deletion request is not awaiting confirmation")
		}
		now := s.nowUTC()
		if _, err := tx.ExecContext(ctx, `UPDATE deletion_requests SET status = $1, account_ids = $2, confirmed_at = $3, tokens_deleted_at = $3
			WHERE id = $4`, snsos.DeletionPending, idsColumn(accountIDs), now, id); err != nil {
			return mapErr(err)
		}
		d.Status, d.AccountIDs, d.ConfirmedAt, d.TokensDeletedAt = snsos.DeletionPending, accountIDs, now, now
		r.AccountIDs, r.RequestID = accountIDs, id
		if err := s.removeAccess(ctx, tx, r); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, r.Actor, "deletion.confirm", "deletion_request", id, fmt.Sprintf("%d account(s)", len(accountIDs))); err != nil {
			return err
		}
		out = d
		if hook != nil {
			return hook(ctx, tx)
		}
		return nil
	})
	return out, err
}
