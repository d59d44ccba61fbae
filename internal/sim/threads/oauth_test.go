package threads

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
)

const allScopes = "threads_basic,threads_content_publish,threads_manage_insights,threads_read_replies"

func authorizeQuery(scope string) url.Values {
	return graphtest.AuthorizeQuery(testClientID, testRedirect, scope, "st-7")
}

// code runs the browser part of the flow and returns the code.
func (e *env) code(scope, username string) string {
	e.T.Helper()
	return e.Code(authorizeQuery(scope), username)
}

func exchangeForm(code string) url.Values {
	return url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret},
		"grant_type": {"authorization_code"}, "redirect_uri": {testRedirect}, "code": {code}}
}

// token exchanges a code for a short-lived token with a POST form.
func (e *env) token(scope, username string) string {
	e.T.Helper()
	return e.Expect(e.Do(http.MethodPost, "/oauth/access_token", "", exchangeForm(e.code(scope, username))), 200).Str("access_token")
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{RedirectURIs: []string{testRedirect}})
	loc := e.Consent(authorizeQuery(allScopes), false, "")
	u, _ := url.Parse(strings.TrimSuffix(loc, "#_"))
	if u.Query().Get("error") != "access_denied" || u.Query().Get("error_reason") != "user_denied" || u.Query().Get("state") != "st-7" {
		t.Fatalf("deny %s", loc)
	}
	for name, mutate := range map[string]func(url.Values){
		"client":        func(q url.Values) { q.Set("client_id", "x") },
		"redirect":      func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") },
		"response_type": func(q url.Values) { q.Del("response_type") },
		"no basic":      func(q url.Values) { q.Set("scope", "threads_content_publish") },
		"unknown scope": func(q url.Values) { q.Set("scope", "threads_basic,instagram_business_basic") },
	} {
		q := authorizeQuery(allScopes)
		mutate(q)
		if r := e.Do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil); r.Status != 400 || !bytes.Contains(r.Raw, []byte("<html")) {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	auto := newEnv(t, Options{AutoApprove: true})
	r := auto.Expect(auto.Do(http.MethodGet, "/oauth/authorize?"+authorizeQuery("threads_basic").Encode(), "", nil), http.StatusFound)
	if !strings.Contains(r.Header.Get("Location"), "code=") || auto.sim.Users()[0].Username != DefaultDemoUsername {
		t.Fatalf("auto-approve %s %v", r.Header.Get("Location"), auto.sim.Users())
	}
}

func TestCodeExchange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	// POST form: {"access_token","user_id":<number>} and nothing else.
	r := e.Expect(e.Do(http.MethodPost, "/oauth/access_token", "", exchangeForm(e.code(allScopes, "tess"))), 200)
	tess := e.sim.Users()[0]
	if !bytes.Contains(r.Raw, []byte(`"user_id":`+tess.ID+`}`)) || len(r.Body) != 2 || !strings.HasPrefix(r.Str("access_token"), "THAA") {
		t.Fatalf("token answer %s", r.Raw)
	}
	// GET with a query string is tolerated.
	q := exchangeForm(e.code(allScopes, "tess"))
	e.Expect(e.Do(http.MethodGet, "/oauth/access_token?"+q.Encode(), "", nil), 200)
	r = e.Expect(e.Do(http.MethodGet, "/oauth/access_token?"+q.Encode(), "", nil), 400)
	if r.Str("error_type") != "OAuthException" || r.Str("code") != "400" || r.Str("error_message") != graph.MsgCodeNotFound {
		t.Fatalf("reused code %s", r.Raw)
	}
	for name, mutate := range map[string]func(url.Values){
		"expired":  func(url.Values) { e.Clock.Advance(time.Hour) },
		"redirect": func(f url.Values) { f.Set("redirect_uri", testRedirect+"?x=1") },
		"secret":   func(f url.Values) { f.Set("client_secret", "nope") },
	} {
		f := exchangeForm(e.code(allScopes, "tess"))
		mutate(f)
		if r := e.Do(http.MethodPost, "/oauth/access_token", "", f); r.Status != 400 || r.Str("error_message") == "" {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
}

func TestLongLivedAndRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{RefreshMinAge: time.Hour})
	short := e.token(allScopes, "una")
	q := url.Values{"grant_type": {"th_exchange_token"}, "client_secret": {testClientSecret}, "access_token": {short}}
	bad := url.Values{"grant_type": {"th_exchange_token"}, "client_secret": {"nope"}, "access_token": {short}}
	e.ExpectErr(e.Do(http.MethodGet, "/access_token?"+bad.Encode(), "", nil), 400, "101/")
	bad.Set("client_secret", testClientSecret)
	bad.Set("grant_type", "ig_exchange_token")
	e.ExpectErr(e.Do(http.MethodGet, "/access_token?"+bad.Encode(), "", nil), 400, "100/")
	long := e.Expect(e.Do(http.MethodGet, "/access_token?"+q.Encode(), "", nil), 200)
	if long.Str("token_type") != "bearer" || long.Str("expires_in") != "5183944" {
		t.Fatalf("long-lived %s", long.Raw)
	}
	lt := long.Str("access_token")
	refresh := func(tok string) graphtest.Resp {
		return e.Do(http.MethodGet, "/refresh_access_token?grant_type=th_refresh_token&access_token="+tok, "", nil)
	}
	e.ExpectErr(refresh(lt), 400, "190/")
	e.ExpectErr(e.Do(http.MethodGet, "/refresh_access_token?grant_type=ig_refresh_token&access_token="+lt, "", nil), 400, "100/")
	e.Clock.Advance(time.Hour)
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/me", short, nil), 400, "190/463")
	nt := e.Expect(refresh(lt), 200).Str("access_token")
	me := e.Expect(e.Do(http.MethodGet, "/v1.0/me?fields=id,username", nt, nil), 200)
	if me.Str("username") != "una" {
		t.Fatalf("/me %s", me.Raw)
	}
	e.Expect(e.Do(http.MethodGet, "/v1.0/me", lt, nil), 200)
	e.sim.RevokeUser(me.Str("id"))
	for _, tok := range []string{lt, nt} {
		r := e.ExpectErr(e.Do(http.MethodGet, "/v1.0/me", tok, nil), 400, "190/463")
		if !strings.Contains(r.Str("error", "message"), "Error validating access token") {
			t.Fatalf("revoked %s", r.Raw)
		}
	}
}

func TestTokenPlacesAndSecrets(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := newEnv(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	u, tok := e.User("vera")
	send := func(method, path, ct, body, auth string) graphtest.Resp {
		req, _ := http.NewRequest(method, e.Srv.URL+path, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return e.Send(req)
	}
	for name, r := range map[string]graphtest.Resp{
		"query":  send(http.MethodGet, "/v1.0/me?access_token="+tok, "", "", ""),
		"bearer": send(http.MethodGet, "/me", "", "", "Bearer "+tok),
		"oauth":  send(http.MethodGet, "/me", "", "", "OAuth "+tok),
		"form": send(http.MethodPost, "/v1.0/me/threads", "application/x-www-form-urlencoded",
			"media_type=TEXT&text=hi&access_token="+tok, ""),
		"json": send(http.MethodPost, "/v1.0/"+u.ID+"/threads", "application/json",
			`{"media_type":"TEXT","text":"hi","access_token":"`+tok+`"}`, ""),
	} {
		if r.Status != 200 || r.Str("id") == "" {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	e.sim.InjectFault(Fault{Match: "GET /me", Kind: FaultUnauthorized})
	e.ExpectErr(send(http.MethodGet, "/v1.0/me?access_token="+tok, "", "", ""), 400, "190/463")
	for _, r := range e.sim.Requests() {
		for k, vs := range r.Values {
			if strings.Contains(strings.Join(vs, ","), tok) {
				t.Fatalf("recorded %s=%v", k, vs)
			}
		}
	}
	if reqs := e.sim.Requests(); reqs[len(reqs)-1].Values.Get("access_token") != graph.Masked || reqs[len(reqs)-1].Status != 400 {
		t.Fatalf("last request %+v", reqs[len(reqs)-1])
	}
	if logs.Len() == 0 || strings.Contains(logs.String(), tok) {
		t.Fatalf("logs %s", logs.String())
	}
}
