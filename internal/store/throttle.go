package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ThrottleCount is a client's attempts in a bucket as the database counts
// them for every process: Hits within the window that ends at ExpiresAt.
// The zero value is a client with no live count.
type ThrottleCount struct {
	Hits      int
	ExpiresAt time.Time
}

// Left is how long the count still lives at now.
func (c ThrottleCount) Left(now time.Time) time.Duration {
	if c.Hits == 0 || !now.Before(c.ExpiresAt) {
		return 0
	}
	return c.ExpiresAt.Sub(now)
}

// HitThrottle counts one attempt of key in bucket at now and returns the
// count after it. A count that has expired at now starts again at 1 with a
// window that ends at now+window; hits stop growing at ceiling (so a flood
// cannot overflow the column, and a caller with limit n passes n+1 to tell
// "the n-th, allowed" from "refused"). The increment is one statement, so
// processes counting the same client at once never lose a hit. The clock is
// the caller's, as for sessions: every process judges the same window
// length, and a few seconds of skew between hosts only move a 15-minute
// window by as much.
func (s *Store) HitThrottle(ctx context.Context, bucket, key string, window time.Duration, ceiling int, now time.Time) (ThrottleCount, error) {
	if bucket == "" || key == "" || window <= 0 || ceiling < 1 {
		return ThrottleCount{}, fmt.Errorf("store: HitThrottle(%q, %q, %v, %d): bad arguments", bucket, key, window, ceiling)
	}
	now = now.UTC().Truncate(time.Microsecond)
	until := now.Add(window)
	var c ThrottleCount
	err := s.db.QueryRowContext(ctx, `INSERT INTO throttle_counts (bucket, client_key, hits, expires_at) VALUES ($1, $2, 1, $3)
		ON CONFLICT (bucket, client_key) DO UPDATE SET
			hits = CASE WHEN throttle_counts.expires_at <= $4 THEN 1
				WHEN throttle_counts.hits >= $5 THEN $5
				ELSE throttle_counts.hits + 1 END,
			expires_at = CASE WHEN throttle_counts.expires_at <= $4 THEN excluded.expires_at
				ELSE throttle_counts.expires_at END
		RETURNING hits, expires_at`, bucket, key, until, now, ceiling).Scan(&c.Hits, &c.ExpiresAt)
	if err != nil {
		return ThrottleCount{}, mapErr(err)
	}
	c.ExpiresAt = c.ExpiresAt.UTC()
	return c, nil
}

// PeekThrottle returns key's live count in bucket at now, the zero count
// when there is none.
func (s *Store) PeekThrottle(ctx context.Context, bucket, key string, now time.Time) (ThrottleCount, error) {
	var c ThrottleCount
	err := s.db.QueryRowContext(ctx, `SELECT hits, expires_at FROM throttle_counts
		WHERE bucket = $1 AND client_key = $2 AND expires_at > $3`, bucket, key, now.UTC().Truncate(time.Microsecond)).
		Scan(&c.Hits, &c.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return ThrottleCount{}, nil
	}
	if err != nil {
		return ThrottleCount{}, mapErr(err)
	}
	c.ExpiresAt = c.ExpiresAt.UTC()
	return c, nil
}

// UnhitThrottle takes back one hit of key's live count in bucket (an
// attempt counted but never made).
func (s *Store) UnhitThrottle(ctx context.Context, bucket, key string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE throttle_counts SET hits = hits - 1
		WHERE bucket = $1 AND client_key = $2 AND expires_at > $3 AND hits > 0`, bucket, key, now.UTC().Truncate(time.Microsecond))
	return mapErr(err)
}

// ResetThrottle forgets key's count in bucket.
func (s *Store) ResetThrottle(ctx context.Context, bucket, key string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM throttle_counts WHERE bucket = $1 AND client_key = $2`, bucket, key)
	return mapErr(err)
}

// DeleteExpiredThrottles removes the counts that have expired at now and
// returns how many.
func (s *Store) DeleteExpiredThrottles(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM throttle_counts WHERE expires_at <= $1`, now.UTC().Truncate(time.Microsecond))
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}
