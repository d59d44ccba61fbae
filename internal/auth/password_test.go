package auth

import (
	"strings"
	"testing"
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
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", "$argon2id$v=19$m=65536,t=1,p=2$!!$AA"} {
		if _, err := VerifyPassword(pw, bad); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}
