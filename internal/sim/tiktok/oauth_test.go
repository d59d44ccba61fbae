package tiktok

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// authorizeQuery is a valid authorize query, changed by edit.
func authorizeQuery(edit func(url.Values)) string {
	q := url.Values{"client_key": {testClientKey}, "scope": {"user.info.basic,video.publish,video.upload,video.list"},
		"redirect_uri": {testRedirect}, "state": {"st-1"}, "response_type": {"code"},
		"code_challenge": {hexChallenge(testVerifier)}, "code_challenge_method": {"S256"}}
	if edit != nil {
		edit(q)
	}
	return "/v2/auth/authorize/?" + q.Encode()
}

// callback reads the query of a redirect to the client.
func callback(t *testing.T, r resp) url.Values {
	t.Helper()
	if r.status != http.StatusFound {
		t.Fatalf("authorize: status %d, want 302; body %s", r.status, r.raw)
	}
	u, err := url.Parse(r.header.Get("Location"))
	if err != nil || !strings.HasPrefix(u.String(), testRedirect) {
		t.Fatalf("redirect to %q", r.header.Get("Location"))
	}
	return u.Query()
}

// authCodeFor runs AutoApprove and returns the code.
func authCodeFor(t *testing.T, e *env) string {
	t.Helper()
	q := callback(t, e.do(http.MethodGet, authorizeQuery(nil), "", nil))
	if q.Get("state") != "st-1" || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	return q.Get("code")
}

func exchangeForm(code, verifier string) url.Values {
	return url.Values{"client_key": {testClientKey}, "client_secret": {testClientSecret}, "code": {code},
		"grant_type": {"authorization_code"}, "redirect_uri": {testRedirect}, "code_verifier": {verifier}}
}

func TestAuthorizeAndExchange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AutoApprove: true, RedirectURIs: []string{"http://127.0.0.1:*/callback/"}})
	code := authCodeFor(t, e)
	if !strings.Contains(code, "*0!") {
		t.Fatalf("code %q lacks the characters that need URL-decoding", code)
	}
	r := e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", exchangeForm(code, testVerifier)), 200, "")
	for _, k := range []string{"access_token", "open_id", "refresh_token"} {
		if r.str(k) == "" {
			t.Fatalf("token answer lacks %s: %s", k, r.raw)
		}
	}
	if r.str("expires_in") != "86400" || r.str("refresh_expires_in") != "31536000" || r.str("token_type") != "Bearer" ||
		r.str("scope") != "user.info.basic,video.publish,video.upload,video.list" {
		t.Fatalf("token answer %s", r.raw)
	}
	if u := e.sim.Users(); len(u) != 1 || u[0].OpenID != r.str("open_id") || u[0].Username != DefaultDemoUsername {
		t.Fatalf("users %+v, open_id %s", u, r.str("open_id"))
	}
	ci := e.expect(e.do(http.MethodPost, "/v2/post/publish/creator_info/query/", r.str("access_token"), nil), 200, "ok")
	if ci.str("data", "creator_username") != DefaultDemoUsername {
		t.Fatalf("creator info %s", ci.raw)
	}
	// The code is single use.
	e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", exchangeForm(code, testVerifier)), 400, "")
}

func TestExchangeRefusals(t *testing.T) {
	t.Parallel()
	b64 := func(v string) string {
		s := sha256.Sum256([]byte(v))
		return base64.RawURLEncoding.EncodeToString(s[:])
	}
	tests := []struct {
		name      string
		challenge string
		edit      func(url.Values)
		err       string
	}{
		{name: "base64url challenge (RFC 7636, not TikTok)", challenge: b64(testVerifier), err: "invalid_grant"},
		{name: "wrong verifier", edit: func(v url.Values) { v.Set("code_verifier", testVerifier+"x") }, err: "invalid_grant"},
		{name: "short verifier", edit: func(v url.Values) { v.Set("code_verifier", "short") }, err: "invalid_request"},
		{name: "no verifier", edit: func(v url.Values) { v.Del("code_verifier") }, err: "invalid_request"},
		{name: "redirect mismatch", edit: func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:9/other/") }, err: "invalid_grant"},
		{name: "wrong secret", edit: func(v url.Values) { v.Set("client_secret", "nope") }, err: "invalid_client"},
		{name: "unknown code", edit: func(v url.Values) { v.Set("code", "nope") }, err: "invalid_grant"},
		{name: "no grant_type", edit: func(v url.Values) { v.Del("grant_type") }, err: "invalid_request"},
		{name: "other grant_type", edit: func(v url.Values) { v.Set("grant_type", "password") }, err: "unsupported_grant_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{AutoApprove: true})
			q := callback(t, e.do(http.MethodGet, authorizeQuery(func(v url.Values) {
				if tc.challenge != "" {
					v.Set("code_challenge", tc.challenge)
				}
			}), "", nil))
			form := exchangeForm(q.Get("code"), testVerifier)
			if tc.edit != nil {
				tc.edit(form)
			}
			r := e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", form), 400, "")
			if r.str("error") != tc.err || r.str("error_description") == "" || r.str("log_id") == "" {
				t.Fatalf("answer %s, want error %s", r.raw, tc.err)
			}
		})
	}
}

func TestCodeExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AutoApprove: true})
	code := authCodeFor(t, e)
	e.clock.Advance(DefaultAuthCodeTTL)
	r := e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", exchangeForm(code, testVerifier)), 400, "")
	if r.str("error") != "invalid_grant" {
		t.Fatalf("expired code: %s", r.raw)
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(url.Values)
		page bool   // an error page, no redirect
		err  string // the redirect's error
	}{
		{name: "unknown client_key", edit: func(v url.Values) { v.Set("client_key", "other") }, page: true},
		{name: "unregistered redirect", edit: func(v url.Values) { v.Set("redirect_uri", "http://localhost:8765/callback/") }, page: true},
		{name: "response_type token", edit: func(v url.Values) { v.Set("response_type", "token") }, err: "unsupported_response_type"},
		{name: "space-separated scopes", edit: func(v url.Values) { v.Set("scope", "user.info.basic video.list") }, err: "invalid_scope"},
		{name: "no scope", edit: func(v url.Values) { v.Del("scope") }, err: "invalid_scope"},
		{name: "no state", edit: func(v url.Values) { v.Del("state") }, err: "invalid_request"},
		{name: "no challenge", edit: func(v url.Values) { v.Del("code_challenge") }, err: "invalid_request"},
		{name: "plain method", edit: func(v url.Values) { v.Set("code_challenge_method", "plain") }, err: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{AutoApprove: true, RedirectURIs: []string{testRedirect}})
			r := e.do(http.MethodGet, authorizeQuery(tc.edit), "", nil)
			if tc.page {
				if r.status != 400 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
					t.Fatalf("status %d %s, want an HTML error page", r.status, r.raw)
				}
				return
			}
			if q := callback(t, r); q.Get("error") != tc.err || q.Get("error_description") == "" || q.Get("code") != "" {
				t.Fatalf("callback %v, want error %s", q, tc.err)
			}
		})
	}
}

func TestConsentPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	page := e.do(http.MethodGet, authorizeQuery(nil), "", nil)
	if page.status != 200 || !bytes.Contains(page.raw, []byte(`name="grant" value="video.list"`)) ||
		!bytes.Contains(page.raw, []byte(e.srv.URL+"/v2/auth/authorize/")) {
		t.Fatalf("consent page %d %s", page.status, page.raw)
	}
	form, _ := url.ParseQuery(strings.TrimPrefix(authorizeQuery(nil), "/v2/auth/authorize/?"))
	form.Set("username", "alice")
	deny := callback(t, e.do(http.MethodPost, "/v2/auth/authorize/", "", form))
	if deny.Get("error") != "access_denied" || deny.Get("state") != "st-1" {
		t.Fatalf("deny %v", deny)
	}
	// Untick video.publish and video.upload: the code grants the rest.
	form.Set("approve", "1")
	form["grant"] = []string{"user.info.basic", "video.list"}
	q := callback(t, e.do(http.MethodPost, "/v2/auth/authorize/", "", form))
	if q.Get("scopes") != "user.info.basic,video.list" {
		t.Fatalf("scopes %q", q.Get("scopes"))
	}
	tok := e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", exchangeForm(q.Get("code"), testVerifier)), 200, "")
	at := tok.str("access_token")
	e.expect(e.do(http.MethodPost, "/v2/post/publish/creator_info/query/", at, nil), 401, codeScopeNotAuthorized)
	if u := e.sim.Users(); len(u) != 1 || u[0].Username != "alice" {
		t.Fatalf("users %+v", u)
	}
}

func refreshForm(rt string) url.Values {
	return url.Values{"client_key": {testClientKey}, "client_secret": {testClientSecret},
		"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	for _, revoke := range []bool{false, true} {
		e := newEnv(t, Options{RevokeOnRefreshReuse: revoke})
		u := e.sim.AddUser("bob", "")
		at1, rt1 := e.sim.IssueTokens(u.OpenID)
		r := e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", refreshForm(rt1)), 200, "")
		at2, rt2 := r.str("access_token"), r.str("refresh_token")
		if rt2 == rt1 || at2 == at1 || r.str("open_id") != u.OpenID {
			t.Fatalf("refresh did not rotate: %s", r.raw)
		}
		reuse := e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", refreshForm(rt1)), 400, "")
		if reuse.str("error") != "invalid_grant" || !strings.Contains(reuse.str("error_description"), "most recent") {
			t.Fatalf("reuse answer %s", reuse.raw)
		}
		want := 200
		if revoke {
			want = 401
		}
		if got := e.do(http.MethodGet, "/v2/user/info/?fields=open_id", at2, nil); got.status != want {
			t.Fatalf("revoke=%v: the new access token answers %d, want %d", revoke, got.status, want)
		}
		if got := e.do(http.MethodPost, "/v2/oauth/token/", "", refreshForm(rt2)); (got.status == 200) == revoke {
			t.Fatalf("revoke=%v: refreshing with the newest token answers %d", revoke, got.status)
		}
	}
}

func TestRevokeAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AccessTokenTTL: time.Hour})
	u := e.sim.AddUser("carol", "")
	at, rt := e.sim.IssueTokens(u.OpenID)
	e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id", at, nil), 200, "ok")
	e.clock.Advance(time.Hour)
	e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id", at, nil), 401, codeTokenInvalid)
	r := e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", refreshForm(rt)), 200, "")
	if r.str("expires_in") != "3600" {
		t.Fatalf("expires_in %s", r.str("expires_in"))
	}
	at2 := r.str("access_token")
	form := url.Values{"client_key": {testClientKey}, "client_secret": {testClientSecret}, "token": {at2}}
	if rv := e.expect(e.do(http.MethodPost, "/v2/oauth/revoke/", "", form), 200, ""); string(rv.raw) != "{}" {
		t.Fatalf("revoke answered %s, want {}", rv.raw)
	}
	e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id", at2, nil), 401, codeTokenInvalid)
	e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", refreshForm(r.str("refresh_token"))), 400, "")
	form.Set("client_secret", "wrong")
	if bad := e.do(http.MethodPost, "/v2/oauth/revoke/", "", form); bad.str("error") != "invalid_client" {
		t.Fatalf("revoke with a wrong secret: %s", bad.raw)
	}
	// RevokeUser kills tokens issued without the browser.
	at3, _ := e.sim.IssueTokens(u.OpenID)
	e.sim.RevokeUser(u.OpenID)
	e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id", at3, nil), 401, codeTokenInvalid)
}

func TestSecretsStayOutOfLogsAndRecords(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := newEnv(t, Options{AutoApprove: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	code := authCodeFor(t, e)
	r := e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", exchangeForm(code, testVerifier)), 200, "")
	at, rt := r.str("access_token"), r.str("refresh_token")
	e.do(http.MethodPost, "/v2/oauth/token/", "", exchangeForm(code, testVerifier)) // refused reuse
	e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", refreshForm(rt)), 200, "")
	e.sim.InjectFault(Fault{Match: "POST /v2/post/publish/creator_info/query/", Kind: FaultStatus})
	e.do(http.MethodPost, "/v2/post/publish/creator_info/query/", at, nil)
	e.do(http.MethodGet, authorizeQuery(func(v url.Values) { v.Set("client_key", "x") }), "", nil)
	var recorded bytes.Buffer
	for _, req := range e.sim.Requests() {
		recorded.WriteString(req.Path + " " + req.Query.Encode() + " " + req.Form.Encode() + " " + req.JSON + "\n")
	}
	for _, secret := range []string{testClientSecret, code, url.QueryEscape(code), at, rt, testVerifier} {
		if strings.Contains(logs.String(), secret) || strings.Contains(recorded.String(), secret) {
			t.Fatalf("a secret leaked:\nlogs: %s\nrecorded: %s", logs.String(), recorded.String())
		}
	}
	if !strings.Contains(recorded.String(), "client_secret=%2A%2A%2A") || !strings.Contains(logs.String(), "injecting fault") {
		t.Fatalf("recorded %s\nlogs %s", recorded.String(), logs.String())
	}
}
