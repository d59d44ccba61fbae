package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sns-os/snsos"
)

// SeedPost is one post of a generated data set (sns-os bench seed) in its
// final state: its targets carry their state (scheduled, published or
// failed) with the publication time, remote id and error, UpdatedAt as
// when the state was reached; Snapshots holds each target's snapshots, in
// Targets' order (their TargetID is filled in).
type SeedPost struct {
	Post      *snsos.Post
	CreatedAt time.Time
	Snapshots [][]*snsos.MetricSnapshot
}

// SeedPosts writes a batch of generated posts in one transaction, with
// what the engine would have left behind: one finished attempt per
// delivered target, the audit rows of its creation and of each move, and
// each snapshot together with the target's metric summary, as PutSnapshot
// writes it.
//
// It exists because the ordinary path is too slow for the scale
// benchmark: CreatePost, two TransitionTarget and three PutSnapshot per
// target are about 18 transactions per post, 10.5 ms a post on SQLite
// (17 minutes for 100,000 posts), most of it spent committing and
// parsing; one transaction per batch with prepared statements is several
// times faster. Nothing but the benchmark's seed calls it.
func (s *Store) SeedPosts(ctx context.Context, batch []SeedPost) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		ins, err := prepareSeed(ctx, tx)
		if err != nil {
			return err
		}
		defer ins.close()
		for i := range batch {
			if err := seedPost(ctx, tx, ins, &batch[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// seedStmts are SeedPosts' prepared statements.
type seedStmts struct{ post, target, attempt, audit, snapshot *sql.Stmt }

func prepareSeed(ctx context.Context, tx *sql.Tx) (*seedStmts, error) {
	st := &seedStmts{}
	for _, p := range []struct {
		into **sql.Stmt
		sql  string
	}{
		{&st.post, `INSERT INTO posts (body, scheduled_at, approved_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`},
		{&st.target, `INSERT INTO targets (post_id, account_id, platform, state, body, options, scheduled_at, updated_at, job_seq, media_ids,
			created_at, remote_id, remote_url, published_at, error, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`},
		{&st.attempt, `INSERT INTO attempts (target_id, number, started_at, finished_at, outcome, detail, error) VALUES ($1, 1, $2, $3, $4, $5, $6)`},
		{&st.snapshot, `INSERT INTO metric_snapshots (target_id, checkpoint, status, reason, fetched_at, metrics) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`},
		{&st.audit, `INSERT INTO audit_events (at, actor, action, subject_type, subject_id, detail) VALUES ($1, $2, $3, $4, $5, $6)`},
	} {
		stmt, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			st.close()
			return nil, mapErr(err)
		}
		*p.into = stmt
	}
	return st, nil
}

func (st *seedStmts) close() {
	for _, s := range []*sql.Stmt{st.post, st.target, st.attempt, st.audit, st.snapshot} {
		if s != nil {
			s.Close()
		}
	}
}

func seedPost(ctx context.Context, tx *sql.Tx, st *seedStmts, sp *SeedPost) error {
	p := sp.Post
	if err := p.Validate(); err != nil {
		return err
	}
	created := sp.CreatedAt.UTC().Truncate(time.Microsecond)
	if err := st.post.QueryRowContext(ctx, p.Body, dbTime(p.ScheduledAt), dbTime(p.ApprovedAt), created, created).Scan(&p.ID); err != nil {
		return mapErr(err)
	}
	p.CreatedAt, p.UpdatedAt = created, created
	if _, err := st.audit.ExecContext(ctx, created, "operator", "post.create", "post", p.ID, fmt.Sprintf("%d targets", len(p.Targets))); err != nil {
		return mapErr(err)
	}
	for i, t := range p.Targets {
		if err := seedTarget(ctx, st, p, t, created); err != nil {
			return err
		}
		if i >= len(sp.Snapshots) {
			continue
		}
		for _, m := range sp.Snapshots[i] {
			m.TargetID = t.ID
			if err := seedSnapshot(ctx, tx, st, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedTarget inserts target t of post p in its final state, with its
// attempt and the audit rows of its moves.
func seedTarget(ctx context.Context, st *seedStmts, p *snsos.Post, t *snsos.Target, created time.Time) error {
	switch t.State {
	case snsos.StateScheduled, snsos.StatePublished, snsos.StateFailed:
	default:
		return snsos.Errorf(snsos.EINVALID, "a seeded target is scheduled, published or failed, not %s", t.State)
	}
	if !t.Platform.Valid() || t.ScheduledAt.IsZero() {
		return snsos.Errorf(snsos.EINVALID, "a seeded target needs its platform and time")
	}
	opts, media, err := targetColumns(t)
	if err != nil {
		return err
	}
	delivered := t.State != snsos.StateScheduled
	if t.UpdatedAt.IsZero() || !delivered {
		t.UpdatedAt = created
	}
	t.UpdatedAt = t.UpdatedAt.UTC().Truncate(time.Microsecond)
	t.PostID, t.JobSeq, t.Attempts = p.ID, 1, 0
	if delivered {
		t.Attempts = 1
	}
	if err := st.target.QueryRowContext(ctx, p.ID, t.AccountID, t.Platform, t.State, t.Body, opts, dbTime(t.ScheduledAt), t.UpdatedAt, t.JobSeq, media,
		created, t.RemoteID, t.RemoteURL, dbTime(t.PublishedAt), t.Error, t.Attempts).Scan(&t.ID); err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ECONFLICT) {
			return snsos.WrapError(snsos.EINVALID, err, fmt.Sprintf("account %d does not exist or is twice in the post", t.AccountID))
		}
		return err
	}
	if !delivered {
		return nil
	}
	started := t.ScheduledAt.UTC().Truncate(time.Microsecond)
	if started.After(t.UpdatedAt) {
		started = t.UpdatedAt
	}
	if _, err := st.attempt.ExecContext(ctx, t.ID, started, t.UpdatedAt, t.State, "publish job 1", t.Error); err != nil {
		return mapErr(err)
	}
	for _, a := range []struct {
		at       time.Time
		from, to snsos.TargetState
	}{{started, snsos.StateScheduled, snsos.StatePublishing}, {t.UpdatedAt, snsos.StatePublishing, t.State}} {
		if _, err := st.audit.ExecContext(ctx, a.at, "system", "target.transition", "target", t.ID, string(a.from)+" -> "+string(a.to)+" "); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// seedSnapshot writes snapshot m inside tx as PutSnapshot does, its
// summary included.
func seedSnapshot(ctx context.Context, tx *sql.Tx, st *seedStmts, m *snsos.MetricSnapshot) error {
	if !m.Checkpoint.Valid() || m.FetchedAt.IsZero() {
		return snsos.Errorf(snsos.EINVALID, "a seeded snapshot needs a valid checkpoint and its time")
	}
	if m.Status == "" {
		m.Status = snsos.SnapshotOK
	}
	vals, err := toJSON(m.Values)
	if err != nil {
		return err
	}
	if err := st.snapshot.QueryRowContext(ctx, m.TargetID, m.Checkpoint, m.Status, m.Reason, dbTime(m.FetchedAt), vals).Scan(&m.ID); err != nil {
		return mapErr(err)
	}
	return summarize(ctx, tx, m, vals)
}
