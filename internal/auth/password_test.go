package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestPassword(t *testing.T) {
	t.Parallel()
	pw, err := GeneratePassword()
	if err != nil || len(pw) != 20 {
		t.Fatalf("GeneratePassword = %q, %v", pw, err)
	}
	h, err := HashPassword(pw)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, pw) {
		t.Fatalf("hash %q, %v", h, err)
	}
	if ok, err := VerifyPassword(pw, h); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if ok, _ := VerifyPassword(pw+"x", h); ok {
		t.Fatal("wrong password accepted")
	}
	if NeedsRehash(h) {
		t.Errorf("a new hash %q needs a rehash", h)
	}
	// A hash made with the former parameters (64 MiB, one pass, two lanes)
	// still verifies, and asks to be re-hashed.
	old := "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$"
	key := argon2.IDKey([]byte(pw), []byte("saltsaltsaltsalt"), 1, 65536, 2, 32)
	old += base64.RawStdEncoding.EncodeToString(key)
	if ok, err := VerifyPassword(pw, old); !ok || err != nil {
		t.Fatalf("a hash with the former parameters: %v, %v", ok, err)
	}
	if !NeedsRehash(old) {
		t.Error("a hash with the former parameters does not ask for a rehash")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", "$argon2id$v=19$m=65536,t=1,p=2$!!$AA"} {
		if _, err := VerifyPassword(pw, bad); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}
