package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewToken returns prefix followed by nbytes random bytes in unpadded
// base64url: the one way session ids, setup links, API tokens and OAuth
// states are made. crypto/rand never fails (it panics rather than return
// short), so neither does NewToken.
func NewToken(prefix string, nbytes int) string {
	b := make([]byte, nbytes)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of token: the only form in which
// tokens are stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
