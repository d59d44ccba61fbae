// Package secret seals small values (platform tokens) with AES-256-GCM under
// a master key, and signs and verifies messages with HMAC-SHA256.
//
// A sealed value is
//
//	version(1) | key id(4) | nonce(12) | ciphertext+tag
//
// The key id is the first four bytes of SHA-256 over the key, so a Box that
// holds several keys (during a rotation) knows which one opens a value, and
// an operator can tell keys apart without seeing them. Every Seal takes
// associated data, which callers set to the row and field the value belongs
// to (see AD): a ciphertext copied to another row or field does not open.
//
// The package imports only the standard library.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// KeySize is the length of a master key in bytes.
const KeySize = 32

const (
	version   = 1
	idSize    = 4
	nonceSize = 12
	overhead  = 1 + idSize + nonceSize + 16
)

// Errors returned by Open.
var (
	ErrMalformed  = errors.New("secret: sealed value is malformed")
	ErrUnknownKey = errors.New("secret: sealed under a key that is not loaded")
	ErrOpen       = errors.New("secret: sealed value does not open (wrong key, tampered, or moved from another row)")
)

// Key is a master key. Its String method prints only its id.
type Key struct {
	id   [idSize]byte
	aead cipher.AEAD
	raw  []byte
}

// NewKey returns a Key for the 32 raw bytes b.
func NewKey(b []byte) (*Key, error) {
	if len(b) != KeySize {
		return nil, fmt.Errorf("secret: a master key is %d bytes, got %d", KeySize, len(b))
	}
	block, err := aes.NewCipher(b)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	k := &Key{aead: aead, raw: append([]byte(nil), b...)}
	sum := sha256.Sum256(b)
	copy(k.id[:], sum[:idSize])
	return k, nil
}

// GenerateKey returns a new random key.
func GenerateKey() (*Key, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("secret: generate key: %w", err)
	}
	return NewKey(b)
}

// ParseKey decodes a key written as 64 hex digits or as standard or URL-safe
// base64 (padded or not) of 32 bytes. Surrounding white space is ignored.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secret: the master key is empty")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return NewKey(b)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("secret: the master key decodes to %d bytes; it must be %d (generate one with: sns-os keys generate)", len(b), KeySize)
			}
			return NewKey(b)
		}
	}
	return nil, fmt.Errorf("secret: the master key must be %d bytes written as 64 hex digits or base64 (generate one with: sns-os keys generate)", KeySize)
}

// ID returns the key id as 8 hex digits.
func (k *Key) ID() string { return hex.EncodeToString(k.id[:]) }

// String returns a description that names the key id only.
func (k *Key) String() string { return "key " + k.ID() }

// Encode returns the key as base64, for writing to a key file.
func (k *Key) Encode() string { return base64.StdEncoding.EncodeToString(k.raw) }

// Box seals with its primary key and opens with any key it holds.
// A Box is safe for concurrent use once built.
type Box struct {
	primary *Key
	keys    map[[idSize]byte]*Key
}

// NewBox returns a Box that seals with primary and opens values sealed with
// primary or any of others (older keys during a rotation).
func NewBox(primary *Key, others ...*Key) *Box {
	b := &Box{primary: primary, keys: map[[idSize]byte]*Key{primary.id: primary}}
	for _, k := range others {
		if k != nil {
			if _, dup := b.keys[k.id]; !dup {
				b.keys[k.id] = k
			}
		}
	}
	return b
}

// PrimaryID returns the id of the key new values are sealed with.
func (b *Box) PrimaryID() string { return b.primary.ID() }

// KeyIDs returns the ids of every key the box can open with.
func (b *Box) KeyIDs() []string {
	ids := make([]string, 0, len(b.keys))
	for _, k := range b.keys {
		ids = append(ids, k.ID())
	}
	return ids
}

// Seal encrypts plaintext bound to ad. An empty plaintext seals to nil, so
// "no token" stays distinguishable from a token without a ciphertext.
func (b *Box) Seal(plaintext, ad []byte) ([]byte, error) {
	if len(plaintext) == 0 {
		return nil, nil
	}
	out := make([]byte, 1+idSize+nonceSize, overhead+len(plaintext))
	out[0] = version
	copy(out[1:], b.primary.id[:])
	if _, err := rand.Read(out[1+idSize:]); err != nil {
		return nil, fmt.Errorf("secret: nonce: %w", err)
	}
	return b.primary.aead.Seal(out, out[1+idSize:], plaintext, ad), nil
}

// Open decrypts a value made by Seal with the same ad. A nil or empty sealed
// value opens to nil.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	if len(sealed) < overhead || sealed[0] != version {
		return nil, ErrMalformed
	}
	var id [idSize]byte
	copy(id[:], sealed[1:])
	k, ok := b.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w (key id %x)", ErrUnknownKey, id)
	}
	nonce := sealed[1+idSize : 1+idSize+nonceSize]
	pt, err := k.aead.Open(nil, nonce, sealed[1+idSize+nonceSize:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// SealedKeyID returns the id of the key a sealed value was made with, or ""
// if the value is empty or malformed.
func SealedKeyID(sealed []byte) string {
	if len(sealed) < overhead || sealed[0] != version {
		return ""
	}
	return hex.EncodeToString(sealed[1 : 1+idSize])
}

// AD builds associated data that binds a sealed value to one field of one
// row, e.g. AD("credentials", 42, "access_token").
func AD(table string, id int64, field string) []byte {
	return []byte("snsos/" + table + "/" + strconv.FormatInt(id, 10) + "/" + field)
}

// Sign returns the HMAC-SHA256 of msg under key.
func Sign(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// Verify reports, in constant time, whether mac is the HMAC-SHA256 of msg
// under key.
func Verify(key, msg, mac []byte) bool { return hmac.Equal(Sign(key, msg), mac) }

// Derive returns a 32-byte subkey of k for the named purpose, so one master
// key never signs two kinds of thing. A subkey changes with the key: what
// must outlive a key rotation (the media link and calendar feed keys) is
// derived once and stored sealed instead (store.DerivedKey).
func (k *Key) Derive(purpose string) []byte { return Sign(k.raw, []byte("snsos derive: "+purpose)) }

// Derive returns a subkey of the primary key (see Key.Derive).
func (b *Box) Derive(purpose string) []byte { return b.primary.Derive(purpose) }
