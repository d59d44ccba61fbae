package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// CreatePost stores a new post with its media and targets in one
// transaction. Targets start as drafts unless they carry another pre-publish
// state (approved or scheduled — the caller's hook then enqueues the job).
// It fills in the ids and times.
func (s *Store) CreatePost(ctx context.Context, p *snsos.Post, hook TxHook) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := s.nowUTC()
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO posts (body, scheduled_at, approved_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4) RETURNING id`, p.Body, dbTime(p.ScheduledAt), dbTime(p.ApprovedAt), now).Scan(&p.ID); err != nil {
			return mapErr(err)
		}
		p.CreatedAt, p.UpdatedAt = now, now
		if err := insertPostMedia(ctx, tx, p); err != nil {
			return err
		}
		for _, t := range p.Targets {
			if err := s.insertTarget(ctx, tx, p, t, now); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, "operator", "post.create", "post", p.ID, fmt.Sprintf("%d targets", len(p.Targets))); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx)
		}
		return nil
	})
}

// insertPostMedia writes the post's media in order with their alt texts.
func insertPostMedia(ctx context.Context, tx *sql.Tx, p *snsos.Post) error {
	for i, mid := range p.MediaIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_media (post_id, position, media_id, alt_text) VALUES ($1, $2, $3, $4)`,
			p.ID, i, mid, p.MediaAlt[mid]); err != nil {
			if err = mapErr(err); snsos.IsCode(err, snsos.ECONFLICT) {
				return snsos.Errorf(snsos.EINVALID, "media %d does not exist", mid)
			}
			return err
		}
	}
	return nil
}

func (s *Store) insertTarget(ctx context.Context, tx *sql.Tx, p *snsos.Post, t *snsos.Target, now time.Time) error {
	var platform snsos.Platform
	if err := tx.QueryRowContext(ctx, `SELECT platform FROM accounts WHERE id = $1`, t.AccountID).Scan(&platform); err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ENOTFOUND) {
			return snsos.Errorf(snsos.EINVALID, "account %d does not exist", t.AccountID)
		}
		return mapErr(err)
	}
	if t.State == "" {
		t.State = snsos.StateDraft
	}
	switch t.State {
	case snsos.StateDraft, snsos.StateApproved, snsos.StateScheduled:
	default:
		return snsos.Errorf(snsos.EINVALID, "a new target cannot start as %s", t.State)
	}
	if t.ScheduledAt.IsZero() {
		t.ScheduledAt = p.ScheduledAt
	}
	if t.State == snsos.StateScheduled && t.ScheduledAt.IsZero() {
		return snsos.Errorf(snsos.EINVALID, "a scheduled target needs a time")
	}
	opts, media, err := targetColumns(t)
	if err != nil {
		return err
	}
	t.PostID, t.Platform, t.UpdatedAt = p.ID, platform, now
	t.JobSeq = 0
	if t.State == snsos.StateScheduled {
		t.JobSeq = 1 // the caller's hook queues publish job 1
	}
	// created_at is when the purge of a data-deletion request tells the
	// targets it deletes from those made after a reconnect (purge.go).
	err = tx.QueryRowContext(ctx, `INSERT INTO targets (post_id, account_id, platform, state, body, options, scheduled_at, updated_at, job_seq, media_ids, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8) RETURNING id`,
		p.ID, t.AccountID, platform, t.State, t.Body, opts, dbTime(t.ScheduledAt), now, t.JobSeq, media).Scan(&t.ID)
	return mapErr(err)
}

// targetColumns encodes target t's options and own media list for their
// columns.
func targetColumns(t *snsos.Target) (opts string, media sql.NullString, err error) {
	if opts, err = toJSON(t.Options); err != nil {
		return "", sql.NullString{}, err
	}
	if media, err = mediaIDsColumn(t.MediaIDs); err != nil {
		return "", sql.NullString{}, err
	}
	return opts, media, nil
}

// mediaIDsColumn encodes a target's own media list for targets.media_ids:
// NULL for nil (the post's media), a JSON list otherwise ("[]": none).
func mediaIDsColumn(ids []int64) (sql.NullString, error) {
	if ids == nil {
		return sql.NullString{}, nil
	}
	s, err := toJSON(ids)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: s, Valid: true}, nil
}

// mediaIDsFromColumn decodes targets.media_ids: nil for NULL, a non-nil
// list (possibly empty) otherwise.
func mediaIDsFromColumn(c sql.NullString) ([]int64, error) {
	if !c.Valid {
		return nil, nil
	}
	ids := []int64{}
	if err := fromJSON(c.String, &ids); err != nil {
		return nil, err
	}
	return ids, nil
}

const targetCols = `id, post_id, account_id, platform, state, body, options, progress, remote_id, remote_url, published_at, error, attempts, scheduled_at, updated_at, preflight, preflight_at,
	owner_attempt, owner_job, lease_until, job_seq, settle_after, duplicate_at, ambiguous_since, reconcile_tries, partial, attempt_base, due_at, media_ids`

func scanTarget(r scanner) (*snsos.Target, error) {
	var t snsos.Target
	var opts, progress string
	var media sql.NullString
	var published, scheduled, preflightAt, lease, settle, dup, ambiguous, due sql.NullTime
	if err := r.Scan(&t.ID, &t.PostID, &t.AccountID, &t.Platform, &t.State, &t.Body, &opts, &progress,
		&t.RemoteID, &t.RemoteURL, &published, &t.Error, &t.Attempts, &scheduled, &t.UpdatedAt, &t.Preflight, &preflightAt,
		&t.OwnerAttempt, &t.OwnerJob, &lease, &t.JobSeq, &settle, &dup, &ambiguous, &t.ReconcileTries, &t.Partial, &t.AttemptBase, &due, &media); err != nil {
		return nil, err
	}
	var err error
	if t.MediaIDs, err = mediaIDsFromColumn(media); err != nil {
		return nil, err
	}
	t.PublishedAt, t.ScheduledAt, t.UpdatedAt = fromNull(published), fromNull(scheduled), t.UpdatedAt.UTC()
	t.PreflightAt = fromNull(preflightAt)
	t.LeaseUntil, t.SettleAfter, t.DuplicateAt, t.AmbiguousSince = fromNull(lease), fromNull(settle), fromNull(dup), fromNull(ambiguous)
	t.DueAt = fromNull(due)
	if err := fromJSON(opts, &t.Options); err != nil {
		return nil, err
	}
	if err := fromJSON(progress, &t.Progress); err != nil {
		return nil, err
	}
	t.Metrics = []*snsos.MetricSnapshot{}
	return &t, nil
}

// FindTargetByID returns a target (without metrics) or ENOTFOUND.
func (s *Store) FindTargetByID(ctx context.Context, id int64) (*snsos.Target, error) {
	return findTarget(ctx, s.db, id)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func findTarget(ctx context.Context, q querier, id int64) (*snsos.Target, error) {
	t, err := scanTarget(q.QueryRowContext(ctx, `SELECT `+targetCols+` FROM targets WHERE id = $1`, id))
	if err != nil {
		if snsos.IsCode(mapErr(err), snsos.ENOTFOUND) {
			return nil, notFound("target", id)
		}
		return nil, mapErr(err)
	}
	return t, nil
}

// FindPostByID returns a post with its media ids, targets and their metric
// snapshots.
func (s *Store) FindPostByID(ctx context.Context, id int64) (*snsos.Post, error) {
	p, err := scanPost(s.db.QueryRowContext(ctx, `SELECT `+postCols+` FROM posts WHERE id = $1`, id))
	if err != nil {
		if snsos.IsCode(mapErr(err), snsos.ENOTFOUND) {
			return nil, notFound("post", id)
		}
		return nil, mapErr(err)
	}
	if err := s.loadPostParts(ctx, []*snsos.Post{p}); err != nil {
		return nil, err
	}
	return p, nil
}

const postCols = `id, body, scheduled_at, approved_at, created_at, updated_at`

func scanPost(r scanner) (*snsos.Post, error) {
	var p snsos.Post
	var scheduled, approved sql.NullTime
	if err := r.Scan(&p.ID, &p.Body, &scheduled, &approved, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.ScheduledAt, p.ApprovedAt = fromNull(scheduled), fromNull(approved)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

// queryPosts runs query, which selects postCols, and returns the posts with
// their parts.
func (s *Store) queryPosts(ctx context.Context, query string, args ...any) ([]*snsos.Post, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	var posts []*snsos.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			rows.Close()
			return nil, mapErr(err)
		}
		posts = append(posts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return posts, s.loadPostParts(ctx, posts)
}

// findPosts returns the posts with these ids, with their parts, in the
// order of ids; ids of posts that do not exist (any more) are skipped.
func (s *Store) findPosts(ctx context.Context, ids []int64) ([]*snsos.Post, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := s.queryPosts(ctx, `SELECT `+postCols+` FROM posts WHERE id IN (`+idList(ids)+`)`)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*snsos.Post, len(found))
	for _, p := range found {
		byID[p.ID] = p
	}
	out := make([]*snsos.Post, 0, len(found))
	for _, id := range ids {
		if p := byID[id]; p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// idList renders ids as a comma-separated SQL list of integer literals
// (integers cannot inject anything, and a literal list has no
// bound-parameter limit).
func idList(ids []int64) string {
	b := make([]byte, 0, len(ids)*8)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// PostFilter narrows ListPosts.
type PostFilter struct {
	State snsos.TargetState // posts with at least one target in this state
	Limit int               // default 50, at most 500
	// BeforeID pages backwards: posts with a smaller id.
	BeforeID int64
}

// ListPosts returns posts, newest first, with their targets.
func (s *Store) ListPosts(ctx context.Context, f PostFilter) ([]*snsos.Post, error) {
	query, args := listPostsQuery(f)
	return s.queryPosts(ctx, query, args...)
}

// listPostsQuery is ListPosts' query. Each condition is written only when
// it is set: a "$1 = 0 OR id < $1" would be planned for both cases, and
// SQLite would then walk the ids from the newest down to BeforeID instead
// of starting there.
func listPostsQuery(f PostFilter) (string, []any) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var where []string
	var args []any
	if f.BeforeID > 0 {
		args = append(args, f.BeforeID)
		where = append(where, `p.id < $`+strconv.Itoa(len(args)))
	}
	if f.State != "" {
		args = append(args, string(f.State))
		where = append(where, `EXISTS (SELECT 1 FROM targets t WHERE t.post_id = p.id AND t.state = $`+strconv.Itoa(len(args))+`)`)
	}
	wh := ""
	if len(where) > 0 {
		wh = ` WHERE ` + strings.Join(where, ` AND `)
	}
	return `SELECT ` + postCols + ` FROM posts p` + wh + ` ORDER BY p.id DESC LIMIT ` + strconv.Itoa(f.Limit), args
}

// loadPostParts fills media ids and alt texts, targets, metrics and the
// derived status of posts: three queries whatever the number of posts.
func (s *Store) loadPostParts(ctx context.Context, posts []*snsos.Post) error {
	if len(posts) == 0 {
		return nil
	}
	byID := make(map[int64]*snsos.Post, len(posts))
	ids := make([]int64, len(posts))
	for i, p := range posts {
		p.MediaIDs, p.MediaAlt, p.Targets = []int64{}, nil, []*snsos.Target{}
		byID[p.ID], ids[i] = p, p.ID
	}
	in := idList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT post_id, media_id, alt_text FROM post_media WHERE post_id IN (`+in+`) ORDER BY post_id, position`)
	if err != nil {
		return mapErr(err)
	}
	for rows.Next() {
		var postID, id int64
		var alt string
		if err := rows.Scan(&postID, &id, &alt); err != nil {
			rows.Close()
			return mapErr(err)
		}
		p := byID[postID]
		p.MediaIDs = append(p.MediaIDs, id)
		if alt != "" {
			if p.MediaAlt == nil {
				p.MediaAlt = map[int64]string{}
			}
			p.MediaAlt[id] = alt
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return mapErr(err)
	}
	targets, err := s.listTargets(ctx, `post_id IN (`+in+`)`)
	if err != nil {
		return err
	}
	byTarget := make(map[int64]*snsos.Target, len(targets))
	for _, t := range targets {
		p := byID[t.PostID]
		p.Targets = append(p.Targets, t)
		byTarget[t.ID] = t
	}
	if len(targets) > 0 {
		snaps, err := s.listSnapshots(ctx, `target_id IN (SELECT id FROM targets WHERE post_id IN (`+in+`))`)
		if err != nil {
			return err
		}
		for _, m := range snaps {
			if t := byTarget[m.TargetID]; t != nil {
				t.Metrics = append(t.Metrics, m)
			}
		}
	}
	for _, p := range posts {
		p.Status = DerivePostStatus(p.Targets)
	}
	return nil
}

func (s *Store) listTargets(ctx context.Context, where string, args ...any) ([]*snsos.Target, error) {
	return queryTargets(ctx, s.db, `SELECT `+targetCols+` FROM targets WHERE `+where+` ORDER BY id`, args...)
}

// queryTargets runs query, which selects targetCols, and scans every row.
func queryTargets(ctx context.Context, q querier, query string, args ...any) ([]*snsos.Target, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*snsos.Target{}
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, t)
	}
	return out, mapErr(rows.Err())
}

// ListTargetsByState returns every target in one of the states, oldest first.
func (s *Store) ListTargetsByState(ctx context.Context, states ...snsos.TargetState) ([]*snsos.Target, error) {
	var out []*snsos.Target
	for _, st := range states {
		ts, err := s.listTargets(ctx, `state = $1`, st)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

// DerivePostStatus summarises a post's targets.
func DerivePostStatus(ts []*snsos.Target) snsos.PostStatus {
	if len(ts) == 0 {
		return snsos.PostDraft
	}
	count := map[snsos.TargetState]int{}
	for _, t := range ts {
		count[t.State]++
	}
	n := len(ts)
	switch {
	case count[snsos.StateUnknown]+count[snsos.StateNeedsOperator] > 0:
		return snsos.PostAttention
	case count[snsos.StatePublishing]+count[snsos.StateRetryWait] > 0:
		return snsos.PostPublishing
	case count[snsos.StatePublished] == n:
		return snsos.PostPublished
	case count[snsos.StatePublished] > 0:
		return snsos.PostPartial
	case count[snsos.StateFailed] > 0:
		return snsos.PostFailed
	case count[snsos.StateCanceled] == n:
		return snsos.PostCanceled
	case count[snsos.StateScheduled] > 0:
		return snsos.PostScheduled
	case count[snsos.StateApproved] > 0:
		return snsos.PostApproved
	}
	return snsos.PostDraft
}

// FindTargetByRemoteID returns the target of the account recorded under
// the platform's post id — as its remote id, or as the id of one of its
// thread parts in its progress — or ENOTFOUND.
func (s *Store) FindTargetByRemoteID(ctx context.Context, accountID int64, remoteID string) (*snsos.Target, error) {
	ts, err := s.listTargets(ctx, `account_id = $1 AND (remote_id = $2 OR progress LIKE $3)`, accountID, remoteID, `%"`+remoteID+`"%`)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.RemoteID == remoteID {
			return t, nil
		}
		for k, v := range t.Progress {
			if v == remoteID && strings.HasSuffix(k, ".post_id") {
				return t, nil
			}
		}
	}
	return nil, snsos.Errorf(snsos.ENOTFOUND, "no target of account %d is recorded under %s", accountID, remoteID)
}

// ListOverdueTargets returns the targets whose job should have run before
// before: scheduled ones whose time passed, retry_wait and unknown ones
// whose job was due, and every publishing one (at most limit).
func (s *Store) ListOverdueTargets(ctx context.Context, before time.Time, limit int) ([]*snsos.Target, error) {
	return queryTargets(ctx, s.db, `SELECT `+targetCols+` FROM targets WHERE
		(state = 'scheduled' AND scheduled_at < $1) OR (state IN ('retry_wait', 'unknown') AND due_at < $1) OR state = 'publishing'
		ORDER BY id LIMIT $2`, dbTime(before), limit)
}

// DBNow returns the database's clock (moved by SetDBClockOffset in tests):
// the clock of cross-process leases.
func (s *Store) DBNow(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = s.dbNow(ctx, tx)
		return err
	})
	return t, err
}

// ListAttempts returns a target's attempts, oldest first.
func (s *Store) ListAttempts(ctx context.Context, targetID int64) ([]*snsos.Attempt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, target_id, number, started_at, finished_at, outcome, detail, error FROM attempts WHERE target_id = $1 ORDER BY number`, targetID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*snsos.Attempt
	for rows.Next() {
		var a snsos.Attempt
		var fin sql.NullTime
		if err := rows.Scan(&a.ID, &a.TargetID, &a.Number, &a.StartedAt, &fin, &a.Outcome, &a.Detail, &a.Error); err != nil {
			return nil, mapErr(err)
		}
		a.StartedAt, a.FinishedAt = a.StartedAt.UTC(), fromNull(fin)
		out = append(out, &a)
	}
	return out, mapErr(rows.Err())
}

// SetTargetPreflight records what the preflight check found ("" for
// nothing) without changing the target's state.
func (s *Store) SetTargetPreflight(ctx context.Context, targetID int64, problems string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE targets SET preflight = $1, preflight_at = $2 WHERE id = $3`, problems, s.nowUTC(), targetID)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("target", targetID)
	}
	return nil
}

// CountAccountDeliveries counts the account's targets that are published,
// or on their way to be, at a time in [from, to): what a platform's rolling
// publishing quota counts. excludeTarget is left out (the one being
// scheduled).
func (s *Store) CountAccountDeliveries(ctx context.Context, accountID int64, from, to time.Time, excludeTarget int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM targets WHERE account_id = $1 AND id <> $2 AND (
			(state = 'published' AND published_at >= $3 AND published_at < $4) OR
			(state IN ('scheduled', 'publishing', 'retry_wait', 'unknown', 'needs_operator') AND scheduled_at >= $3 AND scheduled_at < $4))`,
		accountID, excludeTarget, dbTime(from), dbTime(to)).Scan(&n)
	return n, mapErr(err)
}

// ListTargetsOfAccount returns the account's targets in the given states.
func (s *Store) ListTargetsOfAccount(ctx context.Context, accountID int64, states ...snsos.TargetState) ([]*snsos.Target, error) {
	var out []*snsos.Target
	for _, st := range states {
		ts, err := s.listTargets(ctx, `account_id = $1 AND state = $2`, accountID, st)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

// SetPostTimes records when a post was approved and for when it is
// scheduled; a nil pointer leaves that time unchanged, a zero time clears it.
func (s *Store) SetPostTimes(ctx context.Context, postID int64, approvedAt, scheduledAt *time.Time) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		now := s.nowUTC()
		if approvedAt != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE posts SET approved_at = $1, updated_at = $2 WHERE id = $3`, dbTime(*approvedAt), now, postID); err != nil {
				return mapErr(err)
			}
		}
		if scheduledAt != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE posts SET scheduled_at = $1, updated_at = $2 WHERE id = $3`, dbTime(*scheduledAt), now, postID); err != nil {
				return mapErr(err)
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE posts SET updated_at = $1 WHERE id = $2`, now, postID)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("post", postID)
		}
		return nil
	})
}

// DeletePost deletes a post record with its targets, attempts and metric
// snapshots. It refuses (ECONFLICT) while a target is scheduled or in
// flight: cancel it first, or wait for its outcome. It returns the ids of
// the post's media that no other post uses, which the caller may offer to
// delete too.
func (s *Store) DeletePost(ctx context.Context, postID int64) (unusedMedia []int64, err error) {
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, state FROM targets WHERE post_id = $1`, postID)
		if err != nil {
			return mapErr(err)
		}
		for rows.Next() {
			var id int64
			var st snsos.TargetState
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return mapErr(err)
			}
			switch st {
			case snsos.StateScheduled, snsos.StatePublishing, snsos.StateRetryWait, snsos.StateUnknown, snsos.StateNeedsOperator:
				rows.Close()
				return snsos.Errorf(snsos.ECONFLICT, "target %d is %s; cancel it or settle it before deleting the post", id, st)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return mapErr(err)
		}
		mrows, err := tx.QueryContext(ctx, `SELECT DISTINCT media_id FROM post_media pm WHERE post_id = $1
			AND NOT EXISTS (SELECT 1 FROM post_media o WHERE o.media_id = pm.media_id AND o.post_id <> $1) ORDER BY media_id`, postID)
		if err != nil {
			return mapErr(err)
		}
		for mrows.Next() {
			var id int64
			if err := mrows.Scan(&id); err != nil {
				mrows.Close()
				return mapErr(err)
			}
			unusedMedia = append(unusedMedia, id)
		}
		mrows.Close()
		if err := mrows.Err(); err != nil {
			return mapErr(err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM posts WHERE id = $1`, postID)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("post", postID)
		}
		return s.audit(ctx, tx, "operator", "post.delete", "post", postID, "")
	})
	if err != nil {
		return nil, err
	}
	if unusedMedia == nil {
		unusedMedia = []int64{}
	}
	return unusedMedia, nil
}
