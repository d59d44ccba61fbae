package store

import (
	"context"
	"time"

	"github.com/sns-os/snsos"
)

// Session is a signed-in operator browser. The store keeps only a hash of
// the session id (the cookie value never reaches the database); the policy
// (how long a session lives) belongs to the caller, and so does the clock:
// every method that records a use or judges expiry takes the caller's now,
// so the web handler and the store can never disagree about whether a
// session has ended.
type Session struct {
	IDHash     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// IdleExpiresAt moves forward with TouchSession; ExpiresAt is fixed.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

// Live reports whether the session is still valid at now.
func (s *Session) Live(now time.Time) bool {
	return now.Before(s.IdleExpiresAt) && now.Before(s.ExpiresAt)
}

// ErrSessionNotFound is returned for an unknown or ended session.
var ErrSessionNotFound = snsos.Errorf(snsos.ENOTFOUND, "session not found or expired")

// CreateSession stores a new session; CreatedAt and LastSeenAt are set to
// now.
func (s *Store) CreateSession(ctx context.Context, sess *Session, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	sess.CreatedAt, sess.LastSeenAt = now, now
	sess.IdleExpiresAt, sess.ExpiresAt = sess.IdleExpiresAt.UTC().Truncate(time.Microsecond), sess.ExpiresAt.UTC().Truncate(time.Microsecond)
	if sess.IdleExpiresAt.After(sess.ExpiresAt) {
		sess.IdleExpiresAt = sess.ExpiresAt
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, created_at, last_seen_at, idle_expires_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		sess.IDHash, now, now, sess.IdleExpiresAt, sess.ExpiresAt)
	return mapErr(err)
}

// FindSession returns the session with the given id hash if it is live at
// now, or ErrSessionNotFound when it is unknown or has ended.
func (s *Store) FindSession(ctx context.Context, idHash string, now time.Time) (*Session, error) {
	var sess Session
	err := s.db.QueryRowContext(ctx, `SELECT id_hash, created_at, last_seen_at, idle_expires_at, expires_at FROM sessions WHERE id_hash = $1`, idHash).
		Scan(&sess.IDHash, &sess.CreatedAt, &sess.LastSeenAt, &sess.IdleExpiresAt, &sess.ExpiresAt)
	if err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ENOTFOUND) {
			return nil, ErrSessionNotFound
		}
		return nil, err
	}
	sess.CreatedAt, sess.LastSeenAt = sess.CreatedAt.UTC(), sess.LastSeenAt.UTC()
	sess.IdleExpiresAt, sess.ExpiresAt = sess.IdleExpiresAt.UTC(), sess.ExpiresAt.UTC()
	if !sess.Live(now) {
		return nil, ErrSessionNotFound
	}
	return &sess, nil
}

// TouchSession records a use of the session at now and moves its idle
// expiry to idleUntil (never past its absolute expiry). It returns
// ErrSessionNotFound when the session is unknown or has ended at now.
func (s *Store) TouchSession(ctx context.Context, idHash string, now, idleUntil time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1,
		idle_expires_at = CASE WHEN $2 < expires_at THEN $2 ELSE expires_at END
		WHERE id_hash = $3 AND idle_expires_at > $1 AND expires_at > $1`, now, dbTime(idleUntil), idHash)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrSessionNotFound
	}
	return nil
}

// DeleteSession ends a session; deleting an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return mapErr(err)
}

// DeleteAllSessions ends every session (after a password change) and
// returns how many there were.
func (s *Store) DeleteAllSessions(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions`)
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}

// DeleteExpiredSessions removes the sessions that have ended at now and
// returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	now = now.UTC().Truncate(time.Microsecond)
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE idle_expires_at <= $1 OR expires_at <= $1`, now)
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}
