package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/store"
)

// TestSigninRehashesOldHash: a password hashed with the former argon2id
// parameters (64 MiB) still signs in, and is stored again with today's; a
// wrong password changes nothing, and neither does a sign-in racing a
// password change (the swap only replaces the hash it checked).
func TestSigninRehashesOldHash(t *testing.T) {
	e := newTestEnv(t, "correct horse")
	ctx := context.Background()
	key := argon2.IDKey([]byte("correct horse"), []byte("saltsaltsaltsalt"), 1, 65536, 2, 32)
	old := "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$" + base64.RawStdEncoding.EncodeToString(key)
	if err := e.store.PutSetting(ctx, auth.PasswordSetting, old); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	if resp, _ := do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"wrong horse"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if h, _ := e.store.Setting(ctx, auth.PasswordSetting); h != old {
		t.Fatal("a wrong password changed the stored hash")
	}
	if resp, _ := do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"correct horse"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in with an old hash: %d", resp.StatusCode)
	}
	h, err := e.store.Setting(ctx, auth.PasswordSetting)
	if err != nil || h == old || auth.NeedsRehash(h) || !strings.Contains(h, "m=19456,t=2,p=1") {
		t.Fatalf("stored hash after sign-in %q, %v", h, err)
	}
	if ok, _ := auth.VerifyPassword("correct horse", h); !ok {
		t.Fatal("the new hash does not verify")
	}
	// The swap is a compare-and-set: a hash changed meanwhile stays.
	if swapped, err := e.store.SwapSetting(ctx, auth.PasswordSetting, old, "x"); swapped || err != nil {
		t.Fatalf("swap from a stale hash: %v, %v", swapped, err)
	}
}

// racingStore changes the password just before the sign-in's rehash swaps
// the hash, as a password change landing during the check would.
type racingStore struct {
	*store.Store
	newHash string
}

func (s racingStore) SwapSetting(ctx context.Context, key, old, value string) (bool, error) {
	if err := s.Store.PutSetting(ctx, key, s.newHash); err != nil {
		return false, err
	}
	return s.Store.SwapSetting(ctx, key, old, value)
}

// TestSigninRefusedWhenPasswordChangedDuringCheck: an old password checked
// while the operator set a new one opens no session, and the new hash
// stays.
func TestSigninRefusedWhenPasswordChangedDuringCheck(t *testing.T) {
	e := newTestEnv(t, "")
	ctx := context.Background()
	key := argon2.IDKey([]byte("old horse"), []byte("saltsaltsaltsalt"), 1, 65536, 2, 32)
	old := "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$" + base64.RawStdEncoding.EncodeToString(key)
	if err := e.store.PutSetting(ctx, auth.PasswordSetting, old); err != nil {
		t.Fatal(err)
	}
	newHash, err := auth.HashPassword("new horse")
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{Store: racingStore{Store: e.store, newHash: newHash}, Platforms: snsos.Platforms, Now: e.clock.Now})
	mux := http.NewServeMux()
	h.Routes(mux)
	e.srv.Config.Handler = chain(mux)
	resp, _ := do(t, e.client(t), "POST", e.srv.URL+"/signin", url.Values{"password": {"old horse"}})
	if resp.StatusCode == http.StatusSeeOther || sessionCookieOf(t, resp) != nil {
		t.Fatalf("the old password signed in after the change: %d", resp.StatusCode)
	}
	if got, _ := e.store.Setting(ctx, auth.PasswordSetting); got != newHash {
		t.Fatal("the new password's hash was replaced")
	}
}
