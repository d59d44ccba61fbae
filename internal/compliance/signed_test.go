package compliance

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

var verifyNow = time.Date(2027, 3, 14, 9, 26, 53, 0, time.UTC)

// signWith signs the JSON payload with secret, encoding both parts with
// enc (Meta: unpadded base64url).
func signWith(payload string, secret []byte, enc *base64.Encoding) string {
	p := enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(p))
	return enc.EncodeToString(mac.Sum(nil)) + "." + p
}

func TestVerify(t *testing.T) {
	t.Parallel()
	issued := verifyNow.Add(-time.Minute).Unix()
	good := `{"algorithm":"HMAC-SHA256","issued_at":` + itoa(issued) + `,"user_id":"218471"}`
	secrets := [][]byte{igSecret, metaSecret}
	raw := base64.RawURLEncoding
	tests := []struct {
		name   string
		sr     string
		reason string // "" = accepted
		uid    string
	}{
		{"meta's shape", signWith(good, igSecret, raw), "", "218471"},
		{"the second secret", signWith(good, metaSecret, raw), "", "218471"},
		{"padded base64url", signWith(`{"algorithm":"HMAC-SHA256","issued_at":`+itoa(issued)+`,"user_id":"21847"}`, igSecret, base64.URLEncoding), "", "21847"},
		{"algorithm in lower case", signWith(`{"algorithm":"hmac-sha256","issued_at":`+itoa(issued)+`,"user_id":"7"}`, igSecret, raw), "", "7"},
		{"numeric user id", signWith(`{"algorithm":"HMAC-SHA256","issued_at":`+itoa(issued)+`,"user_id":17841400000000001}`, igSecret, raw), "", "17841400000000001"},
		{"expires ahead", signWith(`{"algorithm":"HMAC-SHA256","expires":`+itoa(issued+3600)+`,"issued_at":`+itoa(issued)+`,"user_id":"1"}`, igSecret, raw), "", "1"},
		{"empty", "", "missing", ""},
		{"no dot", "abcdef", "signature.payload", ""},
		{"empty signature", "." + raw.EncodeToString([]byte(good)), "signature.payload", ""},
		{"empty payload", signWith(good, igSecret, raw)[:43] + ".", "signature.payload", ""},
		{"garbage", "!!!.???", "not base64url", ""},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(signWith(good+"  ", igSecret, raw)), "", ""},
		{"short signature", raw.EncodeToString([]byte("short")) + "." + raw.EncodeToString([]byte(good)), "not an HMAC-SHA256", ""},
		{"wrong secret", signWith(good, []byte("guess"), raw), "does not match", ""},
		{"threads secret on instagram", signWith(good, thSecret, raw), "does not match", ""},
		{"payload changed after signing", resign(signWith(good, igSecret, raw), `{"algorithm":"HMAC-SHA256","issued_at":`+itoa(issued)+`,"user_id":"1"}`), "does not match", ""},
		{"padding added to the signed payload", signWith(good, igSecret, raw) + "=", "", ""},
		{"three padding characters", addPad(signWith(good, igSecret, raw), 3), "not base64url", ""},
		{"padding in the middle", signWith(good, igSecret, raw)[:10] + "=" + signWith(good, igSecret, raw)[10:], "not base64url", ""},
		{"one padding character too many", addPad(signWith(good, igSecret, raw), 2), "not base64url", ""},
		{"wrong algorithm", signWith(`{"algorithm":"HMAC-SHA1","issued_at":`+itoa(issued)+`,"user_id":"1"}`, igSecret, raw), "algorithm", ""},
		{"no algorithm", signWith(`{"issued_at":`+itoa(issued)+`,"user_id":"1"}`, igSecret, raw), "algorithm", ""},
		{"algorithm none", signWith(`{"algorithm":"none","issued_at":`+itoa(issued)+`,"user_id":"1"}`, igSecret, raw), "algorithm", ""},
		{"stale", signWith(`{"algorithm":"HMAC-SHA256","issued_at":`+itoa(verifyNow.Add(-2*time.Hour).Unix())+`,"user_id":"1"}`, igSecret, raw), "stale", ""},
		{"from the future", signWith(`{"algorithm":"HMAC-SHA256","issued_at":`+itoa(verifyNow.Add(time.Hour).Unix())+`,"user_id":"1"}`, igSecret, raw), "future", ""},
		{"expired", signWith(`{"algorithm":"HMAC-SHA256","expires":`+itoa(issued+10)+`,"issued_at":`+itoa(issued)+`,"user_id":"1"}`, igSecret, raw), "expired", ""},
		{"no issued_at", signWith(`{"algorithm":"HMAC-SHA256","user_id":"1"}`, igSecret, raw), "issued_at", ""},
		{"issued_at not a number", signWith(`{"algorithm":"HMAC-SHA256","issued_at":"soon","user_id":"1"}`, igSecret, raw), "JSON", ""},
		{"issued_at fractional", signWith(`{"algorithm":"HMAC-SHA256","issued_at":1.5,"user_id":"1"}`, igSecret, raw), "issued_at", ""},
		{"no user id", signWith(`{"algorithm":"HMAC-SHA256","issued_at":`+itoa(issued)+`}`, igSecret, raw), "user_id is missing", ""},
		{"user id with markup", signWith(`{"algorithm":"HMAC-SHA256","issued_at":`+itoa(issued)+`,"user_id":"<b>1</b>"}`, igSecret, raw), "characters", ""},
		{"user id too long", signWith(`{"algorithm":"HMAC-SHA256","issued_at":`+itoa(issued)+`,"user_id":"`+strings.Repeat("1", 65)+`"}`, igSecret, raw), "too long", ""},
		{"payload not JSON", signWith(`user_id=1`, igSecret, raw), "JSON", ""},
		{"two JSON values", signWith(good+`{}`, igSecret, raw), "JSON", ""},
		{"JSON array", signWith(`[1]`, igSecret, raw), "JSON", ""},
		{"too long", signWith(`{"algorithm":"HMAC-SHA256","issued_at":`+itoa(issued)+`,"user_id":"1","x":"`+strings.Repeat("a", MaxSignedRequest)+`"}`, igSecret, raw), "too long", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Verify(tt.sr, secrets, verifyNow, time.Hour)
			if tt.name == "standard base64 alphabet" || tt.name == "padding added to the signed payload" {
				// Either refused as undecodable, or (no character to
				// change) a mismatch: never accepted as it is.
				var re *RefusedError
				if tt.name == "padding added to the signed payload" {
					if !errors.As(err, &re) || !strings.Contains(re.Reason, "does not match") {
						t.Fatalf("Verify = %+v, %v; want a mismatch (the signature covers the text as sent)", p, err)
					}
				} else if !errors.As(err, &re) {
					t.Fatalf("Verify = %+v, %v; want a refusal", p, err)
				}
				return
			}
			if tt.reason == "" {
				if err != nil || p.UserID != tt.uid || p.Algorithm != Algorithm || len(p.SignatureHash) != 64 {
					t.Fatalf("Verify = %+v, %v; want user %q", p, err, tt.uid)
				}
				return
			}
			var re *RefusedError
			if !errors.As(err, &re) || !strings.Contains(re.Reason, tt.reason) {
				t.Fatalf("Verify = %+v, %v; want a refusal saying %q", p, err, tt.reason)
			}
		})
	}
}

func TestVerifyNoSecret(t *testing.T) {
	t.Parallel()
	sr := signed(t, igSecret, "1", verifyNow)
	_, err := Verify(sr, nil, verifyNow, time.Hour)
	var re *RefusedError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "no app secret") {
		t.Fatalf("Verify without secrets: %v", err)
	}
	// An empty secret is not a secret that matches an empty key's MAC.
	empty := Sign([]byte(`{"algorithm":"HMAC-SHA256","issued_at":1,"user_id":"1"}`), nil)
	if _, err := Verify(empty, [][]byte{igSecret}, verifyNow, time.Hour); err == nil {
		t.Fatal("a request signed with an empty key was accepted")
	}
}

// TestVerifySameSignatureSameHash: the replay key is the signature's hash,
// whatever padding it came with.
func TestVerifySameSignatureSameHash(t *testing.T) {
	t.Parallel()
	payload := `{"algorithm":"HMAC-SHA256","issued_at":` + itoa(verifyNow.Unix()) + `,"user_id":"5"}`
	a, err := Verify(signWith(payload, igSecret, base64.RawURLEncoding), [][]byte{igSecret}, verifyNow, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sig, rest, _ := strings.Cut(signWith(payload, igSecret, base64.RawURLEncoding), ".")
	b, err := Verify(sig+"="+"."+rest, [][]byte{igSecret}, verifyNow, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if a.SignatureHash != b.SignatureHash {
		t.Fatalf("hashes differ: %s %s", a.SignatureHash, b.SignatureHash)
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		c := NewCode()
		if !ValidCode(c) || len(c) != 16 || seen[c] {
			t.Fatalf("code %q (seen %v)", c, seen[c])
		}
		seen[c] = true
	}
	if !ValidCode("a-_b9Zq-x0Y_1234") { // the contact form's base64url codes
		t.Fatal("a base64url code is refused")
	}
	for _, bad := range []string{"", "short", "has space 123", "../../etc/passwd", "abc.defgh", strings.Repeat("A", 65), "ABCDEFGH\u00e9"} {
		if ValidCode(bad) {
			t.Fatalf("ValidCode(%q) = true", bad)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// resign keeps sr's signature and replaces its payload.
func resign(sr, payload string) string {
	sig, _, _ := strings.Cut(sr, ".")
	return sig + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
}

// addPad adds n padding characters to sr's signature.
func addPad(sr string, n int) string {
	sig, rest, _ := strings.Cut(sr, ".")
	return sig + strings.Repeat("=", n) + "." + rest
}
