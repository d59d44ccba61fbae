package store

import (
	"context"
	"time"

	"github.com/sns-os/snsos"
)

// SignedRequest is a platform's signed request (Meta's deauthorize and
// data-deletion callbacks) that sns-os verified and acted on.
type SignedRequest struct {
	// Hash is the hex SHA-256 of the request's signature: what a replay
	// is recognised by.
	Hash     string
	Platform snsos.Platform
	Kind     string // "deauthorize" or "data-deletion"
	// RequestID is the deletion request it opened (0 for a deauthorize).
	RequestID int64
	SeenAt    time.Time
}

// FindSignedRequest returns the signed request acted on whose signature
// hashes to hash, or ENOTFOUND.
func (s *Store) FindSignedRequest(ctx context.Context, hash string) (*SignedRequest, error) {
	var sr SignedRequest
	err := s.db.QueryRowContext(ctx, `SELECT signature_hash, platform, kind, request_id, seen_at FROM signed_requests WHERE signature_hash = $1`, hash).
		Scan(&sr.Hash, &sr.Platform, &sr.Kind, &sr.RequestID, &sr.SeenAt)
	if err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ENOTFOUND) {
			return nil, snsos.Errorf(snsos.ENOTFOUND, "signed request not seen before")
		}
		return nil, err
	}
	sr.SeenAt = sr.SeenAt.UTC()
	return &sr, nil
}

// PruneSignedRequests forgets the signed requests seen before t (a replay
// of one is refused as stale by then) and returns how many it forgot.
func (s *Store) PruneSignedRequests(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM signed_requests WHERE seen_at < $1`, t.UTC().Truncate(time.Microsecond))
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}
