package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sns-os/snsos"
)

// Transition is the store's name for snsos.TargetTransition.
type Transition = snsos.TargetTransition

// TransitionTarget moves a target from tr.From to tr.To if, and only if, it
// is in tr.From now (compare-and-set) and the state machine allows the edge.
// A target in another state, owned by another attempt than tr.Owner, or
// whose lease has not run out when tr.LeaseExpired asks for it, gives
// ECONFLICT; one that does not exist, ENOTFOUND. It returns the target as
// written.
//
// The store keeps the ownership columns: a move to publishing with an
// attempt makes that attempt the owner, leased until the database's clock
// plus tr.Lease; any move out of publishing ends the lease.
func (s *Store) TransitionTarget(ctx context.Context, tr Transition) (*snsos.Target, error) {
	if !snsos.CanTransition(tr.From, tr.To) {
		return nil, snsos.TransitionError(tr.From, tr.To)
	}
	var out *snsos.Target
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		t, dbNow, err := s.checkTransition(ctx, tx, tr)
		if err != nil {
			return err
		}
		// The update below is a compare-and-set on the row as read: its
		// state and its updated_at (which every writer of a target sets). On
		// PostgreSQL an edit committed between this read and the update
		// would otherwise match the state and be overwritten with the
		// stale body, options and time.
		read := t.UpdatedAt
		if err := s.moveTarget(ctx, tx, tr, t, read, dbNow); err != nil {
			return err
		}
		if err := updateMovedTarget(ctx, tx, tr, t, read); err != nil {
			return err
		}
		if err := s.recordTransition(ctx, tx, tr, t); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

// checkTransition reads target tr.TargetID inside tx and checks that tr
// may move it: its state, version, owner and lease. It also returns the
// database's clock when the lease check or a new attempt's lease needs it
// (zero otherwise).
func (s *Store) checkTransition(ctx context.Context, tx *sql.Tx, tr Transition) (*snsos.Target, time.Time, error) {
	t, err := findTarget(ctx, tx, tr.TargetID)
	if err != nil {
		return nil, time.Time{}, err
	}
	if t.State != tr.From {
		return nil, time.Time{}, snsos.Errorf(snsos.ECONFLICT, "target %d is %s, not %s", t.ID, t.State, tr.From)
	}
	if !tr.Expect.IsZero() && !t.UpdatedAt.Equal(tr.Expect) {
		return nil, time.Time{}, snsos.Errorf(snsos.ECONFLICT, "target %d changed since it was read", t.ID)
	}
	if tr.Owner != 0 && t.OwnerAttempt != tr.Owner {
		return nil, time.Time{}, snsos.Errorf(snsos.ECONFLICT, "target %d is owned by attempt %d, not %d", t.ID, t.OwnerAttempt, tr.Owner)
	}
	var dbNow time.Time
	if tr.LeaseExpired || (tr.To == snsos.StatePublishing && tr.Attempt != nil) {
		if dbNow, err = s.dbNow(ctx, tx); err != nil {
			return nil, time.Time{}, err
		}
	}
	if tr.LeaseExpired && (t.LeaseUntil.IsZero() || !t.LeaseUntil.Before(dbNow)) {
		return nil, time.Time{}, snsos.Errorf(snsos.ECONFLICT, "target %d: the lease of attempt %d has not run out", t.ID, t.OwnerAttempt)
	}
	return t, dbNow, nil
}

// moveTarget applies tr to t, read at version read: the caller's changes,
// the new state and a newer version; a new attempt, inserted inside tx,
// which owns a target moving to publishing, leased from dbNow; the end of
// the lease out of publishing, and the publication time.
func (s *Store) moveTarget(ctx context.Context, tx *sql.Tx, tr Transition, t *snsos.Target, read, dbNow time.Time) error {
	if tr.Mutate != nil {
		tr.Mutate(t)
	}
	t.State = tr.To
	t.UpdatedAt = s.nowUTC()
	if !t.UpdatedAt.After(read) { // a clock that did not move must still change the version
		t.UpdatedAt = read.Add(time.Microsecond)
	}
	if tr.Attempt != nil {
		t.Attempts++
		a := tr.Attempt
		a.TargetID, a.Number, a.StartedAt = t.ID, t.Attempts, t.UpdatedAt
		if err := tx.QueryRowContext(ctx, `INSERT INTO attempts (target_id, number, started_at, detail) VALUES ($1, $2, $3, $4) RETURNING id`,
			a.TargetID, a.Number, a.StartedAt, a.Detail).Scan(&a.ID); err != nil {
			return mapErr(err)
		}
		if tr.To == snsos.StatePublishing {
			t.OwnerAttempt, t.OwnerJob = a.ID, tr.Job
			t.LeaseUntil = dbNow.Add(tr.Lease).Truncate(time.Microsecond)
		}
	}
	if tr.To != snsos.StatePublishing {
		t.LeaseUntil = time.Time{}
	}
	if tr.To == snsos.StatePublished && t.PublishedAt.IsZero() {
		t.PublishedAt = t.UpdatedAt
	}
	return nil
}

// updateMovedTarget writes the moved target t inside tx, if its row is
// still in tr.From at version read; ECONFLICT otherwise.
func updateMovedTarget(ctx context.Context, tx *sql.Tx, tr Transition, t *snsos.Target, read time.Time) error {
	progress, err := toJSON(t.Progress)
	if err != nil {
		return err
	}
	opts, media, err := targetColumns(t)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE targets SET state = $1, body = $2, options = $3, progress = $4, remote_id = $5, remote_url = $6,
		published_at = $7, error = $8, attempts = $9, scheduled_at = $10, updated_at = $11,
		owner_attempt = $12, owner_job = $13, lease_until = $14, job_seq = $15, settle_after = $16, duplicate_at = $17,
		ambiguous_since = $18, reconcile_tries = $19, partial = $20, attempt_base = $21, due_at = $22, media_ids = $23
		WHERE id = $24 AND state = $25 AND updated_at = $26`,
		t.State, t.Body, opts, progress, t.RemoteID, t.RemoteURL, dbTime(t.PublishedAt), t.Error, t.Attempts,
		dbTime(t.ScheduledAt), t.UpdatedAt,
		t.OwnerAttempt, t.OwnerJob, dbTime(t.LeaseUntil), t.JobSeq, dbTime(t.SettleAfter), dbTime(t.DuplicateAt),
		dbTime(t.AmbiguousSince), t.ReconcileTries, t.Partial, t.AttemptBase, dbTime(t.DueAt), media,
		t.ID, tr.From, read)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n != 1 { // lost a race with another writer
		return snsos.Errorf(snsos.ECONFLICT, "target %d changed while being moved to %s", t.ID, tr.To)
	}
	return nil
}

// recordTransition finishes, inside tx, the attempt tr.Finish with the
// moved target t's state, writes the audit row and runs tr.Hook.
func (s *Store) recordTransition(ctx context.Context, tx *sql.Tx, tr Transition, t *snsos.Target) error {
	if a := tr.Finish; a != nil && a.ID != 0 {
		a.FinishedAt, a.Outcome = t.UpdatedAt, tr.To
		if _, err := tx.ExecContext(ctx, `UPDATE attempts SET finished_at = $1, outcome = $2, detail = $3, error = $4 WHERE id = $5`,
			a.FinishedAt, a.Outcome, a.Detail, a.Error, a.ID); err != nil {
			return mapErr(err)
		}
	}
	actor := tr.Actor
	if actor == "" {
		actor = "system"
	}
	if err := s.audit(ctx, tx, actor, "target.transition", "target", t.ID, string(tr.From)+" -> "+string(tr.To)+" "+tr.Detail); err != nil {
		return err
	}
	if tr.Hook != nil {
		if err := tr.Hook(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// SetTargetProgress records one intermediate id of an unfinished
// publication (and commits it). It is a write of the attempt that owns the
// target: it succeeds only while the target is publishing and owned by
// owner (ECONFLICT otherwise), so a call orphaned by a takeover can never
// write into a later attempt's record.
func (s *Store) SetTargetProgress(ctx context.Context, targetID, owner int64, key, value string) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		t, err := findTarget(ctx, tx, targetID)
		if err != nil {
			return err
		}
		if t.State != snsos.StatePublishing || t.OwnerAttempt != owner {
			return snsos.Errorf(snsos.ECONFLICT, "target %d is %s (attempt %d); attempt %d may no longer record progress", targetID, t.State, t.OwnerAttempt, owner)
		}
		if t.Progress == nil {
			t.Progress = map[string]string{}
		}
		t.Progress[key] = value
		progress, err := toJSON(t.Progress)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE targets SET progress = $1, updated_at = $2 WHERE id = $3 AND state = 'publishing' AND owner_attempt = $4`,
			progress, s.nowAfter(t.UpdatedAt), targetID, owner)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return snsos.Errorf(snsos.ECONFLICT, "target %d changed while its progress was recorded", targetID)
		}
		return nil
	})
}

// SetTargetLease renews (lease > 0) or parks (lease == 0: a long step
// waits with nothing in flight, its job snoozed) the lease of the attempt
// owner of a publishing target, and records job as the job that runs it.
// The new lease runs from the database's clock. ECONFLICT when the target
// is no longer publishing under owner.
func (s *Store) SetTargetLease(ctx context.Context, targetID, owner, job int64, lease time.Duration) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		var until any
		if lease > 0 {
			now, err := s.dbNow(ctx, tx)
			if err != nil {
				return err
			}
			until = dbTime(now.Add(lease))
		}
		res, err := tx.ExecContext(ctx, `UPDATE targets SET lease_until = $1, owner_job = $2 WHERE id = $3 AND state = 'publishing' AND owner_attempt = $4`,
			until, job, targetID, owner)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return snsos.Errorf(snsos.ECONFLICT, "target %d is no longer publishing under attempt %d", targetID, owner)
		}
		return nil
	})
}
