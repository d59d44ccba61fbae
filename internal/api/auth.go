package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
)

// TokenPrefixLen is how many leading characters of a token are stored in
// clear (APIToken.Prefix) so the operator can recognise it.
const TokenPrefixLen = 12

// BootstrapTokenName names the API token taken from SNSOS_API_TOKEN.
const BootstrapTokenName = "bootstrap"

// maxTokenLen bounds what the API will hash from an Authorization header.
const maxTokenLen = 512

// TokenPrefix returns the first TokenPrefixLen characters of token (all of
// it when shorter): the part stored in clear.
func TokenPrefix(token string) string {
	if len(token) <= TokenPrefixLen {
		return token
	}
	return token[:TokenPrefixLen]
}

// An API token is TokenTag followed by TokenBytes random bytes in unpadded
// base64url: auth.NewToken(TokenTag, TokenBytes). Store auth.auth.HashToken(token)
// and TokenPrefix(token); show the token to the operator once and never
// again.
const (
	TokenTag   = "snsos_"
	TokenBytes = 32
)

// TokenEnsurer stores a token hash unless it exists; *store.Store satisfies
// it.
type TokenEnsurer interface {
	EnsureAPIToken(ctx context.Context, name, hash, prefix string) (*snsos.APIToken, error)
}

// EnsureBootstrapToken makes the bootstrap token (SNSOS_API_TOKEN) usable:
// it stores its hash under BootstrapTokenName unless it is stored already.
// A bootstrap token the operator revoked stays revoked.
func EnsureBootstrapToken(ctx context.Context, s TokenEnsurer, token string) (*snsos.APIToken, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, snsos.Errorf(snsos.EINVALID, "SNSOS_API_TOKEN is empty")
	}
	return s.EnsureAPIToken(ctx, BootstrapTokenName, auth.HashToken(token), TokenPrefix(token))
}

// prefixMatches reports, in time independent of the contents, whether the
// stored clear prefix is the start of token.
func prefixMatches(stored, token string) bool {
	if len(stored) > len(token) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(stored), []byte(token[:len(stored)])) == 1
}

type tokenKey struct{}

// TokenFromContext returns the API token that authenticated the request
// (without its secret), if any.
func TokenFromContext(ctx context.Context) (*snsos.APIToken, bool) {
	t, ok := ctx.Value(tokenKey{}).(*snsos.APIToken)
	return t, ok
}

var (
	errNoToken      = snsos.Errorf(snsos.EUNAUTHORIZED, "This API needs a token: send Authorization: Bearer <token>.")
	errBadToken     = snsos.Errorf(snsos.EUNAUTHORIZED, "The API token is not valid.")
	errRevokedToken = snsos.Errorf(snsos.EUNAUTHORIZED, "The API token was revoked.")
)

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header. present is false when there is no such header; token is "" when
// the header is present but malformed.
func bearerToken(r *http.Request) (token string, present bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	token = strings.TrimSpace(rest)
	if token == "" || len(token) > maxTokenLen || strings.ContainsAny(token, " \t") {
		return "", true
	}
	return token, true
}

// authenticate admits requests that carry a valid, unrevoked API token.
//
// The token is hashed and looked up by its hash; the stored hash is then
// compared with the computed one in constant time, and the clear prefix
// stored with it must be the start of the presented token.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, present := bearerToken(r)
		if !present {
			w.Header().Set("WWW-Authenticate", `Bearer`)
			a.error(w, r, errNoToken)
			return
		}
		if token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
			a.error(w, r, errBadToken)
			return
		}
		hash := auth.HashToken(token)
		t, err := a.store.FindAPITokenByHash(r.Context(), hash)
		switch {
		case snsos.IsCode(err, snsos.ENOTFOUND):
			a.log.Info("api token refused", "reason", "unknown", "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			a.error(w, r, errBadToken)
			return
		case err != nil:
			a.error(w, r, err)
			return
		}
		if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 || !prefixMatches(t.Prefix, token) {
			a.log.Warn("api token refused", "reason", "prefix mismatch", "token_id", t.ID, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			a.error(w, r, errBadToken)
			return
		}
		if !t.RevokedAt.IsZero() {
			a.log.Info("api token refused", "reason", "revoked", "token_id", t.ID, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			a.error(w, r, errRevokedToken)
			return
		}
		if err := a.store.TouchAPIToken(r.Context(), t.ID); err != nil {
			a.log.Warn("api token touch failed", "token_id", t.ID, "err", err)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)))
	})
}

// Authenticate admits requests that carry a valid, unrevoked API token, as
// every API route does: for routes outside the API that need one
// (/metrics on the main listener).
func (a *API) Authenticate(next http.Handler) http.Handler { return a.authenticate(next) }
