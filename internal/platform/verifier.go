package platform

import (
	"crypto/rand"
	"encoding/base64"
)

// NewVerifier returns a fresh PKCE code verifier: 32 random bytes in
// unpadded base64url, 43 characters, as RFC 7636 recommends (the same
// construction as golang.org/x/oauth2.GenerateVerifier). Each client derives
// its platform's challenge from it (X: S256 base64url, TikTok: hex SHA-256).
func NewVerifier() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
