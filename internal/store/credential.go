package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/secret"
)

func credAD(accountID int64, field string) []byte { return secret.AD("credentials", accountID, field) }

// errNoBox is returned by credential methods of a Store opened without keys.
var errNoBox = errors.New("store: no master key loaded")

// PutCredential seals c's tokens under the primary key and stores them,
// replacing the account's previous credential. It is how a connect stores a
// new grant, which supersedes a refresh in flight: any refresh lease ends,
// and its holder's PutRefreshedCredential is then refused.
func (s *Store) PutCredential(ctx context.Context, c *snsos.Credential) error {
	access, refresh, err := s.sealCredential(c)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO credentials (account_id, access_token, refresh_token, key_id, token_type, scopes, expires_at, refresh_expires_at, issued_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (account_id) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token,
			key_id = excluded.key_id, token_type = excluded.token_type, scopes = excluded.scopes, expires_at = excluded.expires_at,
			refresh_expires_at = excluded.refresh_expires_at, issued_at = excluded.issued_at, updated_at = excluded.updated_at,
			refresh_lease_until = NULL, refresh_lease_owner = NULL`,
		c.AccountID, access, refresh, s.box.PrimaryID(), c.TokenType, joinScopes(c.Scopes),
		dbTime(c.ExpiresAt), dbTime(c.RefreshExpiresAt), dbTime(c.IssuedAt), c.UpdatedAt)
	if err != nil {
		err = mapErr(err)
		if snsos.IsCode(err, snsos.ECONFLICT) {
			return notFound("account", c.AccountID)
		}
		return err
	}
	return nil
}

// PutRefreshedCredential stores the pair a refresh obtained under the
// refresh lease l and ends the lease, only if l is still the account's
// lease (its owner matches; it may have run out as long as nobody took it
// since). Otherwise it stores nothing and returns ECONFLICT: another
// holder, or a connect, has written since.
func (s *Store) PutRefreshedCredential(ctx context.Context, c *snsos.Credential, l RefreshLease) error {
	if c.AccountID != l.AccountID {
		return snsos.Errorf(snsos.EINVALID, "credential of account %d under the lease of account %d", c.AccountID, l.AccountID)
	}
	access, refresh, err := s.sealCredential(c)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE credentials SET access_token = $1, refresh_token = $2, key_id = $3, token_type = $4,
			scopes = $5, expires_at = $6, refresh_expires_at = $7, issued_at = $8, updated_at = $9,
			refresh_lease_until = NULL, refresh_lease_owner = NULL
		WHERE account_id = $10 AND refresh_lease_owner = $11`,
		access, refresh, s.box.PrimaryID(), c.TokenType, joinScopes(c.Scopes),
		dbTime(c.ExpiresAt), dbTime(c.RefreshExpiresAt), dbTime(c.IssuedAt), c.UpdatedAt, c.AccountID, l.Owner)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return snsos.Errorf(snsos.ECONFLICT, "the refresh lease of account %d is no longer held; the refreshed tokens were not stored", c.AccountID)
	}
	return nil
}

// sealCredential checks c, seals its tokens under the primary key and
// stamps its update (and, when unset, issue) time.
func (s *Store) sealCredential(c *snsos.Credential) (access, refresh []byte, err error) {
	if s.box == nil {
		return nil, nil, errNoBox
	}
	if c.AccountID <= 0 {
		return nil, nil, snsos.Errorf(snsos.EINVALID, "credential needs an account")
	}
	if access, err = s.box.Seal([]byte(c.AccessToken.Reveal()), credAD(c.AccountID, "access_token")); err != nil {
		return nil, nil, err
	}
	if refresh, err = s.box.Seal([]byte(c.RefreshToken.Reveal()), credAD(c.AccountID, "refresh_token")); err != nil {
		return nil, nil, err
	}
	c.UpdatedAt = s.nowUTC()
	if c.IssuedAt.IsZero() {
		c.IssuedAt = c.UpdatedAt
	}
	return access, refresh, nil
}

type credRow struct {
	accountID                    int64
	access, refresh              []byte
	keyID, tokenType, scopes     string
	expires, refreshExpires, iss sql.NullTime
	updated                      sql.NullTime
}

func (r *credRow) scan(sc scanner) error {
	return sc.Scan(&r.accountID, &r.access, &r.refresh, &r.keyID, &r.tokenType, &r.scopes,
		&r.expires, &r.refreshExpires, &r.iss, &r.updated)
}

const credCols = `account_id, access_token, refresh_token, key_id, token_type, scopes, expires_at, refresh_expires_at, issued_at, updated_at`

// FindCredential returns the account's credential with its tokens opened. A
// ciphertext that does not open (tampered, moved from another row, or sealed
// under a key that is not loaded) is an error, never an empty token.
func (s *Store) FindCredential(ctx context.Context, accountID int64) (*snsos.Credential, error) {
	if s.box == nil {
		return nil, errNoBox
	}
	var r credRow
	if err := r.scan(s.db.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials WHERE account_id = $1`, accountID)); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, snsos.Errorf(snsos.ENOTFOUND, "account %d has no credential; connect it", accountID)
		}
		return nil, mapErr(err)
	}
	access, err := s.box.Open(r.access, credAD(accountID, "access_token"))
	if err != nil {
		return nil, fmt.Errorf("credential of account %d: access token: %w", accountID, err)
	}
	refresh, err := s.box.Open(r.refresh, credAD(accountID, "refresh_token"))
	if err != nil {
		return nil, fmt.Errorf("credential of account %d: refresh token: %w", accountID, err)
	}
	return &snsos.Credential{
		AccountID: accountID, AccessToken: snsos.Secret(access), RefreshToken: snsos.Secret(refresh),
		TokenType: r.tokenType, Scopes: splitScopes(r.scopes),
		ExpiresAt: fromNull(r.expires), RefreshExpiresAt: fromNull(r.refreshExpires),
		IssuedAt: fromNull(r.iss), UpdatedAt: fromNull(r.updated),
	}, nil
}

// FindCredentialMeta returns what may be shown about an account's credential.
func (s *Store) FindCredentialMeta(ctx context.Context, accountID int64) (*snsos.CredentialMeta, error) {
	var r credRow
	if err := r.scan(s.db.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials WHERE account_id = $1`, accountID)); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, snsos.Errorf(snsos.ENOTFOUND, "account %d has no credential", accountID)
		}
		return nil, mapErr(err)
	}
	return &snsos.CredentialMeta{
		AccountID: accountID, HasAccessToken: len(r.access) > 0, HasRefreshToken: len(r.refresh) > 0,
		TokenType: r.tokenType, Scopes: splitScopes(r.scopes), ExpiresAt: fromNull(r.expires),
		RefreshExpiresAt: fromNull(r.refreshExpires), IssuedAt: fromNull(r.iss), UpdatedAt: fromNull(r.updated),
		KeyID: r.keyID,
	}, nil
}

// DeleteCredential deletes an account's tokens (on revocation). Deleting a
// credential that does not exist is not an error.
func (s *Store) DeleteCredential(ctx context.Context, accountID int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM credentials WHERE account_id = $1`, accountID)
	return mapErr(err)
}

// RotationProgress reports a key rotation's progress.
type RotationProgress struct {
	Resealed  int // credentials moved to the primary key by this call
	Remaining int // credentials still under another key (0 when done)
}

// ResealCredentials re-encrypts every credential that is not sealed under the
// Box's primary key. Each credential is resealed and committed in its own
// transaction, checking that the row did not change meanwhile, so an
// interrupted run loses nothing and the next run goes on where it stopped.
// The Box must hold the old keys too. max bounds how many credentials this
// call reseals (0 or less: all).
func (s *Store) ResealCredentials(ctx context.Context, max int) (RotationProgress, error) {
	var p RotationProgress
	if s.box == nil {
		return p, errNoBox
	}
	primary := s.box.PrimaryID()
	for {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		if max > 0 && p.Resealed >= max {
			return p, nil
		}
		var r credRow
		err := r.scan(s.db.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials WHERE key_id <> $1 ORDER BY account_id LIMIT 1`, primary))
		if errors.Is(err, sql.ErrNoRows) {
			p.Remaining = 0
			return p, nil
		}
		if err != nil {
			return p, mapErr(err)
		}
		access, err := s.box.Open(r.access, credAD(r.accountID, "access_token"))
		if err != nil {
			return p, fmt.Errorf("reseal credential of account %d: %w", r.accountID, err)
		}
		refresh, err := s.box.Open(r.refresh, credAD(r.accountID, "refresh_token"))
		if err != nil {
			return p, fmt.Errorf("reseal credential of account %d: %w", r.accountID, err)
		}
		newAccess, err := s.box.Seal(access, credAD(r.accountID, "access_token"))
		if err != nil {
			return p, err
		}
		newRefresh, err := s.box.Seal(refresh, credAD(r.accountID, "refresh_token"))
		if err != nil {
			return p, err
		}
		// Compare-and-set on the old key id and update time: a refresh that
		// wrote a new token meanwhile wins, and the loop sees it next round.
		res, err := s.db.ExecContext(ctx, `UPDATE credentials SET access_token = $1, refresh_token = $2, key_id = $3
			WHERE account_id = $4 AND key_id = $5 AND updated_at = $6`,
			newAccess, newRefresh, primary, r.accountID, r.keyID, r.updated.Time)
		if err != nil {
			return p, mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			p.Resealed++
		}
		p.Remaining, err = s.countOtherKeys(ctx, primary)
		if err != nil {
			return p, err
		}
	}
}

// countOtherKeys returns how many credentials are sealed under a key other
// than keyID.
func (s *Store) countOtherKeys(ctx context.Context, keyID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM credentials WHERE key_id <> $1`, keyID).Scan(&n)
	return n, mapErr(err)
}

// CredentialKeyIDs returns how many credentials are sealed under each key id.
func (s *Store) CredentialKeyIDs(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, COUNT(*) FROM credentials GROUP BY key_id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, mapErr(err)
		}
		out[id] = n
	}
	return out, mapErr(rows.Err())
}

// ListCredentialsExpiringBefore returns metadata of credentials whose access
// token expires before t (and has an expiry).
func (s *Store) ListCredentialsExpiringBefore(ctx context.Context, t time.Time) ([]*snsos.CredentialMeta, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+credCols+` FROM credentials WHERE expires_at IS NOT NULL AND expires_at < $1 ORDER BY expires_at`, dbTime(t))
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*snsos.CredentialMeta
	for rows.Next() {
		var r credRow
		if err := r.scan(rows); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, &snsos.CredentialMeta{AccountID: r.accountID, HasAccessToken: len(r.access) > 0, HasRefreshToken: len(r.refresh) > 0,
			TokenType: r.tokenType, Scopes: splitScopes(r.scopes), ExpiresAt: fromNull(r.expires), RefreshExpiresAt: fromNull(r.refreshExpires),
			IssuedAt: fromNull(r.iss), UpdatedAt: fromNull(r.updated), KeyID: r.keyID})
	}
	return out, mapErr(rows.Err())
}
