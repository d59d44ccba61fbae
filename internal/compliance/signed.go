package compliance

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// MaxSignedRequest bounds the length of a signed_request: Meta's are a few
// hundred bytes.
const MaxSignedRequest = 4 << 10

// FutureSkew is how far in the future a signed request's issued_at may be
// (the platform's clock and this server's disagree a little).
const FutureSkew = 5 * time.Minute

// DefaultMaxAge is how old a signed request may be when no window is
// configured.
const DefaultMaxAge = time.Hour

// Algorithm is the only signature algorithm accepted.
const Algorithm = "HMAC-SHA256"

// Payload is what a verified signed request says.
type Payload struct {
	Algorithm string
	IssuedAt  time.Time
	Expires   time.Time // zero when the request has none
	// UserID is the platform user the request is about, always as text.
	UserID string
	// SignatureHash is the hex SHA-256 of the signature: what a replay of
	// this request is recognised by.
	SignatureHash string
}

// RefusedError is a signed request that failed verification. Reason is
// short, says what is wrong and never quotes the request.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "signed_request refused: " + e.Reason }

func refuse(reason string) error { return &RefusedError{Reason: reason} }

// Verify checks raw, a signed_request, against secrets (any one of them
// may have signed it) and returns its payload. The signature is checked
// first, in constant time, before anything else in the request is read;
// then the algorithm must be HMAC-SHA256, issued_at no older than maxAge
// (DefaultMaxAge when 0) and no further than FutureSkew ahead of now, an
// expires (when present) not passed, and user_id present. Both parts are
// base64url, unpadded as Meta sends them or correctly padded; any other
// padding is refused. Every refusal is a *RefusedError.
func Verify(raw string, secrets [][]byte, now time.Time, maxAge time.Duration) (*Payload, error) {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	switch {
	case raw == "":
		return nil, refuse("signed_request is missing")
	case len(raw) > MaxSignedRequest:
		return nil, refuse("signed_request is too long")
	}
	sigPart, payloadPart, ok := strings.Cut(raw, ".")
	if !ok || sigPart == "" || payloadPart == "" {
		return nil, refuse("signed_request is not signature.payload")
	}
	sig, err := decodeBase64URL(sigPart)
	if err != nil {
		return nil, refuse("the signature is not base64url")
	}
	if len(sig) != sha256.Size {
		return nil, refuse("the signature is not an HMAC-SHA256")
	}
	if len(secrets) == 0 {
		return nil, refuse("no app secret is configured to check it")
	}
	match := 0
	for _, key := range secrets {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(payloadPart)) // over the encoded text, as signed
		match |= subtle.ConstantTimeCompare(mac.Sum(nil), sig)
	}
	if match != 1 {
		return nil, refuse("the signature does not match")
	}
	p, err := decodePayload(payloadPart)
	if err != nil {
		return nil, err
	}
	if err := p.check(now, maxAge); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(sig)
	p.SignatureHash = hex.EncodeToString(sum[:])
	return p, nil
}

// decodeBase64URL decodes base64url without padding, or with exactly the
// padding its length calls for.
func decodeBase64URL(s string) ([]byte, error) {
	trimmed := strings.TrimRight(s, "=")
	if pad := len(s) - len(trimmed); pad > 0 && (pad > 2 || len(s)%4 != 0) {
		return nil, base64.CorruptInputError(len(trimmed))
	}
	return base64.RawURLEncoding.Strict().DecodeString(trimmed)
}

// rawPayload is the payload's JSON; numbers stay text until checked.
type rawPayload struct {
	Algorithm *string         `json:"algorithm"`
	IssuedAt  json.Number     `json:"issued_at"`
	Expires   json.Number     `json:"expires"`
	UserID    json.RawMessage `json:"user_id"`
}

func decodePayload(part string) (*Payload, error) {
	b, err := decodeBase64URL(part)
	if err != nil {
		return nil, refuse("the payload is not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var rp rawPayload
	if err := dec.Decode(&rp); err != nil {
		return nil, refuse("the payload is not a JSON object")
	}
	if dec.More() {
		return nil, refuse("the payload is not a JSON object")
	}
	p := &Payload{}
	if rp.Algorithm == nil || !strings.EqualFold(*rp.Algorithm, Algorithm) {
		return nil, refuse("the algorithm must be " + Algorithm)
	}
	p.Algorithm = Algorithm
	if p.IssuedAt, err = unixTime(rp.IssuedAt); err != nil || p.IssuedAt.IsZero() {
		return nil, refuse("issued_at is missing or not a time")
	}
	if rp.Expires != "" {
		if p.Expires, err = unixTime(rp.Expires); err != nil {
			return nil, refuse("expires is not a time")
		}
	}
	if p.UserID, err = userID(rp.UserID); err != nil {
		return nil, err
	}
	return p, nil
}

// check applies the time rules.
func (p *Payload) check(now time.Time, maxAge time.Duration) error {
	switch {
	case p.IssuedAt.After(now.Add(FutureSkew)):
		return refuse("issued_at is in the future")
	case now.Sub(p.IssuedAt) > maxAge:
		return refuse("the signed_request is stale (issued_at is too old)")
	case !p.Expires.IsZero() && now.After(p.Expires):
		return refuse("the signed_request has expired")
	}
	return nil
}

// unixTime reads seconds since 1970 (zero time for an absent value).
func unixTime(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	s, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || s <= 0 || s > 1<<40 {
		return time.Time{}, strconv.ErrRange
	}
	return time.Unix(s, 0).UTC(), nil
}

// maxUserID bounds a user id's length; Meta's are numeric strings of up to
// about 20 digits.
const maxUserID = 64

// userID reads user_id, a string (or, tolerated, an integer) of letters,
// digits, '.', '_' and '-'.
func userID(raw json.RawMessage) (string, error) {
	var s string
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", refuse("user_id is not text")
		}
	} else if len(raw) > 0 {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", refuse("user_id is not text")
		}
		if _, err := strconv.ParseUint(string(n), 10, 64); err != nil {
			return "", refuse("user_id is not text")
		}
		s = string(n)
	}
	if s == "" {
		return "", refuse("user_id is missing")
	}
	if len(s) > maxUserID {
		return "", refuse("user_id is too long")
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == '-') {
			return "", refuse("user_id has characters an id does not have")
		}
	}
	return s, nil
}

// Sign returns a signed_request of payload (JSON) with secret, as Meta
// makes them (unpadded base64url): for tests, the demo and anyone trying
// the callbacks.
func Sign(payload, secret []byte) string {
	enc := base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(enc))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) + "." + enc
}
