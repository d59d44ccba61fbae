package x

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const allScopes = "tweet.read tweet.write users.read media.write offline.access"

func TestOAuthCodeExchange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mutate  func(e *env, form url.Values)
		basic   bool
		status  int
		errDesc string
	}{
		{name: "good verifier, confidential client", basic: true, status: 200},
		{name: "good verifier, public client", mutate: func(_ *env, f url.Values) { f.Set("client_id", testClientID) }, status: 200},
		{name: "bad verifier", basic: true, mutate: func(_ *env, f url.Values) {
			f.Set("code_verifier", strings.Repeat("x", 50))
		}, status: 400, errDesc: descBadCode},
		{name: "expired code", basic: true, mutate: func(e *env, _ url.Values) { e.clock.Advance(31 * time.Second) },
			status: 400, errDesc: descBadCode},
		{name: "code at 29s still valid", basic: true, mutate: func(e *env, _ url.Values) { e.clock.Advance(29 * time.Second) }, status: 200},
		{name: "redirect mismatch", basic: true, mutate: func(_ *env, f url.Values) {
			f.Set("redirect_uri", testRedirect+"/other")
		}, status: 400, errDesc: descBadCode},
		{name: "no client auth", status: 401, errDesc: descMissingAuth},
		{name: "wrong secret", mutate: func(_ *env, f url.Values) { f.Set("client_id", "nope") }, status: 401, errDesc: descMissingAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			code := e.code(allScopes, "alice")
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}}
			if tc.mutate != nil {
				tc.mutate(e, form)
			}
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/2/oauth2/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.basic {
				req.SetBasicAuth(testClientID, testClientSecret)
			}
			r := e.expect(e.send(req), tc.status)
			if tc.status != 200 {
				if got := r.str("error_description"); got != tc.errDesc {
					t.Fatalf("error_description = %q, want %q", got, tc.errDesc)
				}
				return
			}
			if r.str("token_type") != "bearer" || r.str("expires_in") != "7200" || r.str("scope") != allScopes ||
				r.str("access_token") == "" || r.str("refresh_token") == "" {
				t.Fatalf("token response %s", r.raw)
			}
			me := e.expect(e.do(http.MethodGet, "/2/users/me", r.str("access_token"), nil), 200)
			if me.str("data", "username") != "alice" {
				t.Fatalf("users/me = %s", me.raw)
			}
		})
	}
}

func TestOAuthCodeReuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	code := e.code(allScopes, "")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}}
	e.expect(e.token(form), 200)
	r := e.expect(e.token(form), 400)
	if r.str("error") != "invalid_request" || r.str("error_description") != descBadCode {
		t.Fatalf("reuse: %s", r.raw)
	}
	if u := e.sim.Users(); len(u) != 1 || u[0].Username != DefaultDemoUsername {
		t.Fatalf("demo user not created: %+v", u)
	}
}

func TestOAuthPlainAndNoOffline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	q := authorizeQuery("tweet.read users.read")
	q.Set("code_challenge", testVerifier)
	q.Set("code_challenge_method", "plain")
	loc := e.consent(e.srv.URL+"/i/oauth2/authorize?"+q.Encode(), true, "bob")
	r := e.expect(e.token(url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}}), 200)
	if _, ok := r.body["refresh_token"]; ok {
		t.Fatalf("refresh_token without offline.access: %s", r.raw)
	}
	// users.read alone cannot post.
	r = e.expect(e.do(http.MethodPost, "/2/tweets", r.str("access_token"), map[string]any{"text": "hi"}), 403)
	if r.str("title") != "Forbidden" {
		t.Fatalf("scope error: %s", r.raw)
	}
}

func TestAuthorizeDenyAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{RedirectURIs: []string{testRedirect}})
	loc := e.consent(e.srv.URL+"/i/oauth2/authorize?"+authorizeQuery(allScopes).Encode(), false, "")
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st-123" || loc.Query().Get("code") != "" {
		t.Fatalf("deny redirect = %s", loc)
	}
	bad := map[string]func(url.Values){
		"response_type": func(q url.Values) { q.Set("response_type", "token") },
		"client_id":     func(q url.Values) { q.Set("client_id", "other") },
		"redirect_uri":  func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") },
		"scope":         func(q url.Values) { q.Set("scope", "tweet.read,users.read") },
		"no scope":      func(q url.Values) { q.Del("scope") },
		"state":         func(q url.Values) { q.Set("state", strings.Repeat("s", 501)) },
		"no challenge":  func(q url.Values) { q.Del("code_challenge") },
		"method":        func(q url.Values) { q.Set("code_challenge_method", "md5") },
	}
	for name, mutate := range bad {
		q := authorizeQuery(allScopes)
		mutate(q)
		r := e.do(http.MethodGet, "/i/oauth2/authorize?"+q.Encode(), "", nil)
		if r.status != 400 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: status %d (%s)", name, r.status, r.header.Get("Content-Type"))
		}
	}
}

func TestAutoApprove(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AutoApprove: true})
	r := e.expect(e.do(http.MethodGet, "/i/oauth2/authorize?"+authorizeQuery(allScopes).Encode(), "", nil), 302)
	loc, _ := url.Parse(r.header.Get("Location"))
	if loc.Query().Get("code") == "" || !strings.HasPrefix(loc.String(), testRedirect+"?") {
		t.Fatalf("auto-approve redirect = %s", loc)
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u := e.sim.AddUser("carol", "Carol")
	a1, r1 := e.sim.IssueTokens(u.ID, nil)
	if r1 == "" {
		t.Fatal("no refresh token")
	}
	e.clock.Advance(2*time.Hour + time.Second)
	e.expect(e.do(http.MethodGet, "/2/users/me", a1, nil), 401) // expired

	// Public client refresh.
	r := e.expect(e.do(http.MethodPost, "/2/oauth2/token", "", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {r1}, "client_id": {testClientID}}), 200)
	a2, r2 := r.str("access_token"), r.str("refresh_token")
	if a2 == "" || r2 == "" || r2 == r1 {
		t.Fatalf("refresh response %s", r.raw)
	}
	old := e.expect(e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1}}), 400)
	if old.str("error") != "invalid_request" || old.str("error_description") != descBadToken {
		t.Fatalf("reused refresh token: %s", old.raw)
	}
	e.expect(e.do(http.MethodGet, "/2/users/me", a2, nil), 200)
	r = e.expect(e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r2}}), 200)
	if r.str("refresh_token") == r2 {
		t.Fatal("second refresh did not rotate")
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u := e.sim.AddUser("dave", "")
	a1, _ := e.sim.IssueTokens(u.ID, nil)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/2/oauth2/revoke", strings.NewReader(url.Values{"token": {a1}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testClientSecret)
	r := e.expect(e.send(req), 200)
	if r.str("revoked") != "true" {
		t.Fatalf("revoke body %s", r.raw)
	}
	e.expect(e.do(http.MethodGet, "/2/users/me", a1, nil), 401)

	// Revoking the refresh token kills the grant's access tokens.
	a2, r2 := e.sim.IssueTokens(u.ID, nil)
	e.expect(e.do(http.MethodPost, "/2/oauth2/revoke", "", url.Values{"token": {r2}, "client_id": {testClientID}}), 200)
	e.expect(e.do(http.MethodGet, "/2/users/me", a2, nil), 401)
	e.expect(e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r2}}), 400)

	// RevokeUser kills everything.
	a3, r3 := e.sim.IssueTokens(u.ID, nil)
	e.sim.RevokeUser(u.ID)
	un := e.expect(e.do(http.MethodGet, "/2/users/me", a3, nil), 401)
	if un.str("title") != "Unauthorized" || un.str("detail") != "Unauthorized" || un.str("type") != "about:blank" ||
		!strings.HasPrefix(un.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("401 shape: %s %v", un.raw, un.header)
	}
	e.expect(e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r3}}), 400)
}

func TestRequireBasicAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{RequireBasicAuth: true})
	r := e.expect(e.do(http.MethodPost, "/2/oauth2/token", "", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {testClientID}}), 401)
	if r.str("error") != "unauthorized_client" {
		t.Fatalf("body %s", r.raw)
	}
}
