package threads

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

const allScopes = "threads_basic,threads_content_publish,threads_manage_insights,threads_read_replies"

func authorizeQuery(scope string) url.Values {
	return url.Values{"client_id": {testClientID}, "redirect_uri": {testRedirect}, "response_type": {"code"},
		"scope": {scope}, "state": {"st-7"}}
}

var (
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// consent loads the authorize page, submits its form as a browser would
// and returns the Location the simulator redirected to.
func (e *env) consent(query url.Values, approve bool, username string) string {
	e.t.Helper()
	page := e.expect(e.do(http.MethodGet, "/oauth/authorize?"+query.Encode(), "", nil), 200)
	m := actionRe.FindSubmatch(page.raw)
	if m == nil || !bytes.Contains(page.raw, []byte(`id="approve"`)) || !bytes.Contains(page.raw, []byte(`id="deny"`)) {
		e.t.Fatalf("consent page: %s", page.raw)
	}
	base, _ := url.Parse(e.srv.URL + "/oauth/authorize")
	action, _ := base.Parse(html.UnescapeString(string(m[1])))
	form := url.Values{"username": {username}}
	for _, h := range hiddenRe.FindAllSubmatch(page.raw, -1) {
		form.Set(string(h[1]), html.UnescapeString(string(h[2])))
	}
	if approve {
		form.Set("approve", "1")
	} else {
		form.Set("deny", "1")
	}
	req, _ := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.expect(e.send(req), http.StatusFound).header.Get("Location")
}

// code runs the browser part of the flow and returns the code.
func (e *env) code(scope, username string) string {
	e.t.Helper()
	loc := e.consent(authorizeQuery(scope), true, username)
	u, _ := url.Parse(strings.TrimSuffix(loc, "#_"))
	if !strings.HasSuffix(loc, "#_") || u.Query().Get("state") != "st-7" || u.Query().Get("code") == "" {
		e.t.Fatalf("callback %s", loc)
	}
	return u.Query().Get("code")
}

func exchangeForm(code string) url.Values {
	return url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret},
		"grant_type": {"authorization_code"}, "redirect_uri": {testRedirect}, "code": {code}}
}

// token exchanges a code for a short-lived token with a POST form.
func (e *env) token(scope, username string) string {
	e.t.Helper()
	return e.expect(e.do(http.MethodPost, "/oauth/access_token", "", exchangeForm(e.code(scope, username))), 200).str("access_token")
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{RedirectURIs: []string{testRedirect}})
	loc := e.consent(authorizeQuery(allScopes), false, "")
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
		if r := e.do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil); r.status != 400 || !bytes.Contains(r.raw, []byte("<html")) {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	auto := newEnv(t, Options{AutoApprove: true})
	r := auto.expect(auto.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery("threads_basic").Encode(), "", nil), http.StatusFound)
	if !strings.Contains(r.header.Get("Location"), "code=") || auto.sim.Users()[0].Username != DefaultDemoUsername {
		t.Fatalf("auto-approve %s %v", r.header.Get("Location"), auto.sim.Users())
	}
}

func TestCodeExchange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	// POST form: {"access_token","user_id":<number>} and nothing else.
	r := e.expect(e.do(http.MethodPost, "/oauth/access_token", "", exchangeForm(e.code(allScopes, "tess"))), 200)
	tess := e.sim.Users()[0]
	if !bytes.Contains(r.raw, []byte(`"user_id":`+tess.ID+`}`)) || len(r.body) != 2 || !strings.HasPrefix(r.str("access_token"), "THAA") {
		t.Fatalf("token answer %s", r.raw)
	}
	// GET with a query string is tolerated.
	q := exchangeForm(e.code(allScopes, "tess"))
	e.expect(e.do(http.MethodGet, "/oauth/access_token?"+q.Encode(), "", nil), 200)
	r = e.expect(e.do(http.MethodGet, "/oauth/access_token?"+q.Encode(), "", nil), 400)
	if r.str("error_type") != "OAuthException" || r.str("code") != "400" || r.str("error_message") != msgCodeNotFound {
		t.Fatalf("reused code %s", r.raw)
	}
	for name, mutate := range map[string]func(url.Values){
		"expired":  func(url.Values) { e.clock.Advance(time.Hour) },
		"redirect": func(f url.Values) { f.Set("redirect_uri", testRedirect+"?x=1") },
		"secret":   func(f url.Values) { f.Set("client_secret", "nope") },
	} {
		f := exchangeForm(e.code(allScopes, "tess"))
		mutate(f)
		if r := e.do(http.MethodPost, "/oauth/access_token", "", f); r.status != 400 || r.str("error_message") == "" {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
}

func TestLongLivedAndRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{RefreshMinAge: time.Hour})
	short := e.token(allScopes, "una")
	q := url.Values{"grant_type": {"th_exchange_token"}, "client_secret": {testClientSecret}, "access_token": {short}}
	bad := url.Values{"grant_type": {"th_exchange_token"}, "client_secret": {"nope"}, "access_token": {short}}
	e.expectErr(e.do(http.MethodGet, "/access_token?"+bad.Encode(), "", nil), 400, "101/")
	bad.Set("client_secret", testClientSecret)
	bad.Set("grant_type", "ig_exchange_token")
	e.expectErr(e.do(http.MethodGet, "/access_token?"+bad.Encode(), "", nil), 400, "100/")
	long := e.expect(e.do(http.MethodGet, "/access_token?"+q.Encode(), "", nil), 200)
	if long.str("token_type") != "bearer" || long.str("expires_in") != "5183944" {
		t.Fatalf("long-lived %s", long.raw)
	}
	lt := long.str("access_token")
	refresh := func(tok string) resp {
		return e.do(http.MethodGet, "/refresh_access_token?grant_type=th_refresh_token&access_token="+tok, "", nil)
	}
	e.expectErr(refresh(lt), 400, "190/")
	e.expectErr(e.do(http.MethodGet, "/refresh_access_token?grant_type=ig_refresh_token&access_token="+lt, "", nil), 400, "100/")
	e.clock.Advance(time.Hour)
	e.expectErr(e.do(http.MethodGet, "/v1.0/me", short, nil), 400, "190/463")
	nt := e.expect(refresh(lt), 200).str("access_token")
	me := e.expect(e.do(http.MethodGet, "/v1.0/me?fields=id,username", nt, nil), 200)
	if me.str("username") != "una" {
		t.Fatalf("/me %s", me.raw)
	}
	e.expect(e.do(http.MethodGet, "/v1.0/me", lt, nil), 200)
	e.sim.RevokeUser(me.str("id"))
	for _, tok := range []string{lt, nt} {
		r := e.expectErr(e.do(http.MethodGet, "/v1.0/me", tok, nil), 400, "190/463")
		if !strings.Contains(r.str("error", "message"), "Error validating access token") {
			t.Fatalf("revoked %s", r.raw)
		}
	}
}

func TestTokenPlacesAndSecrets(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := newEnv(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	u, tok := e.user("vera")
	send := func(method, path, ct, body, auth string) resp {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return e.send(req)
	}
	for name, r := range map[string]resp{
		"query":  send(http.MethodGet, "/v1.0/me?access_token="+tok, "", "", ""),
		"bearer": send(http.MethodGet, "/me", "", "", "Bearer "+tok),
		"oauth":  send(http.MethodGet, "/me", "", "", "OAuth "+tok),
		"form": send(http.MethodPost, "/v1.0/me/threads", "application/x-www-form-urlencoded",
			"media_type=TEXT&text=hi&access_token="+tok, ""),
		"json": send(http.MethodPost, "/v1.0/"+u.ID+"/threads", "application/json",
			`{"media_type":"TEXT","text":"hi","access_token":"`+tok+`"}`, ""),
	} {
		if r.status != 200 || r.str("id") == "" {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	e.sim.InjectFault(Fault{Match: "GET /me", Kind: FaultUnauthorized})
	e.expectErr(send(http.MethodGet, "/v1.0/me?access_token="+tok, "", "", ""), 400, "190/463")
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
