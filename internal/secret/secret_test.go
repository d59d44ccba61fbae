package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustKey(t *testing.T) *Key {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	box := NewBox(k)
	ad := AD("credentials", 1, "access_token")
	sealed, err := box.Seal([]byte("tok-123"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("tok-123")) {
		t.Fatal("plaintext visible in sealed value")
	}
	if SealedKeyID(sealed) != k.ID() {
		t.Fatalf("key id %q, want %q", SealedKeyID(sealed), k.ID())
	}
	pt, err := box.Open(sealed, ad)
	if err != nil || string(pt) != "tok-123" {
		t.Fatalf("Open = %q, %v", pt, err)
	}

	tests := []struct {
		name   string
		sealed func() []byte
		ad     []byte
		want   error
	}{
		{"other row", func() []byte { return sealed }, AD("credentials", 2, "access_token"), ErrOpen},
		{"other field", func() []byte { return sealed }, AD("credentials", 1, "refresh_token"), ErrOpen},
		{"flipped bit", func() []byte { s := bytes.Clone(sealed); s[len(s)-1] ^= 1; return s }, ad, ErrOpen},
		{"truncated", func() []byte { return sealed[:10] }, ad, ErrMalformed},
		{"bad version", func() []byte { s := bytes.Clone(sealed); s[0] = 9; return s }, ad, ErrMalformed},
		{"unknown key", func() []byte { s, _ := NewBox(mustKey(t)).Seal([]byte("x"), ad); return s }, ad, ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := box.Open(tt.sealed(), tt.ad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEmptySealsToNil(t *testing.T) {
	t.Parallel()
	box := NewBox(mustKey(t))
	s, err := box.Seal(nil, []byte("ad"))
	if err != nil || s != nil {
		t.Fatalf("Seal(nil) = %v, %v", s, err)
	}
	pt, err := box.Open(nil, []byte("ad"))
	if err != nil || pt != nil {
		t.Fatalf("Open(nil) = %v, %v", pt, err)
	}
}

func TestRotationBox(t *testing.T) {
	t.Parallel()
	oldK, newK := mustKey(t), mustKey(t)
	ad := AD("credentials", 7, "access_token")
	oldSealed, _ := NewBox(oldK).Seal([]byte("v"), ad)
	both := NewBox(newK, oldK)
	if pt, err := both.Open(oldSealed, ad); err != nil || string(pt) != "v" {
		t.Fatalf("open old under rotation box: %q %v", pt, err)
	}
	newSealed, _ := both.Seal([]byte("v"), ad)
	if SealedKeyID(newSealed) != newK.ID() {
		t.Fatal("rotation box must seal with the new key")
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	hexKey := strings.Repeat("ab", 32)
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"base64", k.Encode(), true},
		{"base64 with newline", k.Encode() + "\n", true},
		{"hex", hexKey, true},
		{"empty", "", false},
		{"short base64", "c2hvcnQ=", false},
		{"garbage", "not a key!", false},
		{"31 bytes hex", strings.Repeat("ab", 31), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseKey(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseKey(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), tt.in) && tt.in != "" {
				t.Fatalf("error echoes the key: %v", err)
			}
			if tt.name == "base64" && got.ID() != k.ID() {
				t.Fatal("round trip changed the key")
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), KeyFileName)
	k, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || k2.ID() != k.ID() {
		t.Fatalf("second load: id %s vs %s, created=%v err=%v", k2.ID(), k.ID(), created, err)
	}
	if err := WriteKeyFile(path, mustKey(t)); err == nil {
		t.Fatal("WriteKeyFile replaced an existing key")
	}
	if strings.Contains(k.String(), k.Encode()) {
		t.Fatal("Key.String prints the key")
	}
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	mac := Sign([]byte("k"), []byte("m"))
	if !Verify([]byte("k"), []byte("m"), mac) || Verify([]byte("k"), []byte("n"), mac) || Verify([]byte("j"), []byte("m"), mac) {
		t.Fatal("Verify wrong")
	}
}

func BenchmarkSealOpen(b *testing.B) {
	k, _ := GenerateKey()
	box := NewBox(k)
	ad := AD("credentials", 1, "access_token")
	tok := []byte(strings.Repeat("t", 120))
	b.ReportAllocs()
	for b.Loop() {
		s, _ := box.Seal(tok, ad)
		if _, err := box.Open(s, ad); err != nil {
			b.Fatal(err)
		}
	}
}
