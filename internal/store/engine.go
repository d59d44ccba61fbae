package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// CreateAPIToken stores a new API token by its hash.
func (s *Store) CreateAPIToken(ctx context.Context, name, hash, prefix string) (*snsos.APIToken, error) {
	t := &snsos.APIToken{Name: name, Prefix: prefix, CreatedAt: s.nowUTC(), Hash: hash}
	if name == "" || hash == "" {
		return nil, snsos.Errorf(snsos.EINVALID, "an API token needs a name")
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO api_tokens (name, hash, prefix, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		name, hash, prefix, t.CreatedAt).Scan(&t.ID)
	return t, mapErr(err)
}

// EnsureAPIToken stores the token hash under name unless a token with that
// hash exists; it returns the (new or existing) token. Used for the
// bootstrap token from SNSOS_API_TOKEN.
func (s *Store) EnsureAPIToken(ctx context.Context, name, hash, prefix string) (*snsos.APIToken, error) {
	t, err := s.FindAPITokenByHash(ctx, hash)
	if err == nil {
		return t, nil
	}
	if !snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil, err
	}
	t, err = s.CreateAPIToken(ctx, name, hash, prefix)
	if snsos.IsCode(err, snsos.ECONFLICT) { // revoked earlier, or a race
		return s.FindAPITokenByHash(ctx, hash)
	}
	return t, err
}

const apiTokenCols = `id, name, prefix, created_at, last_used_at, revoked_at, hash`

func scanAPIToken(r scanner) (*snsos.APIToken, error) {
	var t snsos.APIToken
	var used, revoked sql.NullTime
	if err := r.Scan(&t.ID, &t.Name, &t.Prefix, &t.CreatedAt, &used, &revoked, &t.Hash); err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = t.CreatedAt.UTC(), fromNull(used), fromNull(revoked)
	return &t, nil
}

// FindAPITokenByHash returns the token with this hash, revoked or not, or
// ENOTFOUND.
func (s *Store) FindAPITokenByHash(ctx context.Context, hash string) (*snsos.APIToken, error) {
	t, err := scanAPIToken(s.db.QueryRowContext(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE hash = $1`, hash))
	if err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ENOTFOUND) {
			return nil, snsos.Errorf(snsos.ENOTFOUND, "unknown API token")
		}
		return nil, err
	}
	return t, nil
}

// TouchAPIToken records that a token was used (at most once a minute).
func (s *Store) TouchAPIToken(ctx context.Context, id int64) error {
	now := s.nowUTC()
	_, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`,
		now, id, now.Add(-time.Minute))
	return mapErr(err)
}

// ListAPITokens returns every token, newest first.
func (s *Store) ListAPITokens(ctx context.Context) ([]*snsos.APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apiTokenCols+` FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*snsos.APIToken{}
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, t)
	}
	return out, mapErr(rows.Err())
}

// RevokeAPIToken revokes a token; revoking twice is not an error.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, s.nowUTC(), id)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("API token", id)
	}
	return nil
}

// OAuthState is an authorization request in flight.
type OAuthState struct {
	StateHash string
	Platform  snsos.Platform
	Verifier  string
	// Binding is a hash of the browser cookie that started the flow ("" for
	// flows started through the API).
	Binding   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PutOAuthState stores a new authorization request.
func (s *Store) PutOAuthState(ctx context.Context, st *OAuthState) error {
	st.CreatedAt = s.nowUTC()
	_, err := s.db.ExecContext(ctx, `INSERT INTO oauth_states (state_hash, platform, verifier, binding, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		st.StateHash, st.Platform, st.Verifier, st.Binding, st.CreatedAt, dbTime(st.ExpiresAt))
	return mapErr(err)
}

// Errors of TakeOAuthState, each with a message for the operator.
var (
	ErrOAuthStateUnknown = snsos.Errorf(snsos.EINVALID, "this sign-in link is unknown; start connecting the account again")
	ErrOAuthStateUsed    = snsos.Errorf(snsos.EINVALID, "this sign-in link was already used; start connecting the account again")
	ErrOAuthStateExpired = snsos.Errorf(snsos.EINVALID, "this sign-in link expired; start connecting the account again")
)

// TakeOAuthState marks the request used and returns it; it can be taken
// once, before it expires.
func (s *Store) TakeOAuthState(ctx context.Context, stateHash string) (*OAuthState, error) {
	now := s.nowUTC()
	var st OAuthState
	var used sql.NullTime
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT state_hash, platform, verifier, binding, created_at, expires_at, used_at FROM oauth_states WHERE state_hash = $1`, stateHash).
			Scan(&st.StateHash, &st.Platform, &st.Verifier, &st.Binding, &st.CreatedAt, &st.ExpiresAt, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrOAuthStateUnknown
		}
		if err != nil {
			return mapErr(err)
		}
		switch {
		case used.Valid:
			return ErrOAuthStateUsed
		case !now.Before(st.ExpiresAt):
			return ErrOAuthStateExpired
		}
		res, err := tx.ExecContext(ctx, `UPDATE oauth_states SET used_at = $1 WHERE state_hash = $2 AND used_at IS NULL`, now, stateHash)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrOAuthStateUsed
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.CreatedAt, st.ExpiresAt = st.CreatedAt.UTC(), st.ExpiresAt.UTC()
	return &st, nil
}

// DeleteOAuthStatesBefore removes requests that expired before t.
func (s *Store) DeleteOAuthStatesBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM oauth_states WHERE expires_at < $1`, dbTime(t))
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}

// Setting returns a setting's value, or ENOTFOUND.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ENOTFOUND) {
			return "", snsos.Errorf(snsos.ENOTFOUND, "setting %s is not set", key)
		}
		return "", err
	}
	return v, nil
}

// PutSetting sets a setting. Sealed settings (DerivedKey) are not set this
// way.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	if strings.HasPrefix(strings.ToLower(key), sealedPrefix) {
		return snsos.Errorf(snsos.EINVALID, "setting %s is sealed and cannot be set directly", key)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, s.nowUTC())
	return mapErr(err)
}

// RefreshLease is an account's refresh lease as its holder knows it.
type RefreshLease struct {
	AccountID int64
	// Owner is the holder's random id: releasing the lease and storing the
	// refreshed pair under it must name it.
	Owner string
	// Until is when the lease ends, on the database's clock.
	Until time.Time
}

// AcquireRefreshLease takes the account's refresh lease for ttl, if no other
// holder has an unexpired one, and reports whether it did. Expiry is judged
// and set on the database's clock (every process compares the same one,
// whatever its own clock says). It is how one process, and one goroutine,
// refreshes a rotating token at a time. The holder ends the lease with
// PutRefreshedCredential or ReleaseRefreshLease, naming its Owner; a
// credential stored by a connect (PutCredential) ends any lease.
func (s *Store) AcquireRefreshLease(ctx context.Context, accountID int64, ttl time.Duration) (RefreshLease, bool, error) {
	l := RefreshLease{AccountID: accountID, Owner: newLeaseOwner()}
	ok := false
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		now, err := s.dbNow(ctx, tx)
		if err != nil {
			return err
		}
		l.Until = now.Add(ttl).Truncate(time.Microsecond)
		res, err := tx.ExecContext(ctx, `UPDATE credentials SET refresh_lease_until = $1, refresh_lease_owner = $2
			WHERE account_id = $3 AND (refresh_lease_until IS NULL OR refresh_lease_until <= $4)`, l.Until, l.Owner, accountID, now)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			ok = true
			return nil
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM credentials WHERE account_id = $1`, accountID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return snsos.Errorf(snsos.ENOTFOUND, "account %d has no credential", accountID)
		}
		return mapErr(err)
	})
	if err != nil || !ok {
		return RefreshLease{}, false, err
	}
	return l, true, nil
}

// newLeaseOwner returns a random lease owner id (16 bytes, hex).
func newLeaseOwner() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// ReleaseRefreshLease ends the lease l, if it is still l's: a lease that ran
// out and was taken by another holder is left to that holder.
func (s *Store) ReleaseRefreshLease(ctx context.Context, l RefreshLease) error {
	_, err := s.db.ExecContext(ctx, `UPDATE credentials SET refresh_lease_until = NULL, refresh_lease_owner = NULL
		WHERE account_id = $1 AND refresh_lease_owner = $2`, l.AccountID, l.Owner)
	return mapErr(err)
}

// ReleaseAllRefreshLeases ends every account's refresh lease. Only correct
// when no other process can hold one: a SQLite server calls it at start-up,
// holding the data dir lock, so leases left by a killed process do not
// stall refreshes (and the posts that wait for them) until they expire.
func (s *Store) ReleaseAllRefreshLeases(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE credentials SET refresh_lease_until = NULL, refresh_lease_owner = NULL
		WHERE refresh_lease_until IS NOT NULL OR refresh_lease_owner IS NOT NULL`)
	if err != nil {
		return 0, mapErr(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
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
