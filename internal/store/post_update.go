package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sns-os/snsos"
)

// EditableStates are the target states in which a post's content may still
// change: nothing has been sent to a platform yet. Moving between them is
// always a composition of edges of the state machine (draft ⇄ approved ⇄
// scheduled), all of them the operator's.
var EditableStates = []snsos.TargetState{snsos.StateDraft, snsos.StateApproved, snsos.StateScheduled}

func editable(s snsos.TargetState) bool {
	for _, e := range EditableStates {
		if s == e {
			return true
		}
	}
	return false
}

// UpdatePost saves an edited post in one transaction with an audit row: its
// body, scheduled and approval times, media (in order, with their alt
// texts) and targets. p.Targets is the whole new list: a target with an ID
// is updated (body, options, own media list, state, scheduled time), one
// without is added, and a stored target the list lacks is deleted.
//
// It is a compare-and-set: every stored target must be as expect gives it
// (state and updated_at, the version the caller read), and every state before and after must be an editable one
// (EditableStates). Otherwise — a target started publishing meanwhile, or
// another window changed the post — it returns ECONFLICT and changes
// nothing. hook runs last in the transaction (the engine inserts the jobs of
// targets it schedules there; each scheduled target's JobSeq is the number
// of its new publish job).
func (s *Store) UpdatePost(ctx context.Context, p *snsos.Post, expect map[int64]snsos.TargetVersion, hook TxHook) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := s.nowUTC()
	return s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE posts SET body = $1, scheduled_at = $2, approved_at = $3, updated_at = $4 WHERE id = $5`,
			p.Body, dbTime(p.ScheduledAt), dbTime(p.ApprovedAt), now, p.ID)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("post", p.ID)
		}
		stored, err := s.listTargetsTx(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		byID, err := checkStoredTargets(p.ID, stored, expect)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM post_media WHERE post_id = $1`, p.ID); err != nil {
			return mapErr(err)
		}
		if err := insertPostMedia(ctx, tx, p); err != nil {
			return err
		}
		kept := map[int64]bool{}
		added := 0
		for _, t := range p.Targets {
			if t.ID == 0 {
				if err := s.insertTarget(ctx, tx, p, t, now); err != nil {
					return err
				}
				added++
				continue
			}
			old, ok := byID[t.ID]
			if !ok || kept[t.ID] {
				return snsos.Errorf(snsos.EINVALID, "target %d is not a target of post %d", t.ID, p.ID)
			}
			kept[t.ID] = true
			if err := s.updateEditedTarget(ctx, tx, p, t, old, now); err != nil {
				return err
			}
		}
		removed, err := deleteDroppedTargets(ctx, tx, stored, kept)
		if err != nil {
			return err
		}
		p.UpdatedAt = now
		if err := s.audit(ctx, tx, "operator", "post.update", "post", p.ID,
			fmt.Sprintf("%d targets (%d added, %d removed), %d media", len(p.Targets), added, removed, len(p.MediaIDs))); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx)
		}
		return nil
	})
}

// checkStoredTargets checks that every stored target of post postID is as
// expect gives it and still editable, and returns them by id.
func checkStoredTargets(postID int64, stored []*snsos.Target, expect map[int64]snsos.TargetVersion) (map[int64]*snsos.Target, error) {
	byID := map[int64]*snsos.Target{}
	for _, t := range stored {
		want, ok := expect[t.ID]
		if !ok || t.State != want.State || !t.UpdatedAt.Equal(want.UpdatedAt) {
			return nil, snsos.Errorf(snsos.ECONFLICT, "target %d of post %d changed (it is %s now); reload the post and edit it again", t.ID, postID, t.State)
		}
		if !editable(t.State) {
			return nil, snsos.Errorf(snsos.ECONFLICT, "target %d of post %d is %s; a post can only be edited before it is published (duplicate it instead)", t.ID, postID, t.State)
		}
		byID[t.ID] = t
	}
	return byID, nil
}

// updateEditedTarget saves the edit t of target old (as stored) of post p
// inside tx: a compare-and-set on old's state and version. It fills in t's
// state when the edit leaves it out, and t's new version and job number.
func (s *Store) updateEditedTarget(ctx context.Context, tx *sql.Tx, p *snsos.Post, t, old *snsos.Target, now time.Time) error {
	if t.AccountID != 0 && t.AccountID != old.AccountID {
		return snsos.Errorf(snsos.EINVALID, "target %d cannot move to another account; remove it and add a new one", t.ID)
	}
	if t.State == "" {
		t.State = old.State
	}
	if !editable(t.State) {
		return snsos.Errorf(snsos.EINVALID, "an edited target cannot become %s", t.State)
	}
	if t.State == snsos.StateScheduled && t.ScheduledAt.IsZero() {
		return snsos.Errorf(snsos.EINVALID, "a scheduled target needs a time")
	}
	opts, media, err := targetColumns(t)
	if err != nil {
		return err
	}
	seq := old.JobSeq
	if t.State == snsos.StateScheduled {
		seq++ // a new publish job; any earlier one is stale
	}
	ts := now
	if !ts.After(old.UpdatedAt) {
		ts = old.UpdatedAt.Add(time.Microsecond)
	}
	res, err := tx.ExecContext(ctx, `UPDATE targets SET body = $1, options = $2, state = $3, scheduled_at = $4, error = '', preflight = '', updated_at = $5, job_seq = $6,
		media_ids = $7
		WHERE id = $8 AND state = $9 AND updated_at = $10`, t.Body, opts, t.State, dbTime(t.ScheduledAt), ts, seq, media, t.ID, old.State, old.UpdatedAt)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return snsos.Errorf(snsos.ECONFLICT, "target %d changed while the post was being saved", t.ID)
	}
	t.JobSeq = seq
	t.PostID, t.AccountID, t.Platform, t.UpdatedAt = p.ID, old.AccountID, old.Platform, ts
	if t.State != old.State {
		if err := s.audit(ctx, tx, "operator", "target.transition", "target", t.ID, string(old.State)+" -> "+string(t.State)+" edit"); err != nil {
			return err
		}
	}
	return nil
}

// deleteDroppedTargets deletes, inside tx, the stored targets the edited
// post no longer has (those not kept), each only while it is still in the
// state it was read in. It returns how many it deleted.
func deleteDroppedTargets(ctx context.Context, tx *sql.Tx, stored []*snsos.Target, kept map[int64]bool) (int, error) {
	removed := 0
	for _, old := range stored {
		if kept[old.ID] {
			continue
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM targets WHERE id = $1 AND state = $2`, old.ID, old.State)
		if err != nil {
			return removed, mapErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return removed, snsos.Errorf(snsos.ECONFLICT, "target %d changed while the post was being saved", old.ID)
		}
		removed++
	}
	return removed, nil
}

// listTargetsTx reads a post's targets inside tx.
func (s *Store) listTargetsTx(ctx context.Context, tx *sql.Tx, postID int64) ([]*snsos.Target, error) {
	return queryTargets(ctx, tx, `SELECT `+targetCols+` FROM targets WHERE post_id = $1 ORDER BY id`, postID)
}
