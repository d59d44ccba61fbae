package store

import (
	"context"
	"database/sql"
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
