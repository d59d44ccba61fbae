package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestDerivedKeyOutlivesRotation: the first DerivedKey is the key versions
// before it derived from the master key (an upgrade changes no link), it is
// stored sealed (no plaintext in the row), it opens only under its own
// setting, and a rotation reseals it without changing it, resumably.
func TestDerivedKeyOutlivesRotation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		purposes := []string{"media-links", "ical-feed"}
		first := map[string][]byte{}
		for _, p := range purposes {
			k, err := s.DerivedKey(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			// What the code before stored keys used: the upgrade keeps it.
			if !bytes.Equal(k, env.Key.Derive(p)) || len(k) != secret.KeySize {
				t.Fatalf("%s: first key is not the master key's derivation", p)
			}
			first[p] = k
			again, err := env.Reopen(t).DerivedKey(ctx, p)
			if err != nil || !bytes.Equal(again, k) {
				t.Fatalf("%s: second read differs: %v", p, err)
			}
		}
		if bytes.Equal(first["media-links"], first["ical-feed"]) {
			t.Fatal("two purposes share a key")
		}

		// Stored sealed: the raw value is not the key, and it names the key id.
		raw, err := s.Setting(ctx, "sealed.derive.media-links")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := base64.StdEncoding.DecodeString(raw)
		if bytes.Contains(b, first["media-links"]) || strings.Contains(raw, base64.StdEncoding.EncodeToString(first["media-links"])) {
			t.Fatal("derived key stored in clear")
		}
		if secret.SealedKeyID(b) != env.Key.ID() {
			t.Fatalf("sealed under %q, want %s", secret.SealedKeyID(b), env.Key.ID())
		}
		// Sealed settings are written only by the store.
		if err := s.PutSetting(ctx, "sealed.derive.media-links", raw); !snsos.IsCode(err, snsos.EINVALID) {
			t.Fatalf("PutSetting on a sealed setting: %v", err)
		}
		// A value moved to another setting does not open.
		if _, err := s.DB().ExecContext(ctx, `UPDATE settings SET value = $1 WHERE key = $2`, raw, "sealed.derive.ical-feed"); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Reopen(t).DerivedKey(ctx, "ical-feed"); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("moved value opened: %v", err)
		}
		if _, err := s.DB().ExecContext(ctx, `DELETE FROM settings WHERE key = $1`, "sealed.derive.ical-feed"); err != nil {
			t.Fatal(err)
		}
		if k, err := s.DerivedKey(ctx, "ical-feed"); err != nil || !bytes.Equal(k, first["ical-feed"]) {
			t.Fatalf("recreated key: %v", err)
		}

		ids, err := s.SettingKeyIDs(ctx)
		if err != nil || len(ids) != 1 || ids[env.Key.ID()] != 2 {
			t.Fatalf("SettingKeyIDs = %v, %v", ids, err)
		}

		newKey, _ := secret.GenerateKey()
		onlyNew := env.Reopen(t)
		onlyNew.SetBox(secret.NewBox(newKey))
		if _, err := onlyNew.DerivedKey(ctx, "media-links"); !errors.Is(err, secret.ErrUnknownKey) {
			t.Fatalf("new key opened the old value: %v", err)
		}
		// A cancelled run changes nothing; the next one reseals both.
		rot := env.Reopen(t)
		rot.SetBox(secret.NewBox(newKey, env.Key))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if p, err := rot.ResealSettings(cctx); err == nil || p.Resealed != 0 {
			t.Fatalf("cancelled run: %+v %v", p, err)
		}
		p, err := rot.ResealSettings(ctx)
		if err != nil || p.Resealed != 2 || p.Remaining != 0 {
			t.Fatalf("reseal = %+v, %v", p, err)
		}
		if p, err := rot.ResealSettings(ctx); err != nil || p.Resealed != 0 || p.Remaining != 0 {
			t.Fatalf("second reseal = %+v, %v", p, err)
		}
		ids, _ = rot.SettingKeyIDs(ctx)
		if len(ids) != 1 || ids[newKey.ID()] != 2 {
			t.Fatalf("key ids after rotation: %v", ids)
		}
		// Only the new key is needed now, and the keys did not change:
		// not even into the new key's own derivation.
		for _, p := range purposes {
			k, err := onlyNew.DerivedKey(ctx, p)
			if err != nil || !bytes.Equal(k, first[p]) {
				t.Fatalf("%s after rotation: changed or %v", p, err)
			}
			if bytes.Equal(k, newKey.Derive(p)) {
				t.Fatalf("%s: rederived from the new key", p)
			}
		}
	})
}

// TestDerivedKeyCreatedOnce: processes starting together agree on one key.
func TestDerivedKeyCreatedOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		// Different primary keys (an environment-mode rotation in progress)
		// would derive different keys: whichever is stored first wins.
		var keys [4]*secret.Key
		stores := make([]*store.Store, len(keys))
		for i := range keys {
			keys[i], _ = secret.GenerateKey()
			stores[i] = env.Reopen(t)
		}
		for i := range keys {
			stores[i].SetBox(secret.NewBox(keys[i], keys[:]...))
		}
		got := make([][]byte, len(stores))
		errs := make([]error, len(stores))
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { got[i], errs[i] = s.DerivedKey(ctx, "media-links") })
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || !bytes.Equal(got[i], got[0]) {
				t.Fatalf("process %d: %v (keys differ: %v)", i, errs[i], !bytes.Equal(got[i], got[0]))
			}
		}
	})
}
