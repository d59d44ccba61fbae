package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sns-os/snsos"
)

// PolicyFingerprintSetting holds the fingerprint of the privacy policy's
// substance as last recorded: the compare-and-set through which exactly
// one of several processes starting together records a change.
const PolicyFingerprintSetting = "policy.fingerprint"

const policyColumns = `id, changed_at, fingerprint, substance, items, seen_at`

func scanPolicyChange(row interface{ Scan(...any) error }) (*snsos.PolicyChange, error) {
	var c snsos.PolicyChange
	var items string
	var seen sql.NullTime
	if err := row.Scan(&c.ID, &c.ChangedAt, &c.Fingerprint, &c.Substance, &items, &seen); err != nil {
		return nil, mapErr(err)
	}
	if err := fromJSON(items, &c.Items); err != nil {
		return nil, err
	}
	c.ChangedAt, c.SeenAt = c.ChangedAt.UTC(), fromNull(seen)
	return &c, nil
}

// RecordPolicyChange records c as the policy's new substance, provided the
// recorded fingerprint is still prev ("" when none was ever recorded). When
// another process recorded first it returns ECONFLICT and writes nothing:
// the caller reads the latest change instead. ChangedAt defaults to now.
func (s *Store) RecordPolicyChange(ctx context.Context, prev string, c *snsos.PolicyChange) error {
	if c.Fingerprint == "" || c.Fingerprint == prev {
		return snsos.Errorf(snsos.EINVALID, "a policy change needs a new fingerprint")
	}
	now := s.nowUTC()
	if c.ChangedAt.IsZero() {
		c.ChangedAt = now
	}
	c.ChangedAt = c.ChangedAt.UTC().Truncate(time.Microsecond)
	items, err := toJSON(c.Items)
	if err != nil {
		return err
	}
	if c.Items == nil {
		items = "[]"
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if prev == "" {
			res, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
				PolicyFingerprintSetting, c.Fingerprint, now)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE settings SET value = $1, updated_at = $2 WHERE key = $3 AND value = $4`,
				c.Fingerprint, now, PolicyFingerprintSetting, prev)
		}
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return snsos.Errorf(snsos.ECONFLICT, "the privacy policy's change was recorded by another process")
		}
		return mapErr(tx.QueryRowContext(ctx, `INSERT INTO policy_changes (changed_at, fingerprint, substance, items, seen_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, c.ChangedAt, c.Fingerprint, c.Substance, items, dbTime(c.SeenAt)).Scan(&c.ID))
	})
}

// LatestPolicyChange returns the newest recorded change, or ENOTFOUND
// before the first.
func (s *Store) LatestPolicyChange(ctx context.Context) (*snsos.PolicyChange, error) {
	c, err := scanPolicyChange(s.db.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM policy_changes ORDER BY id DESC LIMIT 1`))
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil, snsos.Errorf(snsos.ENOTFOUND, "no privacy policy change is recorded")
	}
	return c, err
}

// ListPolicyChanges returns up to limit changes, newest first; unseen
// keeps only those the operator has not marked as seen.
func (s *Store) ListPolicyChanges(ctx context.Context, unseen bool, limit int) ([]*snsos.PolicyChange, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	where := ""
	if unseen {
		where = "WHERE seen_at IS NULL"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+policyColumns+` FROM policy_changes `+where+` ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*snsos.PolicyChange
	for rows.Next() {
		c, err := scanPolicyChange(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, mapErr(rows.Err())
}

// MarkPolicyChangeSeen records that the operator has seen a change (it
// leaves the dashboard).
func (s *Store) MarkPolicyChangeSeen(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE policy_changes SET seen_at = COALESCE(seen_at, $1) WHERE id = $2`, s.nowUTC(), id)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("policy change", id)
	}
	return nil
}
