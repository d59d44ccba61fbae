package store

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"

	"github.com/sns-os/snsos"
)

const accountCols = `id, platform, remote_id, handle, display_name, avatar_url, status, status_reason, options, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanAccount(r scanner) (*snsos.Account, error) {
	var a snsos.Account
	var opts string
	if err := r.Scan(&a.ID, &a.Platform, &a.RemoteID, &a.Handle, &a.DisplayName, &a.AvatarURL,
		&a.Status, &a.StatusReason, &opts, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	if err := fromJSON(opts, &a.Options); err != nil {
		return nil, err
	}
	return &a, nil
}

// UpsertAccount creates the account, or updates the profile of the existing
// account with the same platform and remote id (a reconnect), and sets a.ID,
// a.CreatedAt and a.UpdatedAt. A reconnect sets the status to connected.
func (s *Store) UpsertAccount(ctx context.Context, a *snsos.Account) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.Status == "" {
		a.Status = snsos.AccountConnected
	}
	opts, err := toJSON(a.Options)
	if err != nil {
		return err
	}
	now := s.nowUTC()
	return s.withTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `INSERT INTO accounts (platform, remote_id, handle, display_name, avatar_url, status, status_reason, options, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			ON CONFLICT (platform, remote_id) DO UPDATE SET handle = excluded.handle, display_name = excluded.display_name,
				avatar_url = excluded.avatar_url, status = excluded.status, status_reason = excluded.status_reason, updated_at = excluded.updated_at
			RETURNING `+accountCols,
			a.Platform, a.RemoteID, a.Handle, a.DisplayName, a.AvatarURL, a.Status, a.StatusReason, opts, now)
		got, err := scanAccount(row)
		if err != nil {
			return mapErr(err)
		}
		if len(a.Options) > 0 {
			// A reconnect keeps the operator's settings (TikTok's
			// publish_mode) and updates what the platform says anew.
			if got, _, err = s.mergeOptionsTx(ctx, tx, got.ID, a.Options); err != nil {
				return err
			}
		}
		*a = *got
		return s.audit(ctx, tx, "system", "account.upsert", "account", a.ID, string(a.Platform)+" @"+a.Handle)
	})
}

// MergeAccountOptions sets the given options of account id (a value ""
// removes its key) and leaves the others as they are, recording who
// changed them (actor "operator" or "system") in the audit log. It returns
// the account as stored; setting what is already there writes nothing.
// Two writers of different keys (the operator choosing TikTok's
// publish_mode, the engine noting what TikTok says of the account) never
// undo each other: the write is a compare-and-set on the options as read,
// tried again when they changed in between.
func (s *Store) MergeAccountOptions(ctx context.Context, id int64, set map[string]string, actor string) (*snsos.Account, error) {
	var out *snsos.Account
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		a, changed, err := s.mergeOptionsTx(ctx, tx, id, set)
		if err != nil {
			return err
		}
		out = a
		if !changed {
			return nil
		}
		return s.audit(ctx, tx, actor, "account.options", "account", id, optionsDetail(set))
	})
	return out, err
}

// mergeOptionsTx merges set into the options of account id inside tx (see
// MergeAccountOptions) and reports whether they changed.
func (s *Store) mergeOptionsTx(ctx context.Context, tx *sql.Tx, id int64, set map[string]string) (*snsos.Account, bool, error) {
	for range 5 {
		var raw string
		err := tx.QueryRowContext(ctx, `SELECT options FROM accounts WHERE id = $1`, id).Scan(&raw)
		if snsos.IsCode(mapErr(err), snsos.ENOTFOUND) {
			return nil, false, notFound("account", id)
		}
		if err != nil {
			return nil, false, mapErr(err)
		}
		var cur map[string]string
		if err := fromJSON(raw, &cur); err != nil {
			return nil, false, err
		}
		merged := maps.Clone(cur)
		if merged == nil {
			merged = map[string]string{}
		}
		for k, v := range set {
			if v == "" {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		if maps.Equal(merged, cur) {
			a, err := scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
			return a, false, mapErr(err)
		}
		text, err := toJSON(merged)
		if err != nil {
			return nil, false, err
		}
		a, err := scanAccount(tx.QueryRowContext(ctx, `UPDATE accounts SET options = $1, updated_at = $2 WHERE id = $3 AND options = $4
			RETURNING `+accountCols, text, s.nowUTC(), id, raw))
		if err == nil {
			return a, true, nil
		}
		if !snsos.IsCode(mapErr(err), snsos.ENOTFOUND) {
			return nil, false, mapErr(err)
		}
		// Another transaction changed the options since they were read
		// (PostgreSQL): read them again.
	}
	return nil, false, snsos.Errorf(snsos.ECONFLICT, "the settings of account %d keep changing; try again", id)
}

// optionsDetail is the audit detail of an options change: key=value in key
// order ("" for a removed key).
func optionsDetail(set map[string]string) string {
	parts := make([]string, 0, len(set))
	for _, k := range slices.Sorted(maps.Keys(set)) {
		parts = append(parts, k+"="+set[k])
	}
	return strings.Join(parts, " ")
}

// FindAccountByRemoteID returns the account platform knows as remoteID, or
// an ENOTFOUND error.
func (s *Store) FindAccountByRemoteID(ctx context.Context, platform snsos.Platform, remoteID string) (*snsos.Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE platform = $1 AND remote_id = $2`,
		platform, remoteID))
	if err != nil {
		if snsos.IsCode(mapErr(err), snsos.ENOTFOUND) {
			return nil, snsos.Errorf(snsos.ENOTFOUND, "no %s account %q", platform.DisplayName(), remoteID)
		}
		return nil, mapErr(err)
	}
	return a, nil
}

// FindAccountByID returns the account or an ENOTFOUND error.
func (s *Store) FindAccountByID(ctx context.Context, id int64) (*snsos.Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	if err != nil {
		if snsos.IsCode(mapErr(err), snsos.ENOTFOUND) {
			return nil, notFound("account", id)
		}
		return nil, mapErr(err)
	}
	return a, nil
}

// ListAccounts returns every account, ordered by platform and handle.
func (s *Store) ListAccounts(ctx context.Context) ([]*snsos.Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY platform, handle, id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*snsos.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err())
}

// SetAccountStatus changes an account's status with a reason for people.
// Marking an account revoked deletes its credential in the same transaction.
func (s *Store) SetAccountStatus(ctx context.Context, id int64, status snsos.AccountStatus, reason string) error {
	if !status.Valid() {
		return snsos.Errorf(snsos.EINVALID, "account status %q is not valid", status)
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4`,
			status, reason, s.nowUTC(), id)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("account", id)
		}
		if status == snsos.AccountRevoked {
			if _, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE account_id = $1`, id); err != nil {
				return mapErr(err)
			}
		}
		return s.audit(ctx, tx, "system", "account.status", "account", id, string(status)+": "+reason)
	})
}

// DeleteAccount deletes an account and its credential. It fails with
// ECONFLICT while posts target the account.
func (s *Store) DeleteAccount(ctx context.Context, id int64) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = $1`, id)
		if err != nil {
			err = mapErr(err)
			if snsos.IsCode(err, snsos.ECONFLICT) {
				return snsos.WrapError(snsos.ECONFLICT, err, "posts still target this account; delete or retarget them first")
			}
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("account", id)
		}
		return s.audit(ctx, tx, "operator", "account.delete", "account", id, "")
	})
}

func joinScopes(s []string) string { return strings.Join(s, " ") }

func splitScopes(s string) []string { return strings.Fields(s) }
