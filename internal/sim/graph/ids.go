package graph

import (
	"hash/fnv"
	"strconv"
	"sync"
)

// MinID is the smallest id IDs hands out: 10^16, so every id has 17
// decimal digits and lies above 2^53 (9007199254740992), where a float64
// stops being exact. Clients must keep ids as strings or 64-bit integers.
const MinID uint64 = 10_000_000_000_000_000

// IDs hands out increasing decimal ids of one kind (users, containers,
// media, …) in steps of 1 to 1000, so that ids are neither guessable by
// adding one nor equal across kinds when the kinds start far apart. IDs is
// safe for concurrent use.
type IDs struct {
	mu   sync.Mutex
	next uint64
}

// NewIDs returns a generator whose first id is start (at least MinID).
func NewIDs(start uint64) *IDs {
	return &IDs{next: max(start, MinID)}
}

// Next returns the next id.
func (g *IDs) Next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := g.next
	g.next += 1 + (id*2654435761>>13)%1000
	return strconv.FormatUint(id, 10)
}

// shortcodeAlphabet is Instagram's base-64 alphabet of shortcodes.
const shortcodeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// Shortcode returns the permalink shortcode of an id: 11 characters of
// Instagram's alphabet, starting with C or D like current Instagram and
// Threads shortcodes, derived from a hash of the id (Graph ids are not the
// internal ids shortcodes encode, so nothing is lost).
func Shortcode(id string) string {
	n := Seed(id)>>3 | 1<<61
	var b [11]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = shortcodeAlphabet[n%64]
		n /= 64
	}
	return string(b[:])
}

// Seed hashes s (an id) into the 64-bit seed of its deterministic numbers.
func Seed(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
