package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sns-os/snsos"
)

// PurgeResult is what PurgeDeletionRequest deleted from the database.
type PurgeResult struct {
	// Counts is what was deleted; Media is counted by the caller, which
	// deletes those media with their files.
	Counts snsos.PurgeCounts
	// Media are the media of the deleted posts that no other post uses.
	Media []int64
	// Completed reports a request completed before: nothing was done.
	Completed bool
}

// PurgeDeletionRequest deletes, in one transaction, what the confirmed
// deletion request id is about: the targets of its accounts that existed
// when it was confirmed, with the targets' attempts and metric snapshots,
// the posts left with no target (a post also sent to another account keeps
// that account's target), and the accounts themselves while still revoked
// and left with no target. An account connected again within the window
// keeps its row (the same one: UpsertAccount reuses it), its tokens and
// what was posted to it after the confirmation: the user agreed to that
// anew. It records a purge event (see ListPurgeEvents) and returns the
// media the deleted posts used that no other post uses: the caller deletes
// them with their files, then calls CompleteDeletionPurge.
//
// It is ECONFLICT while the request is not confirmed, or while one of the
// targets to delete is being published: under a live lease (its owner's
// lease runs on the database's clock) or parked in a long step (no lease;
// its job comes back to it). The caller tries again later. Run again after
// a stop between the two steps, it deletes nothing more and returns the
// recorded event's counts and media.
func (s *Store) PurgeDeletionRequest(ctx context.Context, id int64) (*PurgeResult, error) {
	res := &PurgeResult{}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		d, err := findDeletionRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case d.Status == snsos.DeletionCompleted:
			res.Completed = true
			return nil
		case d.ConfirmedAt.IsZero():
			return snsos.Errorf(snsos.ECONFLICT, "deletion request %d is not confirmed yet", id)
		}
		if ev, err := findPurgeEvent(ctx, tx, id); err == nil {
			res.Counts, res.Media = ev.Counts, ev.MediaIDs
			return nil
		} else if !snsos.IsCode(err, snsos.ENOTFOUND) {
			return err
		}
		ev, err := s.purgeAccounts(ctx, tx, d.AccountIDs, d.ConfirmedAt)
		if err != nil {
			return err
		}
		ev.RequestID = id
		if err := insertPurgeEvent(ctx, tx, ev, s.nowUTC()); err != nil {
			return err
		}
		res.Counts, res.Media = ev.Counts, ev.MediaIDs
		detail, _ := json.Marshal(ev.Counts)
		return s.audit(ctx, tx, "system", "deletion.purge", "deletion_request", id, string(detail))
	})
	return res, err
}

// purgeAccounts deletes the accounts' targets created at or before
// confirmed and what hangs on them (see PurgeDeletionRequest) and returns
// the event describing it.
func (s *Store) purgeAccounts(ctx context.Context, tx *sql.Tx, accounts []int64, confirmed time.Time) (*PurgeEvent, error) {
	ev := &PurgeEvent{AccountIDs: accounts}
	if len(accounts) == 0 {
		return ev, nil
	}
	in := idList(accounts)
	// A target without a creation time predates the column's backfill or
	// was written by hand: it counts as older, and goes.
	held := `account_id IN (` + in + `) AND (created_at IS NULL OR created_at <= $1)`
	cutoff := confirmed.UTC().Truncate(time.Microsecond)
	dbNow, err := s.dbNow(ctx, tx)
	if err != nil {
		return nil, err
	}
	var busy int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM targets WHERE `+held+` AND state = $2 AND (lease_until IS NULL OR lease_until > $3)
		ORDER BY id LIMIT 1`, cutoff, snsos.StatePublishing, dbNow).Scan(&busy)
	if err == nil {
		return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is being published; the purge waits for it", busy)
	} else if err = mapErr(err); !snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil, err
	}
	posts := map[int64]bool{}
	if err := eachRow(ctx, tx, `SELECT id, post_id FROM targets WHERE `+held+` ORDER BY id`, func(r *sql.Rows) error {
		var tid, pid int64
		if err := r.Scan(&tid, &pid); err != nil {
			return err
		}
		ev.TargetIDs = append(ev.TargetIDs, tid)
		posts[pid] = true
		return nil
	}, cutoff); err != nil {
		return nil, err
	}
	if len(ev.TargetIDs) > 0 {
		if err := s.deleteTargets(ctx, tx, ev); err != nil {
			return nil, err
		}
	}
	if err := s.deleteOrphanPosts(ctx, tx, ev, posts); err != nil {
		return nil, err
	}
	// Only a row still revoked goes: connected or needing its token renewed,
	// the account was connected again since. One with targets made after
	// the confirmation stays too (they need it, and they are not purged).
	gone, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE id IN (`+in+`) AND status = $1
		AND NOT EXISTS (SELECT 1 FROM targets t WHERE t.account_id = accounts.id)`, snsos.AccountRevoked)
	if err != nil {
		return nil, mapErr(err)
	}
	n, _ := gone.RowsAffected()
	ev.Counts.Accounts = int(n)
	return ev, nil
}

// deleteTargets deletes ev's targets with their metric snapshots and
// attempts, counting each.
func (s *Store) deleteTargets(ctx context.Context, tx *sql.Tx, ev *PurgeEvent) error {
	in := idList(ev.TargetIDs)
	for _, step := range []struct {
		query string
		count *int
	}{
		{`DELETE FROM metric_snapshots WHERE target_id IN (` + in + `)`, &ev.Counts.Snapshots},
		{`DELETE FROM attempts WHERE target_id IN (` + in + `)`, &ev.Counts.Attempts},
		{`DELETE FROM targets WHERE id IN (` + in + `)`, &ev.Counts.Targets},
	} {
		res, err := tx.ExecContext(ctx, step.query)
		if err != nil {
			return mapErr(err)
		}
		n, _ := res.RowsAffected()
		*step.count = int(n)
	}
	return nil
}

// deleteOrphanPosts deletes those of posts that have no target left, and
// lists in ev the media they used that no other post uses.
func (s *Store) deleteOrphanPosts(ctx context.Context, tx *sql.Tx, ev *PurgeEvent, posts map[int64]bool) error {
	if len(posts) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(posts))
	for id := range posts {
		ids = append(ids, id)
	}
	if err := eachRow(ctx, tx, `SELECT id FROM posts p WHERE id IN (`+idList(ids)+`)
		AND NOT EXISTS (SELECT 1 FROM targets t WHERE t.post_id = p.id) ORDER BY id`, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		ev.PostIDs = append(ev.PostIDs, id)
		return nil
	}); err != nil {
		return err
	}
	if len(ev.PostIDs) == 0 {
		return nil
	}
	dead := idList(ev.PostIDs)
	if err := eachRow(ctx, tx, `SELECT DISTINCT media_id FROM post_media pm WHERE post_id IN (`+dead+`)
		AND NOT EXISTS (SELECT 1 FROM post_media o WHERE o.media_id = pm.media_id AND o.post_id NOT IN (`+dead+`))
		ORDER BY media_id`, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		ev.MediaIDs = append(ev.MediaIDs, id)
		return nil
	}); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM posts WHERE id IN (`+dead+`)`)
	if err != nil {
		return mapErr(err)
	}
	n, _ := res.RowsAffected()
	ev.Counts.Posts = int(n)
	return nil
}

// eachRow runs query with args in tx and calls fn for each row.
func eachRow(ctx context.Context, tx *sql.Tx, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return mapErr(err)
		}
	}
	return mapErr(rows.Err())
}

// CompleteDeletionPurge marks deletion request id completed with what its
// purge deleted, and forgets the platform user id it named: the request
// stays only as a record that the deletion was done. Completing a request
// completed before changes nothing.
func (s *Store) CompleteDeletionPurge(ctx context.Context, id int64, counts snsos.PurgeCounts) error {
	detail, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("store: encode: %w", err)
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deletion_requests SET status = $1, completed_at = $2, purged = $3, remote_user_id = ''
			WHERE id = $4 AND status <> $1`, snsos.DeletionCompleted, s.nowUTC(), string(detail), id)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := findDeletionRequest(ctx, tx, id); err != nil {
				return err
			}
			return nil // completed before
		}
		return s.audit(ctx, tx, "system", "deletion.complete", "deletion_request", id, string(detail))
	})
}

// PurgeEvent is what one purge deleted: the outbox the git archive
// consumes (it removes these posts and targets from its tree and history,
// then calls MarkPurgeEventArchived).
type PurgeEvent struct {
	ID         int64
	RequestID  int64
	At         time.Time
	AccountIDs []int64
	PostIDs    []int64 // posts deleted
	TargetIDs  []int64 // targets deleted (their posts may remain, for other accounts)
	MediaIDs   []int64 // media no post used any more
	Counts     snsos.PurgeCounts
	ArchivedAt time.Time
}

const purgeEventCols = `id, request_id, at, account_ids, post_ids, target_ids, media_ids, counts, archived_at`

func scanPurgeEvent(r scanner) (*PurgeEvent, error) {
	var ev PurgeEvent
	var accounts, posts, targets, media, counts string
	var archived sql.NullTime
	if err := r.Scan(&ev.ID, &ev.RequestID, &ev.At, &accounts, &posts, &targets, &media, &counts, &archived); err != nil {
		return nil, err
	}
	ev.At, ev.ArchivedAt = ev.At.UTC(), fromNull(archived)
	for _, c := range []struct {
		col string
		ids *[]int64
	}{{accounts, &ev.AccountIDs}, {posts, &ev.PostIDs}, {targets, &ev.TargetIDs}, {media, &ev.MediaIDs}} {
		ids, err := idsFromColumn(c.col)
		if err != nil {
			return nil, err
		}
		*c.ids = ids
	}
	return &ev, fromJSON(counts, &ev.Counts)
}

func findPurgeEvent(ctx context.Context, q querier, requestID int64) (*PurgeEvent, error) {
	ev, err := scanPurgeEvent(q.QueryRowContext(ctx, `SELECT `+purgeEventCols+` FROM purge_events WHERE request_id = $1`, requestID))
	return ev, mapErr(err)
}

func insertPurgeEvent(ctx context.Context, tx *sql.Tx, ev *PurgeEvent, now time.Time) error {
	counts, err := json.Marshal(ev.Counts)
	if err != nil {
		return fmt.Errorf("store: encode: %w", err)
	}
	ev.At = now
	return mapErr(tx.QueryRowContext(ctx, `INSERT INTO purge_events (request_id, at, account_ids, post_ids, target_ids, media_ids, counts)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, ev.RequestID, now, idsColumn(ev.AccountIDs), idsColumn(ev.PostIDs),
		idsColumn(ev.TargetIDs), idsColumn(ev.MediaIDs), string(counts)).Scan(&ev.ID))
}

// ListPurgeEvents returns up to limit purge events not archived yet, oldest
// first.
func (s *Store) ListPurgeEvents(ctx context.Context, limit int) ([]*PurgeEvent, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+purgeEventCols+` FROM purge_events WHERE archived_at IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*PurgeEvent
	for rows.Next() {
		ev, err := scanPurgeEvent(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, ev)
	}
	return out, mapErr(rows.Err())
}

// MarkPurgeEventArchived records that the archive has removed what purge
// event id deleted.
func (s *Store) MarkPurgeEventArchived(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE purge_events SET archived_at = $1 WHERE id = $2`, s.nowUTC(), id)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("purge event", id)
	}
	return nil
}

// ListAuditEventsSince returns the audit events of action recorded at or
// after since, newest first (at most 200).
func (s *Store) ListAuditEventsSince(ctx context.Context, action string, since time.Time) ([]*snsos.AuditEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, actor, action, subject_type, subject_id, detail FROM audit_events
		WHERE action = $1 AND at >= $2 ORDER BY id DESC LIMIT 200`, action, since.UTC().Truncate(time.Microsecond))
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
