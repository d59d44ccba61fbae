package compliance

import (
	"crypto/rand"
	"encoding/base32"
)

// codeBytes is the randomness of a confirmation code: 80 bits, so codes
// cannot be guessed to read other requests' status pages.
const codeBytes = 10

// NewCode returns a new confirmation code: 16 letters and digits (base32),
// which the public status page /deletion/{code} is found by.
func NewCode() string {
	b := make([]byte, codeBytes)
	rand.Read(b) // never fails (crypto/rand)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// ValidCode reports whether s has the shape of a confirmation code: 8 to 64
// characters of the base64url alphabet (letters, digits, '-', '_'), which
// covers NewCode's and the contact form's. The status page answers
// anything else with a 404 without looking it up.
func ValidCode(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
