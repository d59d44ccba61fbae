package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/secret"
)

// sealedPrefix starts the key of every setting whose value is sealed under
// the master key (base64 of a secret.Box value). Only the methods of this
// file write them; a key rotation reseals them with ResealSettings.
const sealedPrefix = "sealed."

// derivedKeyPrefix + purpose is the sealed setting that holds the key of
// DerivedKey(purpose).
const derivedKeyPrefix = sealedPrefix + "derive."

// settingAD binds a sealed setting to its key: a value copied to another
// setting does not open.
func settingAD(key string) []byte { return []byte("snsos/settings/" + key) }

// DerivedKey returns the 32-byte key for purpose ("media-links",
// "ical-feed"): what signs the public links and URLs sns-os hands out.
//
// The key is created on first use as the primary master key's
// Box.Derive(purpose) — the very key versions before it used, so links and
// URLs they handed out keep working — and stored sealed in the settings
// table. From then on it does not depend on the master key: a rotation
// reseals it (ResealSettings) without changing it, so the links and the
// feed URL survive the rotation. Processes that create it together agree on
// the first one stored.
func (s *Store) DerivedKey(ctx context.Context, purpose string) ([]byte, error) {
	if s.box == nil {
		return nil, errNoBox
	}
	if purpose == "" {
		return nil, snsos.Errorf(snsos.EINVALID, "derived key needs a purpose")
	}
	key := derivedKeyPrefix + purpose
	v, err := s.openSealedSetting(ctx, key)
	if err == nil {
		return v, nil
	}
	if !snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil, err
	}
	sealed, err := s.box.Seal(s.box.Derive(purpose), settingAD(key))
	if err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING`, key, base64.StdEncoding.EncodeToString(sealed), s.nowUTC()); err != nil {
		return nil, mapErr(err)
	}
	return s.openSealedSetting(ctx, key) // ours, or the one another process stored first
}

// openSealedSetting returns the opened value of the sealed setting key, or
// ENOTFOUND.
func (s *Store) openSealedSetting(ctx context.Context, key string) ([]byte, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, snsos.Errorf(snsos.ENOTFOUND, "setting %s is not set", key)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	sealed, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", key, secret.ErrMalformed)
	}
	pt, err := s.box.Open(sealed, settingAD(key))
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", key, err)
	}
	if len(pt) == 0 {
		return nil, fmt.Errorf("setting %s: %w", key, secret.ErrMalformed)
	}
	return pt, nil
}

type sealedSetting struct {
	key, value string
	keyID      string // "" when the value is not a sealed value
}

// sealedSettings returns every sealed setting, in key order.
func (s *Store) sealedSettings(ctx context.Context) ([]sealedSetting, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM settings WHERE key LIKE $1 ORDER BY key`, sealedPrefix+"%")
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []sealedSetting
	for rows.Next() {
		var r sealedSetting
		if err := rows.Scan(&r.key, &r.value); err != nil {
			return nil, mapErr(err)
		}
		if !strings.HasPrefix(r.key, sealedPrefix) { // LIKE ignores case on SQLite
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(r.value); err == nil {
			r.keyID = secret.SealedKeyID(b)
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}

// ResealSettings re-encrypts every sealed setting that is not sealed under
// the Box's primary key, as ResealCredentials does credentials: each one is
// written alone with a compare-and-set on the value it read, so an
// interrupted run loses nothing and a value changed meanwhile is picked up
// by the next run. The Box must hold the old keys too. The opened values do
// not change.
func (s *Store) ResealSettings(ctx context.Context) (RotationProgress, error) {
	var p RotationProgress
	if s.box == nil {
		return p, errNoBox
	}
	primary := s.box.PrimaryID()
	all, err := s.sealedSettings(ctx)
	if err != nil {
		return p, err
	}
	for _, r := range all {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		if r.keyID == primary {
			continue
		}
		v, err := s.openSealedSetting(ctx, r.key)
		if err != nil {
			return p, fmt.Errorf("reseal %w", err)
		}
		sealed, err := s.box.Seal(v, settingAD(r.key))
		if err != nil {
			return p, err
		}
		res, err := s.db.ExecContext(ctx, `UPDATE settings SET value = $1, updated_at = $2 WHERE key = $3 AND value = $4`,
			base64.StdEncoding.EncodeToString(sealed), s.nowUTC(), r.key, r.value)
		if err != nil {
			return p, mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			p.Resealed++
		}
	}
	counts, err := s.SettingKeyIDs(ctx)
	if err != nil {
		return p, err
	}
	for id, n := range counts {
		if id != primary {
			p.Remaining += n
		}
	}
	return p, nil
}

// SettingKeyIDs returns how many sealed settings are sealed under each key
// id ("" for a value that is not a sealed value at all).
func (s *Store) SettingKeyIDs(ctx context.Context) (map[string]int, error) {
	all, err := s.sealedSettings(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range all {
		out[r.keyID]++
	}
	return out, nil
}
