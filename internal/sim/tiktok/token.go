package tiktok

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// A grant is one user's consent to the client; it owns the current
// refresh token and the access tokens issued under it.
type grant struct {
	id       string
	openID   string
	scopes   []string
	refresh  string // the current refresh token
	refreshX time.Time
	access   []string
}

type accessToken struct {
	grant   *grant
	expires time.Time
}

// tokenResponse is the flat success answer of POST /v2/oauth/token/.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int    `json:"expires_in"`
	OpenID           string `json:"open_id"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
	RefreshToken     string `json:"refresh_token"`
	Scope            string `json:"scope"`
	TokenType        string `json:"token_type"`
}

// Descriptions of the token endpoint's errors.
const (
	descBadClient   = "Client key or secret is incorrect."
	descBadCode     = "Authorization code is expired, invalid or already used."
	descReusedToken = "The refresh token was already used; refresh tokens are rotated, use the most recent one."
	descBadRefresh  = "Refresh token is invalid or expired."
)

// clientOK checks client_key and client_secret from the form body.
func (s *Sim) clientOK(r *http.Request) bool {
	key := subtle.ConstantTimeCompare([]byte(r.PostForm.Get("client_key")), []byte(s.opts.ClientKey)) == 1
	sec := subtle.ConstantTimeCompare([]byte(r.PostForm.Get("client_secret")), []byte(s.opts.ClientSecret)) == 1
	return key && sec && s.opts.ClientSecret != ""
}

// handleToken serves POST /v2/oauth/token/.
func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request parameters are malformed.")
		return
	}
	if !s.clientOK(r) {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_client", descBadClient)
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		s.exchangeCode(w, r)
	case "refresh_token":
		s.exchangeRefresh(w, r)
	case "":
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type.")
	default:
		s.writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")
	}
}

func (s *Sim) exchangeCode(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	code, verifier := f.Get("code"), f.Get("code_verifier")
	if code == "" || verifier == "" {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "code and code_verifier are required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	delete(s.codes, code) // single use, whatever the outcome
	switch {
	case !ok || !s.now().Before(c.expires) || c.clientKey != s.opts.ClientKey || s.byID[c.openID] == nil:
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", descBadCode)
	case c.redirectURI != f.Get("redirect_uri"):
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the one of the authorization request.")
	case !verifierOK(verifier):
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~].")
	case !hexChallengeOK(c.challenge, verifier):
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_grant",
			"code_verifier does not match code_challenge, which must be the lower-case hex SHA-256 of the verifier.")
	default:
		g := &grant{id: randToken(12), openID: c.openID, scopes: c.scopes}
		s.grants[g.id] = g
		writeTokenResponse(w, s.issueLocked(g))
	}
}

// verifierOK checks the PKCE verifier's length and alphabet.
func verifierOK(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)
		if !ok {
			return false
		}
	}
	return true
}

// hexChallengeOK verifies TikTok's PKCE: the challenge is the hex
// encoding (not RFC 7636 base64url) of the verifier's SHA-256.
func hexChallengeOK(challenge, verifier string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func (s *Sim) exchangeRefresh(w http.ResponseWriter, r *http.Request) {
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "refresh_token is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.refresh[rt]
	if !ok {
		if old := s.rotated[rt]; old != nil {
			if s.opts.RevokeOnRefreshReuse {
				s.dropGrantLocked(old)
			}
			s.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", descReusedToken)
			return
		}
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", descBadRefresh)
		return
	}
	if !s.now().Before(g.refreshX) {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", descBadRefresh)
		return
	}
	writeTokenResponse(w, s.issueLocked(g))
}

func writeTokenResponse(w http.ResponseWriter, t tokenResponse) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, t)
}

// issueLocked mints a new access token and a new refresh token, which
// replaces (rotates) the grant's current one. Callers hold s.mu.
func (s *Sim) issueLocked(g *grant) tokenResponse {
	now := s.now()
	at := "act." + randToken(36)
	s.access[at] = &accessToken{grant: g, expires: now.Add(s.opts.AccessTokenTTL)}
	g.access = slices.DeleteFunc(g.access, func(t string) bool { // forget expired tokens
		a := s.access[t]
		if a != nil && !now.Before(a.expires) {
			delete(s.access, t)
		}
		return a == nil || !now.Before(a.expires)
	})
	g.access = append(g.access, at)
	if g.refresh != "" {
		delete(s.refresh, g.refresh)
		s.rotated[g.refresh] = g
	}
	g.refresh, g.refreshX = "rft."+randToken(36), now.Add(s.opts.RefreshTokenTTL)
	s.refresh[g.refresh] = g
	return tokenResponse{
		AccessToken: at, ExpiresIn: int(s.opts.AccessTokenTTL / time.Second), OpenID: g.openID,
		RefreshExpiresIn: int(s.opts.RefreshTokenTTL / time.Second), RefreshToken: g.refresh,
		Scope: strings.Join(g.scopes, ","), TokenType: "Bearer",
	}
}

// handleRevoke serves POST /v2/oauth/revoke/: the token (an access token,
// or a refresh token) and every other token of its grant stop working.
// An unknown token also answers {}.
func (s *Sim) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request parameters are malformed.")
		return
	}
	if !s.clientOK(r) {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_client", descBadClient)
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		s.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "token is required.")
		return
	}
	s.mu.Lock()
	if at, ok := s.access[tok]; ok {
		s.dropGrantLocked(at.grant)
	} else if g, ok := s.refresh[tok]; ok {
		s.dropGrantLocked(g)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct{}{})
}

// dropGrantLocked deletes a grant and all its tokens. Callers hold s.mu.
func (s *Sim) dropGrantLocked(g *grant) {
	for _, t := range g.access {
		delete(s.access, t)
	}
	delete(s.refresh, g.refresh)
	for k, old := range s.rotated {
		if old == g {
			delete(s.rotated, k)
		}
	}
	delete(s.grants, g.id)
}

// IssueTokens grants DefaultScopes to the user with this open_id without
// the browser flow and returns a fresh access token and refresh token. It
// panics if the user does not exist.
func (s *Sim) IssueTokens(openID string) (access, refresh string) {
	return s.IssueTokensWithScopes(openID, DefaultScopes)
}

// IssueTokensWithScopes is IssueTokens with a chosen set of scopes.
func (s *Sim) IssueTokensWithScopes(openID string, scopes []string) (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[openID] == nil {
		panic("tiktok sim: IssueTokens: unknown open_id " + openID)
	}
	g := &grant{id: randToken(12), openID: openID, scopes: slices.Clone(scopes)}
	s.grants[g.id] = g
	t := s.issueLocked(g)
	return t.AccessToken, t.RefreshToken
}

// RevokeUser kills every grant, token and pending authorization code of
// the user with this open_id, as when the user removes the app.
func (s *Sim) RevokeUser(openID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.grants {
		if g.openID == openID {
			s.dropGrantLocked(g)
		}
	}
	for k, c := range s.codes {
		if c.openID == openID {
			delete(s.codes, k)
		}
	}
}

// tokenOf returns the Bearer token of r, "" when there is none.
func tokenOf(r *http.Request) string {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// randToken returns n random bytes, base64url-encoded.
func randToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
