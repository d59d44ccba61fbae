package store

import (
	"context"
	"strings"

	"github.com/sns-os/snsos"
)

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

// SwapSetting sets a setting to value only while it still holds old, and
// reports whether it did: a change made meanwhile by someone else wins.
func (s *Store) SwapSetting(ctx context.Context, key, old, value string) (bool, error) {
	if strings.HasPrefix(strings.ToLower(key), sealedPrefix) {
		return false, snsos.Errorf(snsos.EINVALID, "setting %s is sealed and cannot be set directly", key)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE settings SET value = $1, updated_at = $2 WHERE key = $3 AND value = $4`,
		value, s.nowUTC(), key, old)
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr(err)
}
