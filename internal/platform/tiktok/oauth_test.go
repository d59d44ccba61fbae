package tiktok

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "http://127.0.0.1:9/sim/tiktok/"} {
		c, _ := newClient(t, base)
		v := platform.NewVerifier()
		u, err := url.Parse(c.AuthCodeURL("st4te", v))
		if err != nil {
			t.Fatal(err)
		}
		want := "https://www.tiktok.com/v2/auth/authorize/"
		if base != "" {
			want = "http://127.0.0.1:9/sim/tiktok/v2/auth/authorize/"
		}
		if got := u.Scheme + "://" + u.Host + u.Path; got != want {
			t.Errorf("authorize URL %q, want %q", got, want)
		}
		sum := sha256.Sum256([]byte(v))
		q := u.Query()
		for k, w := range map[string]string{
			"client_key": "ck-test", "response_type": "code", "redirect_uri": "http://127.0.0.1:8765/oauth/tiktok/callback/",
			"scope": "user.info.basic,video.upload,video.publish,video.list", "state": "st4te",
			"code_challenge_method": "S256",
		} {
			if q.Get(k) != w {
				t.Errorf("%s = %q, want %q", k, q.Get(k), w)
			}
		}
		ch := q.Get("code_challenge")
		if len(ch) != 64 || ch != strings.ToLower(ch) || ch == base64.RawURLEncoding.EncodeToString(sum[:]) || ch != CodeChallenge(v) {
			t.Errorf("code_challenge %q is not the hex SHA-256 of the verifier", ch)
		}
	}
	// A known vector: hex(sha256("abc")).
	if got := CodeChallenge("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("CodeChallenge(abc) = %s", got)
	}
}

// tokenServer answers the token endpoint like TikTok: form body with the
// client key and secret, hex PKCE, single-use rotating refresh tokens.
type tokenServer struct {
	mu        sync.Mutex
	challenge string
	refresh   string
	n         int
	forms     []url.Values
}

func (ts *tokenServer) handle(w http.ResponseWriter, r *http.Request) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	r.ParseForm()
	ts.forms = append(ts.forms, r.PostForm)
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.PostForm.Get("client_key") != "ck-test" ||
		r.PostForm.Get("client_secret") != testSecret {
		writeJSON(w, 401, []byte(`{"error":"invalid_client","error_description":"Client key or secret is incorrect.","log_id":"L"}`))
		return
	}
	bad := []byte(`{"error":"invalid_grant","error_description":"Refresh token is invalid or expired.","log_id":"L"}`)
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		if r.PostForm.Get("code") != "CODE" || CodeChallenge(r.PostForm.Get("code_verifier")) != ts.challenge ||
			r.PostForm.Get("redirect_uri") != "http://127.0.0.1:8765/oauth/tiktok/callback/" {
			writeJSON(w, 400, []byte(`{"error":"invalid_grant","error_description":"Code verifier or code is invalid.","log_id":"L"}`))
			return
		}
	case "refresh_token":
		if r.PostForm.Get("refresh_token") != ts.refresh {
			writeJSON(w, 400, bad)
			return
		}
	default:
		writeJSON(w, 400, []byte(`{"error":"invalid_request","error_description":"grant_type is missing.","log_id":"L"}`))
		return
	}
	ts.n++
	ts.refresh = "rft.REFRESH-" + string(rune('0'+ts.n))
	writeJSON(w, 200, []byte(`{"access_token":"act.ACCESS-`+string(rune('0'+ts.n))+`","expires_in":7200,"open_id":"oid-1",`+
		`"refresh_expires_in":15552000,"refresh_token":"`+ts.refresh+`","scope":"user.info.basic,video.upload,video.publish,video.list","token_type":"Bearer"}`))
}

func TestExchangeAndRefreshRotation(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	ts := &tokenServer{}
	f.override["POST /v2/oauth/token/"] = ts.handle
	c, _ := newClient(t, srv.URL)
	v := platform.NewVerifier()
	ts.challenge = CodeChallenge(v)
	ctx := context.Background()

	if _, err := c.Exchange(ctx, "CODE", platform.NewVerifier()); !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("wrong verifier: %v", err)
	}
	cred, err := c.Exchange(ctx, "CODE", v)
	if err != nil {
		t.Fatal(err)
	}
	if cred.AccessToken != "act.ACCESS-1" || cred.RefreshToken != "rft.REFRESH-1" || cred.TokenType != "Bearer" ||
		!cred.ExpiresAt.Equal(testNow.Add(2*time.Hour)) || !cred.RefreshExpiresAt.Equal(testNow.Add(180*24*time.Hour)) ||
		!reflect.DeepEqual(cred.Scopes, Scopes) || !cred.IssuedAt.Equal(testNow) {
		t.Fatalf("credential %+v", cred.Meta())
	}
	if got := ts.forms[1].Get("code_verifier"); got != v {
		t.Errorf("code_verifier %q", got)
	}
	cred.AccountID = 7
	next, err := c.Refresh(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken != "rft.REFRESH-2" || next.AccessToken != "act.ACCESS-2" || next.AccountID != 7 {
		t.Fatalf("refreshed %+v", next.Meta())
	}
	// The old refresh token is dead: an auth error that does not show it.
	_, err = c.Refresh(ctx, cred)
	if !errors.Is(err, platform.ErrAuth) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("reused refresh token: %v", err)
	}
	for _, s := range []string{"rft.REFRESH-1", "act.ACCESS-1", testSecret} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks %q: %v", s, err)
		}
	}
	if _, err := c.Refresh(ctx, &snsos.Credential{AccessToken: "a"}); !errors.Is(err, platform.ErrAuth) {
		t.Errorf("no refresh token: %v", err)
	}
}

func TestTokenAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		access  string
		expires time.Duration
		refresh time.Duration
		scopes  int
	}{
		{"token.json", "act.example12345Example12345Example", 2 * time.Hour, 180 * 24 * time.Hour, 4},
		{"token_legacy.json", "act.legacy12345Example12345Example", 24 * time.Hour, 365 * 24 * time.Hour, 3},
		{"token_wrapped.json", "act.wrapped2345Example12345Example", 2 * time.Hour, 180 * 24 * time.Hour, 4},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.override["POST /v2/oauth/token/"] = func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, fixture(t, tt.file)) }
			c, _ := newClient(t, srv.URL)
			cred, err := c.Refresh(context.Background(), &snsos.Credential{RefreshToken: "rft.old", Scopes: []string{"x"}})
			if err != nil {
				t.Fatal(err)
			}
			if cred.AccessToken.Reveal() != tt.access || !cred.ExpiresAt.Equal(testNow.Add(tt.expires)) ||
				!cred.RefreshExpiresAt.Equal(testNow.Add(tt.refresh)) || len(cred.Scopes) != tt.scopes || cred.RefreshToken == "rft.old" {
				t.Errorf("credential %+v", cred.Meta())
			}
		})
	}
}

func TestExchangeRefusesMissingScope(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["POST /v2/oauth/token/"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "token_partial_scope.json"))
	}
	c, _ := newClient(t, srv.URL)
	_, err := c.Exchange(context.Background(), "CODE", platform.NewVerifier())
	if !errors.Is(err, platform.ErrAuth) || !strings.Contains(err.Error(), "video.upload") {
		t.Fatalf("partial grant: %v", err)
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    platform.Kind
		say     string
	}{
		{"expired code with HTTP 200", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, fixture(t, "oauth_error.json"))
		}, platform.KindAuth, "Authorization code is expired"},
		{"bad client", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 401, fixture(t, "oauth_invalid_client.json"))
		}, platform.KindAuth, "client key"},
		{"5xx html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			w.Write(fixture(t, "error_bad_gateway.html"))
		}, platform.KindOutcomeUnknown, "text/html"},
		{"rate limited", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 429, fixture(t, "error_rate_limit.json"))
		}, platform.KindRateLimited, "rate limit"},
		{"unreadable 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>rft.OLD-SECRET-VALUE</html>"))
		}, platform.KindOutcomeUnknown, ""},
		{"200 without a token", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []byte(`{"scope":"a"}`)) },
			platform.KindOutcomeUnknown, "no access_token"},
		{"echoing the secrets", func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			writeJSON(w, 400, []byte(`{"error":"invalid_grant","error_description":"bad token `+r.PostForm.Get("refresh_token")+
				` for `+r.PostForm.Get("client_secret")+`","log_id":"L"}`))
		}, platform.KindAuth, "bad token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.override["POST /v2/oauth/token/"] = tt.handler
			c, _ := newClient(t, srv.URL)
			_, err := c.Refresh(context.Background(), &snsos.Credential{RefreshToken: "rft.OLD-SECRET-VALUE", AccessToken: testToken})
			if platform.KindOf(err) != tt.want || !strings.Contains(err.Error(), tt.say) {
				t.Fatalf("kind %v, want %v: %v", platform.KindOf(err), tt.want, err)
			}
			if tt.want == platform.KindRateLimited {
				if at, ok := platform.RetryAt(err); !ok || !at.Equal(testNow.Add(time.Minute)) {
					t.Errorf("RetryAt %v %v", at, ok)
				}
			}
			for _, s := range []string{"rft.OLD-SECRET-VALUE", testToken, testSecret} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks %q: %v", s, err)
				}
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var got url.Values
	f.override["POST /v2/oauth/revoke/"] = func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = r.PostForm
		writeJSON(w, 200, fixture(t, "revoke_ok.json"))
	}
	c, _ := newClient(t, srv.URL)
	if err := c.Revoke(context.Background(), &snsos.Credential{AccessToken: "act.A1", RefreshToken: "rft.R1"}); err != nil {
		t.Fatal(err)
	}
	if got.Get("client_key") != "ck-test" || got.Get("client_secret") != testSecret || got.Get("token") != "act.A1" {
		t.Errorf("revoke form %v", got)
	}
	f.override["POST /v2/oauth/revoke/"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, []byte(`{"error":"invalid_request","error_description":"token act.A1 unknown","log_id":"L"}`))
	}
	err := c.Revoke(context.Background(), &snsos.Credential{AccessToken: "act.A1"})
	if !errors.Is(err, platform.ErrRejected) || strings.Contains(err.Error(), "act.A1") {
		t.Errorf("refused revoke: %v", err)
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var fields string
	f.override["GET /v2/user/info/"] = func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			writeJSON(w, 401, fixture(t, "error_access_token_invalid.json"))
			return
		}
		fields = r.URL.Query().Get("fields")
		writeJSON(w, 200, fixture(t, "user_info.json"))
	}
	c, _ := newClient(t, srv.URL)
	p, err := c.Profile(context.Background(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	want := platform.Profile{RemoteID: "afd97af1-b87b-48b9-ac98-410aghda5344", Handle: "snsos_test", DisplayName: "sns-os Test",
		AvatarURL: "https://p19-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/b17f0e4b3a4f4a50993cf72cda8b88b8~c5_168x168.jpeg",
		Options:   map[string]string{"union_id": "c9c60f44-a68e-4f5d-84dd-ce22faeb0ba1", AccountUnaudited: "false"}}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("profile %+v", p)
	}
	if fields != userFields || strings.Contains(fields, "username") {
		t.Errorf("fields %q ask for more than user.info.basic covers", fields)
	}
	// An account that may not post today still connects, without a handle.
	f.override["POST /v2/post/publish/creator_info/query/"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "error_spam_too_many_posts.json"))
	}
	if p, err := c.Profile(context.Background(), testToken); err != nil || p.Handle != "" || p.RemoteID != want.RemoteID {
		t.Errorf("capped account: %+v %v", p, err)
	}
	_, err = c.Profile(context.Background(), "act.expired-token-value")
	if !errors.Is(err, platform.ErrAuth) || strings.Contains(err.Error(), "act.expired-token-value") {
		t.Errorf("expired token: %v", err)
	}
}
