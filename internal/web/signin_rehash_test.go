package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/sns-os/snsos/internal/auth"
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
