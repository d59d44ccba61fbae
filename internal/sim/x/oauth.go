package x

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// knownScopes are the OAuth 2.0 scopes X defines.
var knownScopes = []string{
	"tweet.read", "tweet.write", "tweet.moderate.write", "users.email", "users.read",
	"follows.read", "follows.write", "offline.access", "space.read", "mute.read",
	"mute.write", "like.read", "like.write", "list.read", "list.write", "block.read",
	"block.write", "bookmark.read", "bookmark.write", "media.write", "dm.read", "dm.write",
}

// Descriptions from the doc and community logs.
const (
	descBadCode     = "Value passed for the authorization code was invalid."
	descBadToken    = "Value passed for the token was invalid."
	descMissingAuth = "Missing valid authorization header"
)

type authCode struct {
	clientID, redirectURI string
	scopes                []string
	challenge, method     string
	userID                string
	expires               time.Time
}

// A grant is one user's consent to one client; it owns the current refresh
// token and the access tokens issued under it.
type grant struct {
	id       string
	userID   string
	clientID string
	scopes   []string
	refresh  string // current refresh token, "" without offline.access
	refreshX time.Time
	access   []string
}

type accessToken struct {
	grant   *grant
	expires time.Time
}

// authRequest is the validated parameter set of an authorize request.
type authRequest struct {
	ClientID, RedirectURI, Scope, State, Challenge, Method string
	scopes                                                 []string
}

// parseAuthRequest validates the authorize parameters; the error text is
// shown on the error page.
func (s *Sim) parseAuthRequest(v url.Values) (authRequest, string) {
	ar := authRequest{
		ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), Scope: v.Get("scope"),
		State: v.Get("state"), Challenge: v.Get("code_challenge"), Method: v.Get("code_challenge_method"),
	}
	if v.Get("response_type") != "code" {
		return ar, "response_type must be code"
	}
	if ar.ClientID == "" || ar.ClientID != s.opts.ClientID {
		return ar, "unknown client_id"
	}
	u, err := url.Parse(ar.RedirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return ar, "redirect_uri must be an absolute http(s) URL"
	}
	if len(s.opts.RedirectURIs) > 0 && !slices.Contains(s.opts.RedirectURIs, ar.RedirectURI) {
		return ar, "redirect_uri does not match a registered callback URL"
	}
	ar.scopes = strings.Fields(ar.Scope)
	if len(ar.scopes) == 0 {
		return ar, "scope is required (space separated)"
	}
	for _, sc := range ar.scopes {
		if !slices.Contains(knownScopes, sc) {
			return ar, "unknown scope " + sc
		}
	}
	if ar.State == "" || len(ar.State) > 500 {
		return ar, "state is required and at most 500 characters"
	}
	if ar.Challenge == "" {
		return ar, "code_challenge is required"
	}
	switch strings.ToLower(ar.Method) {
	case "s256":
		ar.Method = "S256"
	case "plain":
		ar.Method = "plain"
	default:
		return ar, "code_challenge_method must be S256 or plain"
	}
	return ar, ""
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize app – X simulator</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}code{background:#eee;padding:0 .2rem}</style></head>
<body>
<h1>Authorize access</h1>
<p>The app <code>{{.ClientID}}</code> wants to access your simulated X account with these scopes:</p>
<ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
<form method="post" action="{{.Action}}">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<p><label>Account <input name="username" value="{{.Username}}"></label></p>
<p><button type="submit" name="approve" value="1" id="approve">Authorize app</button>
<button type="submit" name="deny" value="1" id="deny">Cancel</button></p>
</form>
</body></html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error – X simulator</title></head>
<body><h1>Something went wrong</h1><p>{{.}}</p></body></html>
`))

// formAction is the consent form's target: absolute from BaseURL, else
// relative to the page itself so it survives path prefixes.
func (s *Sim) formAction() string {
	s.mu.Lock()
	base := s.baseURL
	s.mu.Unlock()
	if base != "" {
		return base + "/i/oauth2/authorize"
	}
	return "authorize"
}

// handleAuthorizePage serves GET /i/oauth2/authorize.
func (s *Sim) handleAuthorizePage(w http.ResponseWriter, r *http.Request) {
	ar, msg := s.parseAuthRequest(r.URL.Query())
	if msg != "" {
		s.renderError(w, msg)
		return
	}
	if s.opts.AutoApprove {
		s.redirectWithCode(w, r, ar, "")
		return
	}
	s.mu.Lock()
	username := s.opts.DemoUsername
	if len(s.users) > 0 {
		username = s.users[0].Username
	}
	s.mu.Unlock()
	hidden := map[string]string{
		"response_type": "code", "client_id": ar.ClientID, "redirect_uri": ar.RedirectURI,
		"scope": ar.Scope, "state": ar.State, "code_challenge": ar.Challenge,
		"code_challenge_method": ar.Method,
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = consentPage.Execute(w, map[string]any{
		"ClientID": ar.ClientID, "Scopes": ar.scopes, "Action": s.formAction(),
		"Hidden": hidden, "Username": username,
	})
}

// handleAuthorizeSubmit serves POST /i/oauth2/authorize: approve=1 issues a
// code, anything else is a denial.
func (s *Sim) handleAuthorizeSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, "bad form")
		return
	}
	ar, msg := s.parseAuthRequest(r.PostForm)
	if msg != "" {
		s.renderError(w, msg)
		return
	}
	if r.PostForm.Get("approve") != "1" {
		q := url.Values{"error": {"access_denied"}, "state": {ar.State}}
		http.Redirect(w, r, withQuery(ar.RedirectURI, q), http.StatusFound)
		return
	}
	s.redirectWithCode(w, r, ar, strings.TrimSpace(r.PostForm.Get("username")))
}

// redirectWithCode picks or creates the user, stores a code and redirects
// to the client's callback.
func (s *Sim) redirectWithCode(w http.ResponseWriter, r *http.Request, ar authRequest, username string) {
	s.mu.Lock()
	var u *userRec
	switch {
	case username != "":
		u = s.addUserLocked(username, "")
	case len(s.users) > 0:
		u = s.users[0]
	default:
		u = s.addUserLocked(s.opts.DemoUsername, "Demo User")
	}
	for k, c := range s.codes { // sweep expired codes
		if !s.now().Before(c.expires) {
			delete(s.codes, k)
		}
	}
	code := randToken(32)
	s.codes[code] = &authCode{
		clientID: ar.ClientID, redirectURI: ar.RedirectURI, scopes: ar.scopes,
		challenge: ar.Challenge, method: ar.Method, userID: u.ID,
		expires: s.now().Add(s.opts.AuthCodeTTL),
	}
	s.mu.Unlock()
	q := url.Values{"state": {ar.State}, "code": {code}}
	http.Redirect(w, r, withQuery(ar.RedirectURI, q), http.StatusFound)
}

func (s *Sim) renderError(w http.ResponseWriter, msg string) {
	s.log.Info("xsim: authorize request refused", "reason", msg)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = errorPage.Execute(w, msg)
}

// withQuery appends q to raw, keeping raw's own query.
func withQuery(raw string, q url.Values) string {
	u, _ := url.Parse(raw)
	old := u.Query()
	for k, vs := range q {
		old[k] = vs
	}
	u.RawQuery = old.Encode()
	return u.String()
}

// randToken returns n random bytes, base64url-encoded.
func randToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// clientAuth checks Basic auth or a public client_id and reports whether
// the request may proceed; it writes the 401 itself.
func (s *Sim) clientAuth(w http.ResponseWriter, r *http.Request) (string, bool) {
	if id, secret, ok := r.BasicAuth(); ok {
		idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) == 1
		secOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
		if idOK && secOK && s.opts.ClientSecret != "" {
			return id, true
		}
	} else if id := r.PostForm.Get("client_id"); id != "" && id == s.opts.ClientID && !s.opts.RequireBasicAuth {
		return id, true
	}
	oauthError(w, http.StatusUnauthorized, "unauthorized_client", descMissingAuth)
	return "", false
}

// handleToken serves POST /2/oauth2/token.
func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid form body.")
		return
	}
	clientID, ok := s.clientAuth(w, r)
	if !ok {
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		s.exchangeCode(w, r, clientID)
	case "refresh_token":
		s.exchangeRefresh(w, r, clientID)
	default:
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter [grant_type].")
	}
}

func (s *Sim) exchangeCode(w http.ResponseWriter, r *http.Request, clientID string) {
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	code := f.Get("code")
	c, ok := s.codes[code]
	if ok {
		delete(s.codes, code) // single use, whatever the outcome
	}
	switch {
	case !ok, !s.now().Before(c.expires), c.clientID != clientID,
		c.redirectURI != f.Get("redirect_uri"), !pkceOK(c.challenge, c.method, f.Get("code_verifier")):
		oauthError(w, http.StatusBadRequest, "invalid_request", descBadCode)
		return
	}
	if s.usersByID[c.userID] == nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", descBadCode)
		return
	}
	g := &grant{id: randToken(12), userID: c.userID, clientID: clientID, scopes: c.scopes}
	s.grants[g.id] = g
	writeTokenResponse(w, s.issueLocked(g))
}

func (s *Sim) exchangeRefresh(w http.ResponseWriter, r *http.Request, clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := r.PostForm.Get("refresh_token")
	g, ok := s.refresh[rt]
	if !ok || g.clientID != clientID || !s.now().Before(g.refreshX) {
		oauthError(w, http.StatusBadRequest, "invalid_request", descBadToken)
		return
	}
	delete(s.refresh, rt) // rotation: the old refresh token dies now
	writeTokenResponse(w, s.issueLocked(g))
}

// pkceOK verifies an RFC 7636 code_verifier.
func pkceOK(challenge, method, verifier string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

func writeTokenResponse(w http.ResponseWriter, t tokenResponse) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, t)
}

// issueLocked mints a new access token (and, with offline.access, a new
// refresh token replacing the grant's current one). Callers hold s.mu.
func (s *Sim) issueLocked(g *grant) tokenResponse {
	now := s.now()
	at := randToken(32)
	s.access[at] = &accessToken{grant: g, expires: now.Add(s.opts.AccessTokenTTL)}
	g.access = append(g.access, at)
	// Forget expired access tokens so a long-lived grant stays small.
	g.access = slices.DeleteFunc(g.access, func(t string) bool {
		a := s.access[t]
		if a != nil && !now.Before(a.expires) {
			delete(s.access, t)
			return true
		}
		return a == nil
	})
	resp := tokenResponse{
		TokenType: "bearer", ExpiresIn: int(s.opts.AccessTokenTTL / time.Second),
		AccessToken: at, Scope: strings.Join(g.scopes, " "),
	}
	if slices.Contains(g.scopes, "offline.access") {
		if g.refresh != "" {
			delete(s.refresh, g.refresh)
		}
		g.refresh = randToken(32)
		g.refreshX = now.Add(s.opts.RefreshTokenTTL)
		s.refresh[g.refresh] = g
		resp.RefreshToken = g.refresh
	}
	return resp
}

// handleRevoke serves POST /2/oauth2/revoke. Revoking an access token kills
// that token; revoking a refresh token kills the whole grant (every token
// issued under it) [UNVERIFIED]. Unknown tokens still answer
// {"revoked":true}, as RFC 7009 asks.
func (s *Sim) handleRevoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid form body.")
		return
	}
	clientID, ok := s.clientAuth(w, r)
	if !ok {
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter [token].")
		return
	}
	s.mu.Lock()
	if at, ok := s.access[tok]; ok && at.grant.clientID == clientID {
		delete(s.access, tok)
	} else if g, ok := s.refresh[tok]; ok && g.clientID == clientID {
		s.dropGrantLocked(g)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
}

// dropGrantLocked deletes a grant and all its tokens. Callers hold s.mu.
func (s *Sim) dropGrantLocked(g *grant) {
	for _, t := range g.access {
		delete(s.access, t)
	}
	if g.refresh != "" {
		delete(s.refresh, g.refresh)
	}
	delete(s.grants, g.id)
}

// IssueTokens grants scopes (DefaultScopes when nil) to userID without the
// browser flow and returns a fresh access token and, when offline.access is
// among the scopes, a refresh token ("" otherwise). It panics if the user
// does not exist. The grant belongs to Options.ClientID.
func (s *Sim) IssueTokens(userID string, scopes []string) (access, refresh string) {
	if scopes == nil {
		scopes = DefaultScopes
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usersByID[userID] == nil {
		panic("xsim: IssueTokens: unknown user " + userID)
	}
	g := &grant{id: randToken(12), userID: userID, clientID: s.opts.ClientID, scopes: slices.Clone(scopes)}
	s.grants[g.id] = g
	t := s.issueLocked(g)
	return t.AccessToken, t.RefreshToken
}

// RevokeUser kills every grant, access token, refresh token and pending
// authorization code of userID, as when the user revokes the app.
func (s *Sim) RevokeUser(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.grants {
		if g.userID == userID {
			s.dropGrantLocked(g)
		}
	}
	for k, c := range s.codes {
		if c.userID == userID {
			delete(s.codes, k)
		}
	}
}
