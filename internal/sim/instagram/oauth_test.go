package instagram

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

const allScopes = "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights"

func authorizeQuery(scope string) url.Values {
	return graphtest.AuthorizeQuery(testClientID, testRedirect, scope, "st-42")
}

// code runs the browser part of the flow and returns the code.
func (e *env) code(scope, username string) string {
	e.T.Helper()
	return e.Code(authorizeQuery(scope), username)
}

func exchangeForm(code string) map[string]string {
	return map[string]string{"client_id": testClientID, "client_secret": testClientSecret,
		"grant_type": "authorization_code", "redirect_uri": testRedirect, "code": code}
}

func TestAuthorizeDeny(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	loc := e.Consent(authorizeQuery(allScopes), false, "")
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
			r := e.Expect(e.Do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil), 400)
			if !strings.Contains(string(r.Raw), tc.want) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("page %s, want %q", r.Raw, tc.want)
			}
		})
	}
}

func TestAutoApprove(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AutoApprove: true, DemoUsername: "demo_ig"})
	q := authorizeQuery("instagram_business_basic instagram_business_content_publish") // space separated
	r := e.Expect(e.Do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil), http.StatusFound)
	loc, _ := url.Parse(strings.TrimSuffix(r.Header.Get("Location"), "#_"))
	code := loc.Query().Get("code")
	if code == "" || !strings.HasPrefix(r.Header.Get("Location"), testRedirect+"?") {
		t.Fatalf("auto-approve redirect %q", r.Header.Get("Location"))
	}
	tok := e.Expect(e.Do(http.MethodPost, "/oauth/access_token", "", graphtest.MultipartOf(exchangeForm(code))), 200)
	users := e.sim.Users()
	if len(users) != 1 || users[0].Username != "demo_ig" || tok.Str("user_id") != users[0].UserID {
		t.Fatalf("users %v, token answer %s", users, tok.Raw)
	}
	if tok.Str("permissions") != `["instagram_business_basic","instagram_business_content_publish"]` {
		t.Fatalf("permissions %s", tok.Str("permissions"))
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
		{name: "code at 59 min", mutate: func(e *env, _ map[string]string) { e.Clock.Advance(59 * time.Minute) }},
		{name: "expired code", mutate: func(e *env, _ map[string]string) { e.Clock.Advance(time.Hour) }, wantErr: graph.MsgCodeNotFound},
		{name: "redirect mismatch", mutate: func(_ *env, f map[string]string) { f["redirect_uri"] += "/" }, wantErr: graph.MsgCodeNotFound},
		{name: "unknown code", mutate: func(_ *env, f map[string]string) { f["code"] += "x" }, wantErr: graph.MsgCodeNotFound},
		{name: "bad secret", mutate: func(_ *env, f map[string]string) { f["client_secret"] = "nope" }, wantErr: graph.MsgBadSecret},
		{name: "bad client", mutate: func(_ *env, f map[string]string) { f["client_id"] = "nope" }, wantErr: graph.MsgBadApp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			f := exchangeForm(e.code(allScopes, "alice"))
			if tc.mutate != nil {
				tc.mutate(e, f)
			}
			var body any = graphtest.MultipartOf(f)
			if tc.form {
				v := url.Values{}
				for k, x := range f {
					v.Set(k, x)
				}
				body = v
			}
			r := e.Do(http.MethodPost, "/oauth/access_token", "", body)
			if tc.wantErr != "" {
				e.Expect(r, 400)
				if r.Str("error_type") != "OAuthException" || r.Str("code") != "400" || r.Str("error_message") != tc.wantErr {
					t.Fatalf("error body %s", r.Raw)
				}
				return
			}
			e.Expect(r, 200)
			alice := e.sim.Users()[0]
			if !bytes.Contains(r.Raw, []byte(`"user_id":`+alice.UserID)) || !strings.HasPrefix(r.Str("access_token"), "IGAA") {
				t.Fatalf("flat answer %s (user_id must be a JSON number)", r.Raw)
			}
			me := e.Expect(e.Do(http.MethodGet, "/v25.0/me?fields=username,user_id", r.Str("access_token"), nil), 200)
			if me.Str("username") != "alice" || me.Str("user_id") != alice.UserID {
				t.Fatalf("/me %s", me.Raw)
			}
		})
	}
}

func TestCodeSingleUseAndWrapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{WrappedTokenAnswer: true})
	f := exchangeForm(e.code(allScopes, "bob"))
	r := e.Expect(e.Do(http.MethodPost, "/oauth/access_token", "", graphtest.MultipartOf(f)), 200)
	bob := e.sim.Users()[0]
	if r.Str("data", "0", "user_id") != bob.UserID || !bytes.Contains(r.Raw, []byte(`"user_id":"`+bob.UserID+`"`)) ||
		r.Str("data", "0", "permissions") != allScopes || r.Str("data", "0", "access_token") == "" {
		t.Fatalf("wrapped answer %s", r.Raw)
	}
	r = e.Expect(e.Do(http.MethodPost, "/oauth/access_token", "", graphtest.MultipartOf(f)), 400)
	if r.Str("error_message") != graph.MsgCodeNotFound {
		t.Fatalf("reuse %s", r.Raw)
	}
}

func TestLongLivedAndRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	short := e.Expect(e.Do(http.MethodPost, "/oauth/access_token", "", graphtest.MultipartOf(exchangeForm(e.code(allScopes, "carol")))), 200).Str("access_token")

	exch := func(tok, secret string) graphtest.Resp {
		q := url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {secret}, "access_token": {tok}}
		return e.Do(http.MethodGet, "/access_token?"+q.Encode(), "", nil)
	}
	refresh := func(tok string) graphtest.Resp {
		return e.Do(http.MethodGet, "/refresh_access_token?grant_type=ig_refresh_token&access_token="+url.QueryEscape(tok), "", nil)
	}
	e.ExpectErr(exch(short, "wrong"), 400, "101/")
	long := e.Expect(exch(short, testClientSecret), 200)
	if long.Str("token_type") != "bearer" || long.Str("expires_in") != "5183944" || long.Str("access_token") == short {
		t.Fatalf("long-lived answer %s", long.Raw)
	}
	lt := long.Str("access_token")
	e.ExpectErr(refresh(short), 400, "100/")
	e.ExpectErr(refresh(lt), 400, "190/")

	// The short-lived token dies after an hour; the long-lived one lives on.
	e.Clock.Advance(time.Hour)
	r := e.ExpectErr(e.Do(http.MethodGet, "/me", short, nil), 400, "190/463")
	if !strings.Contains(r.Str("error", "message"), "Session has expired on") || r.Str("error", "type") != "OAuthException" {
		t.Fatalf("expired token error %s", r.Raw)
	}
	e.ExpectErr(exch(short, testClientSecret), 400, "190/463")

	e.Clock.Advance(23 * time.Hour)
	nt := e.Expect(refresh(lt), 200)
	if nt.Str("expires_in") != "5183944" || nt.Str("access_token") == lt {
		t.Fatalf("refresh answer %s", nt.Raw)
	}
	// Both work; the old one until its own expiry, the new one 60 days on.
	e.Expect(e.Do(http.MethodGet, "/me", lt, nil), 200)
	e.Clock.Advance(DefaultLongLivedTTL - 24*time.Hour)
	e.ExpectErr(e.Do(http.MethodGet, "/me", lt, nil), 400, "190/463")
	e.Expect(e.Do(http.MethodGet, "/me", nt.Str("access_token"), nil), 200)
	e.ExpectErr(refresh(lt), 400, "190/463")
}

func TestTokenPlaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("dora")
	img := e.MediaURL("photo.jpg")
	reqs := map[string]func() *http.Request{
		"query": func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.Srv.URL+"/v25.0/me?fields=id&access_token="+tok, nil)
			return r
		},
		"bearer": func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.Srv.URL+"/v1.0/me", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			return r
		},
		"oauth header": func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.Srv.URL+"/me", nil)
			r.Header.Set("Authorization", "OAuth "+tok)
			return r
		},
		"form": func() *http.Request {
			body := url.Values{"access_token": {tok}, "image_url": {img}}.Encode()
			r, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/v25.0/"+u.UserID+"/media", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		},
		"json": func() *http.Request {
			body := `{"access_token":"` + tok + `","image_url":"` + img + `"}`
			r, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/v99.9/"+u.UserID+"/media", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		},
		"query on POST": func() *http.Request {
			q := url.Values{"access_token": {tok}, "image_url": {img}}.Encode()
			r, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/"+u.UserID+"/media?"+q, nil)
			return r
		},
	}
	for name, mk := range reqs {
		r := e.Send(mk())
		if r.Status != 200 || r.Str("id") == "" {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	e.ExpectErr(e.Do(http.MethodGet, "/me", "", nil), 400, "2500/")
	e.ExpectErr(e.Do(http.MethodGet, "/me", "IGAAnonsense", nil), 400, "190/")
	e.sim.RevokeUser(u.ID)
	e.ExpectErr(e.Do(http.MethodGet, "/me", tok, nil), 400, "190/463")
}

func TestSecretsStayOutOfLogsAndRecords(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := newEnv(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	f := exchangeForm(e.code(allScopes, "erin"))
	tok := e.Expect(e.Do(http.MethodPost, "/oauth/access_token", "", graphtest.MultipartOf(f)), 200).Str("access_token")
	e.Do(http.MethodGet, "/me?access_token="+tok, "", nil)
	e.sim.InjectFault(Fault{Match: "GET /me", Kind: FaultStatus})
	e.Do(http.MethodGet, "/v25.0/me?access_token="+tok, "", nil)
	e.Do(http.MethodGet, "/oauth/authorize?client_id=wrong&client_secret="+testClientSecret, "", nil)

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
