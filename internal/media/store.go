package media

import (
	"context"
	"encoding/hex"
	"io"
	"strings"
)

// A Store keeps media bytes under opaque keys. The keys are content
// addresses: Put returns KeyFor(sha256hex) of the bytes it stored, so the
// same content always has the same key and is stored once.
//
// Implementations must be safe for concurrent use and must honour these
// rules, on which Library relies:
//
//   - Put reads r to io.EOF before it makes the object visible under its key,
//     and makes it visible atomically: a reader never sees a partial object.
//     If reading r fails, or anything else fails, Put returns the error and
//     leaves nothing behind (no partial object, no temporary file). Putting
//     content that is already stored succeeds and leaves the stored object
//     as it was.
//   - Open returns a fresh stream of an object from its start, or an
//     ENOTFOUND snsos error. When the backend can, the stream also
//     implements io.ReaderAt (and io.Seeker): probing needs random access.
//   - Stat returns an object's size, or an ENOTFOUND snsos error.
//   - Delete removes an object; deleting a missing object is not an error.
//
// Keys are never derived from anything a client sends: a backend may reject
// any key that is not of the form KeyFor returns.
type Store interface {
	Put(ctx context.Context, r io.Reader) (key string, sha256hex string, size int64, err error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Stat(ctx context.Context, key string) (size int64, err error)
	Delete(ctx context.Context, key string) error
}

// KeyFor returns the storage key of content whose SHA-256 is sha256hex
// (lower-case hex): "sha256/" + its first two digits + "/" + all 64, e.g.
// "sha256/ab/abcdef…". It returns "" when sha256hex is not 64 lower-case hex
// digits.
func KeyFor(sha256hex string) string {
	if !isSHA256Hex(sha256hex) {
		return ""
	}
	return "sha256/" + sha256hex[:2] + "/" + sha256hex
}

// shaOfKey returns the hash a valid key names, or "" if key is not a valid
// content address.
func shaOfKey(key string) string {
	rest, ok := strings.CutPrefix(key, "sha256/")
	if !ok || len(rest) != 3+64 || rest[2] != '/' {
		return ""
	}
	sum := rest[3:]
	if !isSHA256Hex(sum) || rest[:2] != sum[:2] {
		return ""
	}
	return sum
}

func isSHA256Hex(s string) bool {
	if len(s) != hex.EncodedLen(32) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
