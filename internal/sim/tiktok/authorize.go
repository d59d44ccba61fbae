package tiktok

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// An authRequest is the validated parameter set of GET
// /v2/auth/authorize/.
type authRequest struct {
	ClientKey, RedirectURI, Scope, State, Challenge, Method string
	scopes                                                  []string
}

// An authFailure is why an authorize request is refused: on an error page
// when the client or redirect URI cannot be trusted, else by redirecting
// with error and error_description.
type authFailure struct {
	page        bool
	code, descr string
}

// authCode is a pending authorization code.
type authCode struct {
	clientKey, redirectURI, challenge, openID string
	scopes                                    []string
	expires                                   time.Time
}

// parseAuthRequest validates the authorize parameters.
func (s *Sim) parseAuthRequest(v url.Values) (authRequest, *authFailure) {
	ar := authRequest{
		ClientKey: v.Get("client_key"), RedirectURI: v.Get("redirect_uri"), Scope: v.Get("scope"),
		State: v.Get("state"), Challenge: v.Get("code_challenge"), Method: v.Get("code_challenge_method"),
	}
	if ar.ClientKey == "" || ar.ClientKey != s.opts.ClientKey {
		return ar, &authFailure{page: true, descr: "client_key: this is not a registered app (check the client key)"}
	}
	if !s.redirectAllowed(ar.RedirectURI) {
		return ar, &authFailure{page: true, descr: "redirect_uri: it does not match a redirect URI registered for this app"}
	}
	if v.Get("response_type") != "code" {
		return ar, &authFailure{code: "unsupported_response_type", descr: "response_type must be code"}
	}
	if strings.TrimSpace(ar.Scope) == "" {
		return ar, &authFailure{code: "invalid_scope", descr: "scope is required (a comma-separated list)"}
	}
	for sc := range strings.SplitSeq(ar.Scope, ",") {
		sc = strings.TrimSpace(sc)
		if !slices.Contains(DefaultScopes, sc) {
			return ar, &authFailure{code: "invalid_scope", descr: "scope: unknown scope " + strconv.Quote(sc) + " (scopes are comma-separated)"}
		}
		if !slices.Contains(ar.scopes, sc) {
			ar.scopes = append(ar.scopes, sc)
		}
	}
	switch {
	case ar.State == "":
		return ar, &authFailure{code: "invalid_request", descr: "state is required"}
	case ar.Challenge == "":
		return ar, &authFailure{code: "invalid_request", descr: "code_challenge is required (the hex-encoded SHA-256 of the code_verifier)"}
	case ar.Method != "S256":
		return ar, &authFailure{code: "invalid_request", descr: "code_challenge_method must be S256"}
	}
	return ar, nil
}

// redirectAllowed reports whether raw is a registered redirect URI.
func (s *Sim) redirectAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return false
	}
	if len(s.opts.RedirectURIs) == 0 {
		return true
	}
	for _, reg := range s.opts.RedirectURIs {
		if reg == raw || wildcardPortMatch(reg, u) {
			return true
		}
	}
	return false
}

// wildcardPortMatch matches a registered URI whose port is "*" (e.g.
// http://127.0.0.1:*/callback/) against u, which must have a port.
func wildcardPortMatch(reg string, u *url.URL) bool {
	before, after, ok := strings.Cut(reg, ":*")
	if !ok || u.Port() == "" {
		return false
	}
	r, err := url.Parse(before + after)
	return err == nil && r.Scheme == u.Scheme && r.Hostname() == u.Hostname() &&
		r.EscapedPath() == u.EscapedPath() && r.RawQuery == u.RawQuery
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize – TikTok simulator</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}code{background:#eee;padding:0 .2rem}</style></head>
<body>
<h1>Allow <code>{{.ClientKey}}</code> to access your TikTok account?</h1>
<form method="post" action="{{.Action}}">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<ul>{{range .Scopes}}<li>{{if eq . "user.info.basic"}}<input type="hidden" name="grant" value="{{.}}">
<label><input type="checkbox" checked disabled> <code>{{.}}</code> (required)</label>{{else}}
<label><input type="checkbox" name="grant" value="{{.}}" checked> <code>{{.}}</code></label>{{end}}</li>
{{end}}</ul>
<p><label>Account <input name="username" value="{{.Username}}"></label></p>
<p><button type="submit" name="approve" value="1" id="approve">Authorize</button>
<button type="submit" name="deny" value="1" id="deny">Cancel</button></p>
</form>
</body></html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error – TikTok simulator</title></head>
<body><h1>Something went wrong</h1><p>{{.}}</p></body></html>
`))

// handleAuthorizePage serves GET /v2/auth/authorize/: the consent page, or
// with AutoApprove a redirect with a code for every requested scope.
func (s *Sim) handleAuthorizePage(w http.ResponseWriter, r *http.Request) {
	ar, fail := s.parseAuthRequest(r.URL.Query())
	if fail != nil {
		s.refuseAuthorize(w, r, ar, fail)
		return
	}
	if s.opts.AutoApprove {
		s.redirectWithCode(w, r, ar, "", ar.scopes)
		return
	}
	hidden := map[string]string{
		"client_key": ar.ClientKey, "redirect_uri": ar.RedirectURI, "response_type": "code",
		"scope": ar.Scope, "state": ar.State, "code_challenge": ar.Challenge, "code_challenge_method": ar.Method,
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = consentPage.Execute(w, map[string]any{
		"ClientKey": ar.ClientKey, "Scopes": ar.scopes, "Hidden": hidden,
		"Action": s.base(r) + "/v2/auth/authorize/", "Username": s.defaultUsername(),
	})
}

// handleAuthorizeSubmit serves the consent form: approve=1 issues a code
// for the ticked scopes (every requested scope when the form names none),
// anything else is a denial.
func (s *Sim) handleAuthorizeSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.refuseAuthorize(w, r, authRequest{}, &authFailure{page: true, descr: "the consent form is malformed"})
		return
	}
	ar, fail := s.parseAuthRequest(r.PostForm)
	if fail != nil {
		s.refuseAuthorize(w, r, ar, fail)
		return
	}
	if r.PostForm.Get("approve") != "1" {
		s.refuseAuthorize(w, r, ar, &authFailure{code: "access_denied", descr: "The user denied the authorization request."})
		return
	}
	granted := ar.scopes
	if ticked := r.PostForm["grant"]; len(ticked) > 0 {
		granted = slices.DeleteFunc(slices.Clone(ar.scopes), func(sc string) bool {
			return sc != ScopeUserBasic && !slices.Contains(ticked, sc)
		})
	}
	s.redirectWithCode(w, r, ar, strings.TrimSpace(r.PostForm.Get("username")), granted)
}

// refuseAuthorize shows the error page or redirects with the error.
func (s *Sim) refuseAuthorize(w http.ResponseWriter, r *http.Request, ar authRequest, f *authFailure) {
	s.log.Info("tiktok sim: authorize request refused", "error", f.code, "reason", f.descr)
	if f.page {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_ = errorPage.Execute(w, f.descr)
		return
	}
	q := url.Values{"error": {f.code}, "error_description": {f.descr}}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	http.Redirect(w, r, withQuery(ar.RedirectURI, q), http.StatusFound)
}

// defaultUsername is the account the consent page proposes.
func (s *Sim) defaultUsername() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.users) > 0 {
		return s.users[0].Username
	}
	return s.opts.DemoUsername
}

// redirectWithCode picks or creates the user, stores a code and redirects
// to the client with code, scopes and state.
func (s *Sim) redirectWithCode(w http.ResponseWriter, r *http.Request, ar authRequest, username string, scopes []string) {
	if username == "" {
		username = s.defaultUsername()
	}
	s.mu.Lock()
	u := s.addUserLocked(username, "")
	now := s.now()
	for k, c := range s.codes {
		if !now.Before(c.expires) {
			delete(s.codes, k)
		}
	}
	// Real codes contain '*' and '!', which is why TikTok asks clients to
	// URL-decode them before the exchange.
	code := randToken(48) + "*0!" + strconv.Itoa(1000+int(now.UnixNano()%9000)) + ".va"
	s.codes[code] = &authCode{clientKey: ar.ClientKey, redirectURI: ar.RedirectURI, challenge: ar.Challenge,
		openID: u.OpenID, scopes: slices.Clone(scopes), expires: now.Add(s.opts.AuthCodeTTL)}
	s.mu.Unlock()
	q := url.Values{"code": {code}, "scopes": {strings.Join(scopes, ",")}, "state": {ar.State}}
	http.Redirect(w, r, withQuery(ar.RedirectURI, q), http.StatusFound)
}

// withQuery adds q to raw's query.
func withQuery(raw string, q url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	old := u.Query()
	for k, vs := range q {
		old[k] = vs
	}
	u.RawQuery = old.Encode()
	return u.String()
}
