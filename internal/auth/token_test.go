package auth

import (
	"context"
	"errors"
	"regexp"
	"testing"
)

func TestToken(t *testing.T) {
	t.Parallel()
	// The stored form must never change: existing databases hold these.
	if got, want := HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Fatalf("HashToken = %s", got)
	}
	for _, c := range []struct {
		prefix string
		n      int
		re     string
	}{
		{"", 32, `^[A-Za-z0-9_-]{43}$`},
		{"snsos_", 32, `^snsos_[A-Za-z0-9_-]{43}$`},
		{"x", 3, `^x[A-Za-z0-9_-]{4}$`},
	} {
		re := regexp.MustCompile(c.re)
		seen := map[string]bool{}
		for range 50 {
			tok := NewToken(c.prefix, c.n)
			if !re.MatchString(tok) || seen[tok] {
				t.Fatalf("NewToken(%q, %d) = %q", c.prefix, c.n, tok)
			}
			seen[tok] = true
		}
	}
}

type fakeStore struct {
	settings map[string]string
	keep     []string
	failPut  bool
}

func (f *fakeStore) PutSetting(_ context.Context, k, v string) error {
	if f.failPut {
		return errors.New("put failed")
	}
	f.settings[k] = v
	return nil
}

func (f *fakeStore) DeleteOtherSessions(_ context.Context, keep string) (int64, error) {
	f.keep = append(f.keep, keep)
	return 3, nil
}

func TestSetOperatorPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &fakeStore{settings: map[string]string{}}
	n, err := SetOperatorPassword(ctx, f, "correct horse battery", "keep-me")
	if err != nil || n != 3 {
		t.Fatalf("SetOperatorPassword = %d, %v", n, err)
	}
	if ok, err := VerifyPassword("correct horse battery", f.settings[PasswordSetting]); !ok || err != nil {
		t.Fatalf("stored hash %q does not verify: %v", f.settings[PasswordSetting], err)
	}
	if len(f.keep) != 1 || f.keep[0] != "keep-me" {
		t.Fatalf("sessions ended keeping %q", f.keep)
	}
	f = &fakeStore{settings: map[string]string{}, failPut: true}
	if _, err := SetOperatorPassword(ctx, f, "correct horse battery", ""); err == nil || len(f.keep) != 0 {
		t.Fatalf("a failed save must end no session: %v, %q", err, f.keep)
	}
}
