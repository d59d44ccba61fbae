package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/sns-os/snsos"
)

// Restoring writes records read back from somewhere else (the git archive,
// a backup) into a database, under the rule that nothing restored acts on
// its own: accounts hold no credential and need connecting again, and a
// delivery that was scheduled or under way waits for the operator, since
// sns-os cannot know what happened to it between the copy and now.

// RestoredReason is the error a restored delivery carries when it was
// scheduled or in flight: the operator checks the platform and resolves it.
const RestoredReason = "restored from a copy while it was %s: sns-os cannot know what happened to it since; " +
	"check the platform, then mark it published or failed (nothing publishes on its own after a restore)"

// RestoredAccountReason is the status reason of a restored account.
const RestoredAccountReason = "restored from a copy without its tokens: connect the account again"

// restoredHold are the states a restored delivery may not keep: each would
// let the engine publish, or reconcile, without the operator's look.
var restoredHold = map[snsos.TargetState]bool{snsos.StateScheduled: true, snsos.StateRetryWait: true,
	snsos.StatePublishing: true, snsos.StateUnknown: true}

// restoredTables hold explicit ids after a restore; PostgreSQL's identity
// sequences must then move past them.
var restoredTables = []string{"accounts", "media", "posts", "targets", "attempts", "metric_snapshots"}

// IsEmpty reports whether the database holds no account, post or media:
// the only kind a restore writes into.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(*) FROM posts) + (SELECT COUNT(*) FROM media)`).Scan(&n)
	return n == 0, mapErr(err)
}

// RestoreAccounts inserts accounts with their ids, in one transaction, as
// needing re-authorisation and without any credential.
func (s *Store) RestoreAccounts(ctx context.Context, accts []*snsos.Account) error {
	now := s.nowUTC()
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, a := range accts {
			if err := a.Validate(); err != nil {
				return fmt.Errorf("account %d: %w", a.ID, err)
			}
			a.Status, a.StatusReason, a.UpdatedAt = snsos.AccountNeedsReauth, RestoredAccountReason, now
			if a.CreatedAt.IsZero() {
				a.CreatedAt = now
			}
			opts, err := toJSON(a.Options)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, platform, remote_id, handle, display_name, avatar_url, status, status_reason, options, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, a.ID, a.Platform, a.RemoteID, a.Handle, a.DisplayName, a.AvatarURL,
				a.Status, a.StatusReason, opts, dbTime(a.CreatedAt), now); err != nil {
				return fmt.Errorf("account %d: %w", a.ID, mapErr(err))
			}
		}
		return s.audit(ctx, tx, "restore", "restore.accounts", "", 0, strconv.Itoa(len(accts))+" accounts, needing re-auth")
	})
}

// RestoreMedia inserts media records with their ids, in one transaction,
// before the posts that use them (RestorePosts then needs no placeholder
// for them). The files are not part of a copy: each record's storage key
// is its content address, where the file is found again once the operator
// copies the media directory or bucket back.
func (s *Store) RestoreMedia(ctx context.Context, media []*snsos.MediaRef) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, m := range media {
			if m.ID <= 0 || m.SHA256 == "" || m.Key == "" || m.Mime == "" || m.CreatedAt.IsZero() {
				return snsos.Errorf(snsos.EINVALID, "media %d needs an id, a hash, a storage key, a type and a creation time", m.ID)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO media (id, sha256, storage_key, mime, size, width, height, duration_ms, frame_rate, codec, filename, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, m.ID, m.SHA256, m.Key, m.Mime, m.Size, m.Width, m.Height,
				m.DurationMS, m.FrameRate, m.Codec, m.Filename, dbTime(m.CreatedAt)); err != nil {
				return fmt.Errorf("media %d: %w", m.ID, mapErr(err))
			}
		}
		return nil
	})
}

// RestorePosts inserts posts with their ids, media lists, targets (ids,
// states, remote ids and links, errors), the targets' attempts (by target
// id) and metric snapshots, in one transaction. A target that was
// scheduled, waiting for a retry, publishing or unknown comes back as
// needs_operator with RestoredReason; no job is queued for any target.
// Media the database lacks (RestoreMedia had no record of them: a copy
// older than the archive's media list) come back as placeholders: their
// ids keep the posts' lists whole, and their type publishes nowhere. It returns how many targets were held.
func (s *Store) RestorePosts(ctx context.Context, posts []*snsos.Post, attempts map[int64][]*snsos.Attempt) (held int, err error) {
	now := s.nowUTC()
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		held = 0
		for _, p := range posts {
			n, err := s.restorePost(ctx, tx, p, attempts, now)
			if err != nil {
				return fmt.Errorf("post %d: %w", p.ID, err)
			}
			held += n
		}
		return nil
	})
	return held, err
}

func (s *Store) restorePost(ctx context.Context, tx *sql.Tx, p *snsos.Post, attempts map[int64][]*snsos.Attempt, now time.Time) (int, error) {
	if p.CreatedAt.IsZero() {
		return 0, snsos.Errorf(snsos.EINVALID, "the post has no creation time")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO posts (id, body, scheduled_at, approved_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.ID, p.Body, dbTime(p.ScheduledAt), dbTime(p.ApprovedAt), dbTime(p.CreatedAt), now); err != nil {
		return 0, mapErr(err)
	}
	p.UpdatedAt = now
	for _, t := range p.Targets {
		if err := placeholderMedia(ctx, tx, t.MediaIDs, now); err != nil {
			return 0, err
		}
	}
	if err := placeholderMedia(ctx, tx, p.MediaIDs, now); err != nil {
		return 0, err
	}
	if err := insertPostMedia(ctx, tx, p); err != nil {
		return 0, err
	}
	held := 0
	for _, t := range p.Targets {
		if restoredHold[t.State] {
			t.Error = fmt.Sprintf(RestoredReason, t.State)
			t.State = snsos.StateNeedsOperator
			held++
		}
		if !t.State.Valid() {
			return 0, snsos.Errorf(snsos.EINVALID, "target %d: state %q is not valid", t.ID, t.State)
		}
		if err := restoreTarget(ctx, tx, p, t, attempts[t.ID], now); err != nil {
			return 0, fmt.Errorf("target %d: %w", t.ID, err)
		}
	}
	return held, nil
}

// placeholderMedia makes sure media ids exist (see RestorePosts).
func placeholderMedia(ctx context.Context, tx *sql.Tx, ids []int64, now time.Time) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO media (id, sha256, storage_key, mime, size, filename, created_at)
			VALUES ($1, $2, $3, 'application/octet-stream', 0, $4, $5) ON CONFLICT DO NOTHING`,
			id, "restored-missing-"+strconv.FormatInt(id, 10), "restored/missing/"+strconv.FormatInt(id, 10),
			"(restored: the file was not in the copy)", now); err != nil {
			return fmt.Errorf("media %d: %w", id, mapErr(err))
		}
	}
	return nil
}

// restoreTarget inserts t (already held when it had to be) with its
// attempts and snapshots. Working state (progress, leases, owners, jobs)
// starts empty: nothing owns a restored target.
func restoreTarget(ctx context.Context, tx *sql.Tx, p *snsos.Post, t *snsos.Target, atts []*snsos.Attempt, now time.Time) error {
	opts, media, err := targetColumns(t)
	if err != nil {
		return err
	}
	var platform snsos.Platform
	if err := tx.QueryRowContext(ctx, `SELECT platform FROM accounts WHERE id = $1`, t.AccountID).Scan(&platform); err != nil {
		return snsos.Errorf(snsos.EINVALID, "account %d is not in the copy", t.AccountID)
	}
	if t.Platform != "" && t.Platform != platform {
		return snsos.Errorf(snsos.EINVALID, "it names platform %s but account %d is on %s", t.Platform, t.AccountID, platform)
	}
	count := 0
	for _, a := range atts {
		count = max(count, a.Number)
	}
	t.PostID, t.Platform, t.UpdatedAt, t.Attempts = p.ID, platform, now, count
	if _, err := tx.ExecContext(ctx, `INSERT INTO targets (id, post_id, account_id, platform, state, body, options, remote_id, remote_url,
		published_at, error, attempts, scheduled_at, updated_at, media_ids, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		t.ID, p.ID, t.AccountID, platform, t.State, t.Body, opts, t.RemoteID, t.RemoteURL, dbTime(t.PublishedAt), t.Error, count,
		dbTime(t.ScheduledAt), now, media, dbTime(p.CreatedAt)); err != nil {
		return mapErr(err)
	}
	for _, a := range atts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO attempts (target_id, number, started_at, finished_at, outcome, detail, error)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.ID, a.Number, dbTime(a.StartedAt), dbTime(a.FinishedAt), a.Outcome, a.Detail, a.Error); err != nil {
			return fmt.Errorf("attempt %d: %w", a.Number, mapErr(err))
		}
	}
	for _, m := range t.Metrics {
		if !m.Checkpoint.Valid() {
			return snsos.Errorf(snsos.EINVALID, "checkpoint %q is not valid", m.Checkpoint)
		}
		m.TargetID = t.ID
		vals, err := toJSON(m.Values)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO metric_snapshots (target_id, checkpoint, status, reason, fetched_at, metrics)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, t.ID, m.Checkpoint, m.Status, m.Reason, dbTime(m.FetchedAt), vals).Scan(&m.ID); err != nil {
			return fmt.Errorf("%s snapshot: %w", m.Checkpoint, mapErr(err))
		}
		if err := summarize(ctx, tx, m, vals); err != nil {
			return err
		}
	}
	return nil
}

// FinishRestore moves PostgreSQL's identity sequences past the ids a
// restore wrote, so the next row gets a fresh id (SQLite's AUTOINCREMENT
// follows explicit ids by itself).
func (s *Store) FinishRestore(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, t := range restoredTables {
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), COALESCE((SELECT MAX(id) FROM `+t+`), 0) + 1, false)`); err != nil {
				return fmt.Errorf("restore: move the %s ids on: %w", t, mapErr(err))
			}
		}
		return nil
	})
}

// SettleRestoredCopy makes a database copied from a backup safe to start:
// every delivery that was scheduled or in flight waits for the operator
// (as RestorePosts does), and River's unfinished jobs are deleted, so
// nothing runs on start that the copy had queued. It returns how many
// targets were held and how many jobs were deleted. SQLite only (a backup
// is a SQLite file).
func (s *Store) SettleRestoredCopy(ctx context.Context) (held, jobs int, err error) {
	now := s.nowUTC()
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, state FROM targets WHERE state IN ('scheduled', 'retry_wait', 'publishing', 'unknown') ORDER BY id`)
		if err != nil {
			return mapErr(err)
		}
		type row struct {
			id    int64
			state string
		}
		var ts []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.state); err != nil {
				rows.Close()
				return mapErr(err)
			}
			ts = append(ts, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return mapErr(err)
		}
		for _, r := range ts {
			if _, err := tx.ExecContext(ctx, `UPDATE targets SET state = 'needs_operator', error = $1, updated_at = $2, owner_attempt = 0,
				owner_job = 0, lease_until = NULL, due_at = NULL, settle_after = NULL WHERE id = $3`,
				fmt.Sprintf(RestoredReason, r.state), s.nowAfter(now), r.id); err != nil {
				return mapErr(err)
			}
			if err := s.audit(ctx, tx, "restore", "target.restore_hold", "target", r.id, "was "+r.state); err != nil {
				return err
			}
		}
		held = len(ts)
		res, err := tx.ExecContext(ctx, `DELETE FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`)
		if err != nil {
			return fmt.Errorf("restore: remove the copy's queued jobs: %w", mapErr(err))
		}
		n, _ := res.RowsAffected()
		jobs = int(n)
		return nil
	})
	return held, jobs, err
}
