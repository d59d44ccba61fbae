package threads

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

func TestScopes(t *testing.T) {
	t.Parallel()
	want := []string{"threads_basic", "threads_content_publish", "threads_manage_insights", "threads_read_replies"}
	if got := Scopes(); !slices.Equal(got, want) {
		t.Fatalf("Scopes() = %v", got)
	}
	s := Scopes()
	s[0] = "changed"
	if Scopes()[0] != "threads_basic" {
		t.Fatal("Scopes shares its slice")
	}
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"default host", func(c *Config) { c.BaseURL = "" }, "https://threads.net/oauth/authorize"},
		{"configured host", func(c *Config) { c.BaseURL, c.AuthBase = "", "https://threads.com/" }, "https://threads.com/oauth/authorize"},
		{"base URL wins", func(c *Config) { c.BaseURL, c.AuthBase = "http://127.0.0.1:9/sim/threads/", "https://threads.com" },
			"http://127.0.0.1:9/sim/threads/oauth/authorize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newClient(t, "", tc.mod)
			u, err := url.Parse(c.AuthCodeURL("st4te", "unused-verifier"))
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Scheme + "://" + u.Host + u.Path; got != tc.want {
				t.Errorf("authorize URL %q, want %q", got, tc.want)
			}
			q := u.Query()
			want := map[string]string{"client_id": "threads-app-id", "redirect_uri": testRedirect, "response_type": "code",
				"scope": "threads_basic,threads_content_publish,threads_manage_insights,threads_read_replies", "state": "st4te"}
			for k, w := range want {
				if q.Get(k) != w {
					t.Errorf("%s = %q, want %q", k, q.Get(k), w)
				}
			}
			if len(q) != len(want) {
				t.Errorf("extra parameters in %v", q)
			}
		})
	}
}

func TestExchange(t *testing.T) {
	t.Parallel()
	for answer, scopes := range map[string][]string{
		"token_short.json":         Scopes(), // permissions not reported: the ones asked for
		"token_short_wrapped.json": {ScopeBasic, ScopePublish, ScopeInsights},
	} {
		t.Run(answer, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.override["POST /oauth/access_token"] = func(w http.ResponseWriter, r *http.Request) {
				if r.PostForm.Get("code") != "CODE" || r.PostForm.Get("client_id") != "threads-app-id" {
					writeJSON(w, 400, fixture(t, "error_code_used.json"))
					return
				}
				writeJSON(w, 200, fixture(t, answer))
			}
			c, _ := newClient(t, srv.URL)
			cred, err := c.Exchange(context.Background(), "CODE#_", "")
			if err != nil {
				t.Fatal(err)
			}
			if cred.AccessToken != "THlongSeCrEt0001" || cred.TokenType != "bearer" || !cred.IssuedAt.Equal(testNow) ||
				!cred.ExpiresAt.Equal(testNow.Add(5183944*time.Second)) || !cred.RefreshExpiresAt.Equal(cred.ExpiresAt) ||
				!slices.Equal(cred.Scopes, scopes) {
				t.Errorf("credential %+v", cred.Meta())
			}
			if f.count("GET /access_token") != 1 {
				t.Error("no long-lived exchange")
			}
		})
	}
}

// The user id of the code exchange is a JSON number above 2^53: it must
// keep every digit.
func TestTokenAnswerBigUserID(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"token_short.json", "token_short_wrapped.json"} {
		tok, err := meta.DecodeToken(fixture(t, name))
		if err != nil || tok.UserID != "17841405793187219" {
			t.Errorf("%s: %+v %v", name, tok, err)
		}
	}
}

func TestExchangeRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		code     string
		override map[string]string // key → fixture
		want     platform.Kind
		contains string
	}{
		{"code used", "OLD-CODE-SeCrEt", nil, platform.KindAuth, "Matching code was not found"},
		{"long-lived exchange refused", "CODE", map[string]string{"GET /access_token": "error_token_invalid.json"}, platform.KindAuth, "connect the account again"},
		{"publish permission missing", "CODE", map[string]string{"POST /oauth/access_token": "token_short_no_publish.json"},
			platform.KindAuth, "threads_content_publish was not granted"},
		{"no code", "#_", nil, platform.KindAuth, "no authorization code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			for k, name := range tc.override {
				status := 400
				if strings.HasPrefix(name, "token_") {
					status = 200
				}
				f.override[k] = func(w http.ResponseWriter, r *http.Request) { writeJSON(w, status, fixture(t, name)) }
			}
			logs := &logBuffer{}
			c, _ := newClient(t, srv.URL, func(cfg *Config) {
				cfg.HTTP = platform.NewHTTPClient(platform.HTTPOptions{Now: func() time.Time { return testNow },
					Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			})
			_, err := c.Exchange(context.Background(), tc.code, "")
			if platform.KindOf(err) != tc.want || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("err %v, want %v with %q", err, tc.want, tc.contains)
			}
			for _, secret := range []string{testSecret, "OLD-CODE-SeCrEt", "THQVJshortSeCrEt0001", "THlongSeCrEt0001"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("%q leaked: %v\n%s", secret, err, logs)
				}
			}
		})
	}
}

func TestExchangeLostAnswer(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["POST /oauth/access_token"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		w.Write(fixture(t, "error_bad_gateway.html"))
	}
	c, _ := newClient(t, srv.URL)
	_, err := c.Exchange(context.Background(), "CODE", "")
	if platform.KindOf(err) != platform.KindOutcomeUnknown {
		t.Fatalf("a lost code exchange must be outcome-unknown: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	old := &snsos.Credential{AccountID: 7, AccessToken: testToken, Scopes: Scopes(), IssuedAt: testNow.Add(-50 * 24 * time.Hour)}
	next, err := c.Refresh(context.Background(), old)
	if err != nil {
		t.Fatal(err)
	}
	if next.AccessToken != "THlongSeCrEt0002" || next.AccountID != 7 || !next.IssuedAt.Equal(testNow) ||
		!next.ExpiresAt.Equal(testNow.Add(5183944*time.Second)) || !next.RefreshExpiresAt.Equal(next.ExpiresAt) ||
		!slices.Equal(next.Scopes, Scopes()) {
		t.Errorf("refreshed %+v", next.Meta())
	}
	if _, err := c.Refresh(context.Background(), &snsos.Credential{}); platform.KindOf(err) != platform.KindAuth {
		t.Errorf("refresh without a token: %v", err)
	}
}

func TestRefreshRefusedRedacts(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["GET /refresh_access_token"] = func(w http.ResponseWriter, r *http.Request) {
		// A refusal that echoes the token, as proxies and some endpoints do.
		writeJSON(w, 400, []byte(`{"error":{"message":"Invalid OAuth access token - Cannot parse access token `+
			r.URL.Query().Get("access_token")+`","type":"OAuthException","code":190}}`))
	}
	logs := &logBuffer{}
	c, _ := newClient(t, srv.URL, func(cfg *Config) {
		cfg.HTTP = platform.NewHTTPClient(platform.HTTPOptions{Now: func() time.Time { return testNow },
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	})
	_, err := c.Refresh(context.Background(), &snsos.Credential{AccessToken: testToken})
	if !errors.Is(err, platform.ErrAuth) || !strings.Contains(err.Error(), snsos.Mask) {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), testToken) || strings.Contains(logs.String(), testToken) {
		t.Errorf("token leaked: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "refresh_access_token") {
		t.Errorf("no request logged: %s", logs)
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	p, err := c.Profile(context.Background(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if p.RemoteID != testUserID || p.Handle != "operator" || p.DisplayName != "Operator" || !strings.HasPrefix(p.AvatarURL, "https://") {
		t.Errorf("profile %+v", p)
	}
	if q := f.formsOf("GET /me")[0]; q.Get("fields") != "id,username,name,threads_profile_picture_url" {
		t.Errorf("fields %q", q.Get("fields"))
	}
	if _, err := c.Profile(context.Background(), "expired-token-SeCrEt"); !errors.Is(err, platform.ErrAuth) ||
		strings.Contains(err.Error(), "expired-token-SeCrEt") {
		t.Errorf("expired token: %v", err)
	}
}

// Only a genuine refusal of a token endpoint asks for connecting again:
// Meta's transient answers, server errors and throttling keep their kind,
// so a refresh blip does not cost the account its connection.
func TestTokenRefusalKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		key    string
		status int
		body   string
		want   platform.Kind
	}{
		{"refresh: transient envelope under 400", "GET /refresh_access_token", 400, "error_unknown.json", platform.KindTransient},
		{"refresh: code 2 is_transient", "GET /refresh_access_token", 400,
			`{"error":{"message":"Service temporarily unavailable","type":"OAuthException","code":2,"is_transient":true}}`, platform.KindTransient},
		{"refresh: server error", "GET /refresh_access_token", 500, "error_unknown.json", platform.KindTransient},
		{"refresh: HTML outage", "GET /refresh_access_token", 502, "error_bad_gateway.html", platform.KindTransient},
		{"refresh: throttled", "GET /refresh_access_token", 400, "error_throttled.json", platform.KindRateLimited},
		{"refresh: invalid token", "GET /refresh_access_token", 400, "error_token_invalid.json", platform.KindAuth},
		{"long-lived exchange: transient", "GET /access_token", 400, "error_unknown.json", platform.KindTransient},
		{"code exchange: spent code", "POST /oauth/access_token", 400, "error_code_used.json", platform.KindAuth},
		{"code exchange: transient answer may have spent the code", "POST /oauth/access_token", 400, "error_unknown.json",
			platform.KindOutcomeUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.override[tc.key] = func(w http.ResponseWriter, r *http.Request) {
				body := []byte(tc.body)
				if strings.HasSuffix(tc.body, ".json") || strings.HasSuffix(tc.body, ".html") {
					body = fixture(t, tc.body)
				}
				if strings.HasSuffix(tc.body, ".html") {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(tc.status)
					w.Write(body)
					return
				}
				writeJSON(w, tc.status, body)
			}
			c, _ := newClient(t, srv.URL)
			var err error
			if strings.Contains(tc.key, "refresh") {
				_, err = c.Refresh(context.Background(), &snsos.Credential{AccessToken: testToken})
			} else {
				_, err = c.Exchange(context.Background(), "CODE", "")
			}
			if platform.KindOf(err) != tc.want {
				t.Fatalf("err %v (kind %v), want %v", err, platform.KindOf(err), tc.want)
			}
			if tc.want == platform.KindAuth && !strings.Contains(err.Error(), "connect the account again") {
				t.Errorf("an auth refusal should say what to do: %v", err)
			}
			for _, secret := range []string{testToken, testSecret, "THQVJshortSeCrEt0001"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("%q leaked: %v", secret, err)
				}
			}
		})
	}
}
