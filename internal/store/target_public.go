package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sns-os/snsos"
)

// RecordPublicPost records the public id of a published target that was
// delivered without one — a TikTok inbox upload, recorded under the
// upload's id, which the operator has since posted from the TikTok app:
// its remote id and link, and publishedAt as its publication time, from
// which its metric checkpoints are counted (the upload's own time stays in
// its attempt); snapshots taken before it are deleted. hook runs in the same transaction (the checkpoint jobs
// from the new time).
//
// It is a compare-and-set on the target being published under
// fromRemoteID: a target in another state, or whose id someone else
// recorded first, gives ECONFLICT and nothing is written.
func (s *Store) RecordPublicPost(ctx context.Context, targetID int64, fromRemoteID, remoteID, remoteURL string,
	publishedAt time.Time, hook TxHook) (*snsos.Target, error) {
	if remoteID == "" || remoteID == fromRemoteID || publishedAt.IsZero() {
		return nil, snsos.Errorf(snsos.EINVALID, "a public post needs a new id and a time")
	}
	var out *snsos.Target
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		t, err := findTarget(ctx, tx, targetID)
		if err != nil {
			return err
		}
		if t.State != snsos.StatePublished || t.RemoteID != fromRemoteID {
			return snsos.Errorf(snsos.ECONFLICT, "target %d is %s under %q, not published under %q", t.ID, t.State, t.RemoteID, fromRemoteID)
		}
		now := s.nowAfter(t.UpdatedAt)
		res, err := tx.ExecContext(ctx, `UPDATE targets SET remote_id = $1, remote_url = $2, published_at = $3, updated_at = $4
			WHERE id = $5 AND state = $6 AND remote_id = $7 AND updated_at = $8`,
			remoteID, remoteURL, dbTime(publishedAt), now, t.ID, snsos.StatePublished, fromRemoteID, t.UpdatedAt)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return snsos.Errorf(snsos.ECONFLICT, "target %d changed while its public id was recorded", t.ID)
		}
		// Snapshots taken while it waited are about no public post (a
		// checkpoint that stopped waiting, a refresh): they go, so that the
		// checkpoints counted from the new time are taken, not found taken.
		if _, err := tx.ExecContext(ctx, `DELETE FROM metric_snapshots WHERE target_id = $1`, t.ID); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM metric_summary WHERE target_id = $1`, t.ID); err != nil {
			return mapErr(err)
		}
		if err := s.audit(ctx, tx, "system", "target.public", "target", t.ID, "public id "+remoteID+" (was "+fromRemoteID+")"); err != nil {
			return err
		}
		if hook != nil {
			if err := hook(ctx, tx); err != nil {
				return err
			}
		}
		t.RemoteID, t.RemoteURL, t.PublishedAt, t.UpdatedAt = remoteID, remoteURL, publishedAt.UTC().Truncate(time.Microsecond), now
		out = t
		return nil
	})
	return out, err
}
