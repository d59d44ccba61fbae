package graph

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"time"
)

// tokenKeep is how long an expired or revoked token is remembered, so that
// it gets the "Session has expired" error rather than "Cannot parse".
const tokenKeep = 90 * 24 * time.Hour

// A Code is a pending authorization code.
type Code struct {
	ClientID, RedirectURI, UserID string
	Scopes                        []string
	Expires                       time.Time
}

// A Token is an access token the simulator issued.
type Token struct {
	Value   string
	UserID  string
	Scopes  []string
	Long    bool // long-lived (exchanged or refreshed) rather than short-lived
	Issued  time.Time
	Expires time.Time
	Revoked time.Time // zero unless RevokeUser killed it
}

// Check returns nil when t is usable at now, else the 190/463 error Graph
// answers for an expired or revoked token.
func (t *Token) Check(now time.Time) *Error {
	end := t.Expires
	if !t.Revoked.IsZero() && t.Revoked.Before(end) {
		end = t.Revoked
	}
	if now.Before(end) {
		return nil
	}
	e := Expired(end, now)
	return &e
}

// HasScope reports whether the token was granted scope.
func (t *Token) HasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }

// Tokens stores authorization codes and access tokens. Token values are
// Prefix followed by random base64url text; codes start with "AQB".
type Tokens struct {
	Prefix string
	codes  map[string]*Code
	tokens map[string]*Token
}

// NewTokens returns an empty store whose tokens start with prefix.
func NewTokens(prefix string) *Tokens {
	return &Tokens{Prefix: prefix, codes: make(map[string]*Code), tokens: make(map[string]*Token)}
}

// NewCode stores c and returns its value.
func (s *Tokens) NewCode(c Code, now time.Time) string {
	for k, old := range s.codes {
		if !now.Before(old.Expires) {
			delete(s.codes, k)
		}
	}
	v := "AQB" + RandomString(48)
	s.codes[v] = &c
	return v
}

// Redeem removes code and returns it when it exists and has not expired.
// A code is single-use whatever the outcome of the exchange.
func (s *Tokens) Redeem(code string, now time.Time) (*Code, bool) {
	c, ok := s.codes[code]
	if !ok {
		return nil, false
	}
	delete(s.codes, code)
	if !now.Before(c.Expires) {
		return nil, false
	}
	return c, true
}

// Issue mints a token for userID valid for ttl from now.
func (s *Tokens) Issue(userID string, scopes []string, long bool, now time.Time, ttl time.Duration) *Token {
	for k, t := range s.tokens {
		if now.Sub(t.Expires) > tokenKeep {
			delete(s.tokens, k)
		}
	}
	t := &Token{Value: s.Prefix + RandomString(60), UserID: userID, Scopes: slices.Clone(scopes),
		Long: long, Issued: now, Expires: now.Add(ttl)}
	s.tokens[t.Value] = t
	return t
}

// Lookup returns the token with this value, or nil. The token may be
// expired or revoked; see Token.Check.
func (s *Tokens) Lookup(value string) *Token {
	return s.tokens[value]
}

// RevokeUser revokes every token of userID at now and drops its pending
// codes.
func (s *Tokens) RevokeUser(userID string, now time.Time) {
	for _, t := range s.tokens {
		if t.UserID == userID && t.Revoked.IsZero() {
			t.Revoked = now
		}
	}
	for k, c := range s.codes {
		if c.UserID == userID {
			delete(s.codes, k)
		}
	}
}

// RandomString returns n characters of random base64url text.
func RandomString(n int) string {
	b := make([]byte, (n*3+3)/4)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
