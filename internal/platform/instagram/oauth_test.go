package instagram

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base         string
		firstComment bool
		wantPage     string
		wantScope    string
	}{
		{"", false, "https://www.instagram.com/oauth/authorize",
			"instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights"},
		{"http://127.0.0.1:9/sim/instagram/", true, "http://127.0.0.1:9/sim/instagram/oauth/authorize",
			"instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights,instagram_business_manage_comments"},
	}
	for _, tt := range tests {
		c := New(Config{ClientID: "ig-app-1234", ClientSecret: testSecret, RedirectURL: "https://snsos.example/cb",
			BaseURL: tt.base, FirstComment: tt.firstComment})
		u, err := url.Parse(c.AuthCodeURL("st4te", platform.NewVerifier()))
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Scheme + "://" + u.Host + u.Path; got != tt.wantPage {
			t.Errorf("page %q, want %q", got, tt.wantPage)
		}
		q := u.Query()
		want := map[string]string{"client_id": "ig-app-1234", "redirect_uri": "https://snsos.example/cb",
			"response_type": "code", "scope": tt.wantScope, "state": "st4te"}
		for k, w := range want {
			if q.Get(k) != w {
				t.Errorf("%s = %q, want %q", k, q.Get(k), w)
			}
		}
		if len(q) != len(want) {
			t.Errorf("unexpected parameters (no PKCE, no secret): %v", q)
		}
		if strings.Join(Scopes(tt.firstComment), ",") != tt.wantScope {
			t.Errorf("Scopes(%v) = %v", tt.firstComment, Scopes(tt.firstComment))
		}
	}
}

func TestExchange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answer  string
		scopes  []string
		code    string
		wantErr error
	}{
		{name: "flat answer, user id a big number", answer: "token_flat.json", code: testCode + "#_",
			scopes: []string{ScopeBasic, ScopePublish, ScopeInsights}},
		{name: "documented wrapper, permissions as CSV", answer: "token_wrapped.json", code: testCode,
			scopes: []string{ScopeBasic, ScopePublish}},
		{name: "permissions not reported", answer: "token_no_permissions.json", code: testCode,
			scopes: Scopes(false)},
		{name: "publishing not granted", answer: "token_missing_publish.json", code: testCode, wantErr: platform.ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.f.handle("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, fixture(t, tt.answer))
			})
			cred, err := e.c.Exchange(context.Background(), tt.code, "unused")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), ScopePublish) {
					t.Fatalf("err = %v, want %v naming the permission", err, tt.wantErr)
				}
				if e.f.count("GET /access_token") != 0 {
					t.Error("a refused grant was still exchanged for a long-lived token")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			form := e.f.paramsOf("POST /oauth/access_token")[0]
			want := map[string]string{"client_id": "ig-app-1234", "client_secret": testSecret, "grant_type": "authorization_code",
				"redirect_uri": "https://snsos.example/oauth/instagram/callback", "code": testCode}
			for k, w := range want {
				if form.Get(k) != w {
					t.Errorf("exchange %s = %q, want %q", k, form.Get(k), w)
				}
			}
			long := e.f.paramsOf("GET /access_token")[0]
			if long.Get("grant_type") != "ig_exchange_token" || long.Get("client_secret") != testSecret ||
				long.Get("access_token") != "IGAAshort-SeCrEt-0001" {
				t.Errorf("long-lived exchange %v", long)
			}
			if cred.AccessToken != "IGAAlong-SeCrEt-0002" || cred.TokenType != "bearer" || !slices.Equal(cred.Scopes, tt.scopes) ||
				!cred.ExpiresAt.Equal(testNow.Add(5183944*time.Second)) || !cred.RefreshExpiresAt.Equal(cred.ExpiresAt) || !cred.IssuedAt.Equal(testNow) {
				t.Errorf("credential %+v", cred.Meta())
			}
			e.assertNoSecrets(t, nil, testCode, "IGAAshort-SeCrEt-0001", "IGAAlong-SeCrEt-0002")
		})
	}
}

func TestExchangeFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		key      string
		status   int
		answer   string
		hang     bool
		want     error
		inReason string
	}{
		{name: "code used", key: "POST /oauth/access_token", status: 400, answer: "error_code_used.json",
			want: platform.ErrAuth, inReason: "Matching code was not found"},
		{name: "not a tester", key: "POST /oauth/access_token", status: 400, answer: "error_not_tester.json",
			want: platform.ErrAuth, inReason: "not an accepted tester of the app"},
		{name: "long-lived exchange refused", key: "GET /access_token", status: 400, answer: "error_token_expired.json",
			want: platform.ErrAuth, inReason: "Session has expired"},
		{name: "answer to the code exchange lost", key: "POST /oauth/access_token", hang: true, want: platform.ErrOutcomeUnknown},
		{name: "long-lived exchange unavailable", key: "GET /access_token", status: 503, answer: "error_transient.json",
			want: platform.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) {
				c.HTTP = platform.NewHTTPClient(platform.HTTPOptions{Now: c.Now, Timeout: 300 * time.Millisecond})
			})
			e.f.handle(tt.key, func(w http.ResponseWriter, r *http.Request) {
				if tt.hang {
					<-r.Context().Done()
					return
				}
				writeJSON(w, tt.status, fixture(t, tt.answer))
			})
			_, err := e.c.Exchange(context.Background(), testCode, "")
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.inReason) {
				t.Fatalf("err = %v (kind %v), want %v with %q", err, platform.KindOf(err), tt.want, tt.inReason)
			}
			e.assertNoSecrets(t, err, testCode, "IGAAshort-SeCrEt-0001")
		})
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	old := &snsos.Credential{AccountID: 7, AccessToken: "IGAAlong-SeCrEt-0002", Scopes: []string{ScopeBasic, ScopePublish},
		IssuedAt: testNow.Add(-30 * 24 * time.Hour)}
	e.clk.Advance(time.Hour)
	cred, err := e.c.Refresh(context.Background(), old)
	if err != nil {
		t.Fatal(err)
	}
	q := e.f.paramsOf("GET /refresh_access_token")[0]
	if q.Get("grant_type") != "ig_refresh_token" || q.Get("access_token") != "IGAAlong-SeCrEt-0002" {
		t.Errorf("refresh query %v", q)
	}
	now := testNow.Add(time.Hour)
	if cred.AccessToken != "IGAAlong-SeCrEt-0003" || cred.AccountID != 7 || !slices.Equal(cred.Scopes, old.Scopes) ||
		!cred.IssuedAt.Equal(now) || !cred.ExpiresAt.Equal(now.Add(5183944*time.Second)) || !cred.RefreshExpiresAt.Equal(cred.ExpiresAt) {
		t.Errorf("refreshed %+v", cred.Meta())
	}
	if raws := e.f.rawPaths(); raws[len(raws)-1] != "/refresh_access_token" {
		t.Errorf("refresh path %q: must be unversioned", raws[len(raws)-1])
	}

	e.f.handle("GET /refresh_access_token", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, fixture(t, "error_token_expired.json"))
	})
	_, err = e.c.Refresh(context.Background(), old)
	if !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("expired token: %v", err)
	}
	e.assertNoSecrets(t, err, "IGAAlong-SeCrEt-0002", "IGAAlong-SeCrEt-0003")

	e.f.handle("GET /refresh_access_token", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, fixture(t, "error_transient.json"))
	})
	if _, err := e.c.Refresh(context.Background(), old); !errors.Is(err, platform.ErrTransient) {
		t.Errorf("a lost refresh answer leaves the old token working, so it is transient: %v", err)
	}
	if _, err := e.c.Refresh(context.Background(), &snsos.Credential{}); !errors.Is(err, platform.ErrAuth) {
		t.Errorf("no token: %v", err)
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		answer string
		remote string
	}{
		{"me_flat.json", "17841400000000001"},
		{"me_wrapped.json", "17841400000000001"},
		{"me_no_user_id.json", "9900012345678901"},
	}
	for _, tt := range tests {
		e := newEnv(t)
		e.f.handle("GET /me", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+testToken {
				t.Error("the token must travel as a Bearer header")
			}
			writeJSON(w, 200, fixture(t, tt.answer))
		})
		p, err := e.c.Profile(context.Background(), testToken)
		if err != nil {
			t.Fatalf("%s: %v", tt.answer, err)
		}
		if p.RemoteID != tt.remote || p.Handle != "operator" || p.DisplayName != "Operator" ||
			p.Options["app_scoped_id"] != "9900012345678901" {
			t.Errorf("%s: profile %+v", tt.answer, p)
		}
		if q := e.f.paramsOf("GET /me")[0]; q.Get("fields") != "user_id,username,name,profile_picture_url" {
			t.Errorf("fields %q", q.Get("fields"))
		}
		if raw := e.f.rawPaths(); raw[0] != "/v25.0/me" {
			t.Errorf("path %q", raw[0])
		}
	}
	e := newEnv(t)
	e.f.handle("GET /me", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []byte(`{"name":"x"}`)) })
	if _, err := e.c.Profile(context.Background(), testToken); !errors.Is(err, platform.ErrBadResponse) {
		t.Errorf("profile without ids: %v", err)
	}
	e.f.handle("GET /me", nil)
	if _, err := e.c.Profile(context.Background(), "IGAAwrong-SeCrEt"); !errors.Is(err, platform.ErrAuth) {
		t.Errorf("expired token: %v", err)
	}
	e.assertNoSecrets(t, nil, "IGAAwrong-SeCrEt")
}
