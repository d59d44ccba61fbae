package store

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/sns-os/snsos"
)

// PutSealedSetting stores value sealed under the primary master key as the
// setting "sealed."+name (the git archive's push token, set with `sns-os
// archive token set`): kept like the platform tokens, resealed by a key
// rotation with the other sealed settings, never exported.
func (s *Store) PutSealedSetting(ctx context.Context, name string, value []byte) error {
	if s.box == nil {
		return errNoBox
	}
	if name == "" || strings.HasPrefix(sealedPrefix+name, derivedKeyPrefix) {
		return snsos.Errorf(snsos.EINVALID, "sealed setting name %q is not allowed", name)
	}
	if len(value) == 0 {
		return snsos.Errorf(snsos.EINVALID, "sealed setting %s needs a value", name)
	}
	key := sealedPrefix + name
	sealed, err := s.box.Seal(value, settingAD(key))
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, base64.StdEncoding.EncodeToString(sealed), s.nowUTC())
	return mapErr(err)
}

// SealedSetting returns the opened value of the sealed setting "sealed."+name,
// or ENOTFOUND.
func (s *Store) SealedSetting(ctx context.Context, name string) ([]byte, error) {
	if s.box == nil {
		return nil, errNoBox
	}
	return s.openSealedSetting(ctx, sealedPrefix+name)
}
