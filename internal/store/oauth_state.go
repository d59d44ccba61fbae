package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sns-os/snsos"
)

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
