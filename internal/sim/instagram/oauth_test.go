package instagram

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

const allScopes = "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights"

func authorizeQuery(scope string) url.Values {
	return url.Values{"client_id": {testClientID}, "redirect_uri": {testRedirect}, "response_type": {"code"},
		"scope": {scope}, "state": {"st-42"}}
}

var (
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// consent loads the authorize page, submits its form as a browser would
// and returns the Location the simulator redirected to.
func (e *env) consent(query url.Values, approve bool, username string) string {
	e.t.Helper()
	pageURL := e.srv.URL + "/oauth/authorize?" + query.Encode()
	page := e.expect(e.do(http.MethodGet, "/oauth/authorize?"+query.Encode(), "", nil), 200)
	if !bytes.Contains(page.raw, []byte(`id="approve"`)) || !bytes.Contains(page.raw, []byte(`id="deny"`)) {
		e.t.Fatalf("consent page lacks the buttons: %s", page.raw)
	}
	m := actionRe.FindSubmatch(page.raw)
	if m == nil {
		e.t.Fatalf("no form in consent page: %s", page.raw)
	}
	base, _ := url.Parse(pageURL)
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
	if !strings.HasSuffix(loc, "#_") {
		e.t.Fatalf("redirect %q lacks #_", loc)
	}
	u, _ := url.Parse(strings.TrimSuffix(loc, "#_"))
	if u.Query().Get("state") != "st-42" || u.Query().Get("code") == "" {
		e.t.Fatalf("callback %s lacks state or code", loc)
	}
	return u.Query().Get("code")
}

func exchangeForm(code string) map[string]string {
	return map[string]string{"client_id": testClientID, "client_secret": testClientSecret,
		"grant_type": "authorization_code", "redirect_uri": testRedirect, "code": code}
}

func TestAuthorizeDeny(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	loc := e.consent(authorizeQuery(allScopes), false, "")
	u, _ := url.Parse(strings.TrimSuffix(loc, "#_"))
	q := u.Query()
	if q.Get("error") != "access_denied" || q.Get("error_reason") != "user_denied" ||
		q.Get("error_description") != "The user denied your request" || q.Get("state") != "st-42" || q.Get("code") != "" {
		t.Fatalf("deny redirect %s", loc)
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(url.Values)
		want   string
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "other") }, "Invalid platform app"},
		{"unregistered redirect", func(q url.Values) { q.Set("redirect_uri", testRedirect+"/x") }, "does not exactly match"},
		{"relative redirect", func(q url.Values) { q.Set("redirect_uri", "/cb") }, "absolute"},
		{"response type", func(q url.Values) { q.Set("response_type", "token") }, "response_type"},
		{"no basic scope", func(q url.Values) { q.Set("scope", "instagram_business_content_publish") }, "must include instagram_business_basic"},
		{"unknown scope", func(q url.Values) { q.Set("scope", "instagram_business_basic,business_basic") }, "Invalid Scopes: business_basic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{RedirectURIs: []string{testRedirect}})
			q := authorizeQuery(allScopes)
			tc.mutate(q)
			r := e.expect(e.do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil), 400)
			if !strings.Contains(string(r.raw), tc.want) || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Fatalf("page %s, want %q", r.raw, tc.want)
			}
		})
	}
}

func TestAutoApprove(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AutoApprove: true, DemoUsername: "demo_ig"})
	q := authorizeQuery("instagram_business_basic instagram_business_content_publish") // space separated
	r := e.expect(e.do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil), http.StatusFound)
	loc, _ := url.Parse(strings.TrimSuffix(r.header.Get("Location"), "#_"))
	code := loc.Query().Get("code")
	if code == "" || !strings.HasPrefix(r.header.Get("Location"), testRedirect+"?") {
		t.Fatalf("auto-approve redirect %q", r.header.Get("Location"))
	}
	tok := e.expect(e.do(http.MethodPost, "/oauth/access_token", "", multipartOf(exchangeForm(code))), 200)
	users := e.sim.Users()
	if len(users) != 1 || users[0].Username != "demo_ig" || tok.str("user_id") != users[0].UserID {
		t.Fatalf("users %v, token answer %s", users, tok.raw)
	}
	if tok.str("permissions") != `["instagram_business_basic","instagram_business_content_publish"]` {
		t.Fatalf("permissions %s", tok.str("permissions"))
	}
}

func TestCodeExchange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mutate  func(e *env, f map[string]string)
		form    bool // urlencoded instead of multipart
		wantErr string
	}{
		{name: "multipart"},
		{name: "urlencoded", form: true},
		{name: "code at 59 min", mutate: func(e *env, _ map[string]string) { e.clock.Advance(59 * time.Minute) }},
		{name: "expired code", mutate: func(e *env, _ map[string]string) { e.clock.Advance(time.Hour) }, wantErr: msgCodeNotFound},
		{name: "redirect mismatch", mutate: func(_ *env, f map[string]string) { f["redirect_uri"] += "/" }, wantErr: msgCodeNotFound},
		{name: "unknown code", mutate: func(_ *env, f map[string]string) { f["code"] += "x" }, wantErr: msgCodeNotFound},
		{name: "bad secret", mutate: func(_ *env, f map[string]string) { f["client_secret"] = "nope" }, wantErr: msgBadSecret},
		{name: "bad client", mutate: func(_ *env, f map[string]string) { f["client_id"] = "nope" }, wantErr: msgBadApp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			f := exchangeForm(e.code(allScopes, "alice"))
			if tc.mutate != nil {
				tc.mutate(e, f)
			}
			var body any = multipartOf(f)
			if tc.form {
				v := url.Values{}
				for k, x := range f {
					v.Set(k, x)
				}
				body = v
			}
			r := e.do(http.MethodPost, "/oauth/access_token", "", body)
			if tc.wantErr != "" {
				e.expect(r, 400)
				if r.str("error_type") != "OAuthException" || r.str("code") != "400" || r.str("error_message") != tc.wantErr {
					t.Fatalf("error body %s", r.raw)
				}
				return
			}
			e.expect(r, 200)
			alice := e.sim.Users()[0]
			if !bytes.Contains(r.raw, []byte(`"user_id":`+alice.UserID)) || !strings.HasPrefix(r.str("access_token"), "IGAA") {
				t.Fatalf("flat answer %s (user_id must be a JSON number)", r.raw)
			}
			me := e.expect(e.do(http.MethodGet, "/v25.0/me?fields=username,user_id", r.str("access_token"), nil), 200)
			if me.str("username") != "alice" || me.str("user_id") != alice.UserID {
				t.Fatalf("/me %s", me.raw)
			}
		})
	}
}

func TestCodeSingleUseAndWrapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{WrappedTokenAnswer: true})
	f := exchangeForm(e.code(allScopes, "bob"))
	r := e.expect(e.do(http.MethodPost, "/oauth/access_token", "", multipartOf(f)), 200)
	bob := e.sim.Users()[0]
	if r.str("data", "0", "user_id") != bob.UserID || !bytes.Contains(r.raw, []byte(`"user_id":"`+bob.UserID+`"`)) ||
		r.str("data", "0", "permissions") != allScopes || r.str("data", "0", "access_token") == "" {
		t.Fatalf("wrapped answer %s", r.raw)
	}
	r = e.expect(e.do(http.MethodPost, "/oauth/access_token", "", multipartOf(f)), 400)
	if r.str("error_message") != msgCodeNotFound {
		t.Fatalf("reuse %s", r.raw)
	}
}

func TestLongLivedAndRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	short := e.expect(e.do(http.MethodPost, "/oauth/access_token", "", multipartOf(exchangeForm(e.code(allScopes, "carol")))), 200).str("access_token")

	exch := func(tok, secret string) resp {
		q := url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {secret}, "access_token": {tok}}
		return e.do(http.MethodGet, "/access_token?"+q.Encode(), "", nil)
	}
	refresh := func(tok string) resp {
		return e.do(http.MethodGet, "/refresh_access_token?grant_type=ig_refresh_token&access_token="+url.QueryEscape(tok), "", nil)
	}
	e.expectErr(exch(short, "wrong"), 400, "101/")
	long := e.expect(exch(short, testClientSecret), 200)
	if long.str("token_type") != "bearer" || long.str("expires_in") != "5183944" || long.str("access_token") == short {
		t.Fatalf("long-lived answer %s", long.raw)
	}
	lt := long.str("access_token")
	e.expectErr(refresh(short), 400, "100/")
	e.expectErr(refresh(lt), 400, "190/")

	// The short-lived token dies after an hour; the long-lived one lives on.
	e.clock.Advance(time.Hour)
	r := e.expectErr(e.do(http.MethodGet, "/me", short, nil), 400, "190/463")
	if !strings.Contains(r.str("error", "message"), "Session has expired on") || r.str("error", "type") != "OAuthException" {
		t.Fatalf("expired token error %s", r.raw)
	}
	e.expectErr(exch(short, testClientSecret), 400, "190/463")

	e.clock.Advance(23 * time.Hour)
	nt := e.expect(refresh(lt), 200)
	if nt.str("expires_in") != "5183944" || nt.str("access_token") == lt {
		t.Fatalf("refresh answer %s", nt.raw)
	}
	// Both work; the old one until its own expiry, the new one 60 days on.
	e.expect(e.do(http.MethodGet, "/me", lt, nil), 200)
	e.clock.Advance(DefaultLongLivedTTL - 24*time.Hour)
	e.expectErr(e.do(http.MethodGet, "/me", lt, nil), 400, "190/463")
	e.expect(e.do(http.MethodGet, "/me", nt.str("access_token"), nil), 200)
	e.expectErr(refresh(lt), 400, "190/463")
}

func TestTokenPlaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("dora")
	img := e.mediaURL("photo.jpg")
	reqs := map[string]func() *http.Request{
		"query": func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v25.0/me?fields=id&access_token="+tok, nil)
			return r
		},
		"bearer": func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1.0/me", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			return r
		},
		"oauth header": func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/me", nil)
			r.Header.Set("Authorization", "OAuth "+tok)
			return r
		},
		"form": func() *http.Request {
			body := url.Values{"access_token": {tok}, "image_url": {img}}.Encode()
			r, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v25.0/"+u.UserID+"/media", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		},
		"json": func() *http.Request {
			body := `{"access_token":"` + tok + `","image_url":"` + img + `"}`
			r, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v99.9/"+u.UserID+"/media", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		},
		"query on POST": func() *http.Request {
			q := url.Values{"access_token": {tok}, "image_url": {img}}.Encode()
			r, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/"+u.UserID+"/media?"+q, nil)
			return r
		},
	}
	for name, mk := range reqs {
		r := e.send(mk())
		if r.status != 200 || r.str("id") == "" {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	e.expectErr(e.do(http.MethodGet, "/me", "", nil), 400, "2500/")
	e.expectErr(e.do(http.MethodGet, "/me", "IGAAnonsense", nil), 400, "190/")
	e.sim.RevokeUser(u.ID)
	e.expectErr(e.do(http.MethodGet, "/me", tok, nil), 400, "190/463")
}

func TestSecretsStayOutOfLogsAndRecords(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := newEnv(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	f := exchangeForm(e.code(allScopes, "erin"))
	tok := e.expect(e.do(http.MethodPost, "/oauth/access_token", "", multipartOf(f)), 200).str("access_token")
	e.do(http.MethodGet, "/me?access_token="+tok, "", nil)
	e.sim.InjectFault(Fault{Match: "GET /me", Kind: FaultStatus})
	e.do(http.MethodGet, "/v25.0/me?access_token="+tok, "", nil)
	e.do(http.MethodGet, "/oauth/authorize?client_id=wrong&client_secret="+testClientSecret, "", nil)

	reqs := e.sim.Requests()
	if len(reqs) < 4 {
		t.Fatalf("recorded %d requests", len(reqs))
	}
	for _, r := range reqs {
		for k, vs := range r.Values {
			for _, v := range vs {
				if strings.Contains(v, tok) || strings.Contains(v, testClientSecret) || (k == "code" && v != graph.Masked) {
					t.Fatalf("recorded %s %s with %s=%s", r.Method, r.Path, k, v)
				}
			}
		}
	}
	last := reqs[len(reqs)-2]
	if last.Path != "/me" || last.Version != "v25.0" || last.Status != 503 || last.Values.Get("access_token") != graph.Masked ||
		last.TokenFrom != graph.TokenFromQuery {
		t.Fatalf("recorded request %+v", last)
	}
	if logs.Len() == 0 || strings.Contains(logs.String(), tok) || strings.Contains(logs.String(), testClientSecret) {
		t.Fatalf("logs leak a secret or are empty: %s", logs.String())
	}
}
