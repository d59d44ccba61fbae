package compliance

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzVerify feeds Verify arbitrary signed requests, and arbitrary payloads
// signed with the right secret: it never panics, refuses with a
// *RefusedError only, and what it accepts holds to the rules.
func FuzzVerify(f *testing.F) {
	now := verifyNow
	f.Add(signed(f, igSecret, "17841400000000001", now), "")
	f.Add("", `{"algorithm":"HMAC-SHA256","issued_at":1773480353,"user_id":"218471"}`)
	f.Add("a.b", `{"algorithm":"HMAC-SHA256","issued_at":1773480353,"user_id":17841400000000001}`)
	f.Add("==.==", `{"algorithm":"hmac-sha256","issued_at":"1773480353","expires":1,"user_id":"1"}`)
	f.Add("x", `{"algorithm":"HMAC-SHA256","issued_at":1773480353,"user_id":"\u0000"}`)
	f.Fuzz(func(t *testing.T, raw, payload string) {
		check := func(sr string) {
			p, err := Verify(sr, [][]byte{igSecret, metaSecret}, now, time.Hour)
			if err != nil {
				var re *RefusedError
				if !errors.As(err, &re) || re.Reason == "" || !utf8.ValidString(re.Reason) || len(sr) >= 8 && strings.Contains(re.Reason, sr) {
					t.Fatalf("Verify(%q): error %v is not a short refusal", sr, err)
				}
				return
			}
			switch {
			case p.Algorithm != Algorithm, p.UserID == "", len(p.UserID) > maxUserID, len(p.SignatureHash) != 64,
				p.IssuedAt.After(now.Add(FutureSkew)), now.Sub(p.IssuedAt) > time.Hour,
				!p.Expires.IsZero() && now.After(p.Expires):
				t.Fatalf("Verify(%q) accepted %+v", sr, p)
			}
			if _, err := Verify(sr, [][]byte{thSecret}, now, time.Hour); err == nil {
				t.Fatalf("Verify(%q) accepted with another secret", sr)
			}
		}
		check(raw)
		if payload != "" {
			check(Sign([]byte(payload), igSecret))
		}
	})
}
