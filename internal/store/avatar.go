package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/sns-os/snsos"
)

// MaxAvatarBytes caps a stored avatar.
const MaxAvatarBytes = 256 << 10

// Avatar is an account's profile picture as sns-os serves it.
type Avatar struct {
	AccountID   int64
	ContentType string // image/png, image/jpeg, image/gif or image/webp
	Data        []byte
	// ETag is the hex SHA-256 of Data (set by PutAccountAvatar).
	ETag      string
	FetchedAt time.Time
}

// PutAccountAvatar stores (or replaces) the avatar of av.AccountID and sets
// av.ETag and av.FetchedAt. It fails with ENOTFOUND when the account does
// not exist and EINVALID when the picture is empty, too large or has no
// content type.
func (s *Store) PutAccountAvatar(ctx context.Context, av *Avatar) error {
	switch {
	case len(av.Data) == 0:
		return snsos.Errorf(snsos.EINVALID, "avatar of account %d is empty", av.AccountID)
	case len(av.Data) > MaxAvatarBytes:
		return snsos.Errorf(snsos.EINVALID, "avatar of account %d is %d bytes; at most %d are kept", av.AccountID, len(av.Data), MaxAvatarBytes)
	case av.ContentType == "":
		return snsos.Errorf(snsos.EINVALID, "avatar of account %d has no content type", av.AccountID)
	}
	sum := sha256.Sum256(av.Data)
	etag := hex.EncodeToString(sum[:])
	now := s.nowUTC()
	_, err := s.db.ExecContext(ctx, `INSERT INTO account_avatars (account_id, content_type, data, etag, fetched_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (account_id) DO UPDATE SET content_type = excluded.content_type, data = excluded.data,
			etag = excluded.etag, fetched_at = excluded.fetched_at`,
		av.AccountID, av.ContentType, av.Data, etag, now)
	if err != nil {
		err = mapErr(err)
		if snsos.IsCode(err, snsos.ECONFLICT) { // the foreign key: no such account
			return notFound("account", av.AccountID)
		}
		return err
	}
	av.ETag, av.FetchedAt = etag, now
	return nil
}

// FindAccountAvatar returns the avatar of the account, or an ENOTFOUND
// error when it has none.
func (s *Store) FindAccountAvatar(ctx context.Context, accountID int64) (*Avatar, error) {
	av := &Avatar{AccountID: accountID}
	err := s.db.QueryRowContext(ctx, `SELECT content_type, data, etag, fetched_at FROM account_avatars WHERE account_id = $1`, accountID).
		Scan(&av.ContentType, &av.Data, &av.ETag, &av.FetchedAt)
	if err != nil {
		if snsos.IsCode(mapErr(err), snsos.ENOTFOUND) {
			return nil, snsos.Errorf(snsos.ENOTFOUND, "account %d has no avatar", accountID)
		}
		return nil, mapErr(err)
	}
	av.FetchedAt = av.FetchedAt.UTC()
	return av, nil
}

// ListAccountAvatarIDs returns the ids of the accounts that have an avatar,
// for pages that show many accounts (one query, not one per account).
func (s *Store) ListAccountAvatarIDs(ctx context.Context) (map[int64]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account_id FROM account_avatars`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr(err)
		}
		out[id] = true
	}
	return out, mapErr(rows.Err())
}
