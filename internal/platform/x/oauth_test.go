package x

import (
	"context"
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
	for _, base := range []string{"", "http://127.0.0.1:9/sim/x/"} {
		c, _ := newClient(t, base)
		v := platform.NewVerifier()
		u, err := url.Parse(c.AuthCodeURL("st4te", v))
		if err != nil {
			t.Fatal(err)
		}
		wantPrefix := "https://x.com/i/oauth2/authorize"
		if base != "" {
			wantPrefix = "http://127.0.0.1:9/sim/x/i/oauth2/authorize"
		}
		if got := u.Scheme + "://" + u.Host + u.Path; got != wantPrefix {
			t.Errorf("authorize URL %q, want %q", got, wantPrefix)
		}
		q := u.Query()
		want := map[string]string{
			"response_type": "code", "client_id": "cid", "redirect_uri": "http://127.0.0.1/oauth/x/callback",
			"scope": "tweet.read tweet.write users.read media.write offline.access", "state": "st4te",
			"code_challenge": s256(v), "code_challenge_method": "S256",
		}
		for k, w := range want {
			if q.Get(k) != w {
				t.Errorf("%s = %q, want %q", k, q.Get(k), w)
			}
		}
	}
}

// tokenServer answers the token endpoint like X: Basic auth, PKCE check,
// single-use rotating refresh tokens.
type tokenServer struct {
	mu        sync.Mutex
	challenge string
	refresh   string
	n         int
}

func (ts *tokenServer) handle(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		user, pw, ok := r.BasicAuth()
		if !ok || user != "cid" || pw != testSecret {
			writeJSON(w, 401, []byte(`{"error":"unauthorized_client","error_description":"Missing valid authorization header"}`))
			return
		}
		r.ParseForm()
		bad := []byte(`{"error":"invalid_request","error_description":"Value passed for the token was invalid."}`)
		switch r.Form.Get("grant_type") {
		case "authorization_code":
			if r.Form.Get("code") != "CODE" || s256(r.Form.Get("code_verifier")) != ts.challenge ||
				r.Form.Get("redirect_uri") != "http://127.0.0.1/oauth/x/callback" {
				writeJSON(w, 400, []byte(`{"error":"invalid_request","error_description":"Value passed for the authorization code was invalid."}`))
				return
			}
		case "refresh_token":
			if r.Form.Get("refresh_token") != ts.refresh {
				writeJSON(w, 400, bad)
				return
			}
		default:
			writeJSON(w, 400, bad)
			return
		}
		ts.n++
		ts.refresh = "REFRESH-" + string(rune('0'+ts.n))
		writeJSON(w, 200, []byte(`{"token_type":"bearer","expires_in":7200,"access_token":"ACCESS-`+string(rune('0'+ts.n))+
			`","scope":"tweet.read tweet.write users.read media.write offline.access","refresh_token":"`+ts.refresh+`"}`))
	}
}

func TestExchangeAndRefreshRotation(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	ts := &tokenServer{}
	f.override["POST /2/oauth2/token"] = ts.handle(t)
	c, _ := newClient(t, srv.URL)
	v := platform.NewVerifier()
	ts.challenge = s256(v)
	ctx := context.Background()

	if _, err := c.Exchange(ctx, "CODE", "wrong-verifier-wrong-verifier-wrong-verif"); !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("wrong verifier: %v", err)
	}
	cred, err := c.Exchange(ctx, "CODE", v)
	if err != nil {
		t.Fatal(err)
	}
	if cred.AccessToken != "ACCESS-1" || cred.RefreshToken != "REFRESH-1" || !cred.ExpiresAt.Equal(testNow.Add(2*time.Hour)) ||
		len(cred.Scopes) != 5 || cred.TokenType != "bearer" {
		t.Fatalf("credential %+v", cred.Meta())
	}
	cred.AccountID = 7
	next, err := c.Refresh(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken != "REFRESH-2" || next.AccessToken != "ACCESS-2" || next.AccountID != 7 {
		t.Fatalf("refreshed %+v", next.Meta())
	}
	// The old refresh token is dead: using it again is an auth error whose
	// text does not contain it.
	_, err = c.Refresh(ctx, cred)
	if !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("reused refresh token: %v", err)
	}
	for _, s := range []string{"REFRESH-1", "ACCESS-1", testSecret} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks %q: %v", s, err)
		}
	}
	if _, err := c.Refresh(ctx, &snsos.Credential{}); !errors.Is(err, platform.ErrAuth) {
		t.Errorf("no refresh token: %v", err)
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    platform.Kind
	}{
		{"bad client", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 401, []byte(`{"error":"unauthorized_client","error_description":"Missing valid authorization header"}`))
		}, platform.KindAuth},
		{"5xx", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			w.Write(fixture(t, "error_bad_gateway.html"))
		}, platform.KindOutcomeUnknown},
		{"429", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			writeJSON(w, 429, fixture(t, "error_rate_limit.json"))
		}, platform.KindRateLimited},
		{"html 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>REFRESH-OLD-SECRET</html>"))
		}, platform.KindOutcomeUnknown},
		{"echoing json", func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			writeJSON(w, 400, []byte(`{"error":"invalid_grant","error_description":"bad token `+r.Form.Get("refresh_token")+`"}`))
		}, platform.KindAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.override["POST /2/oauth2/token"] = tt.handler
			c, _ := newClient(t, srv.URL)
			_, err := c.Refresh(context.Background(), &snsos.Credential{RefreshToken: "REFRESH-OLD-SECRET", AccessToken: testToken})
			if platform.KindOf(err) != tt.want {
				t.Fatalf("kind %v, want %v: %v", platform.KindOf(err), tt.want, err)
			}
			if tt.want == platform.KindRateLimited {
				if at, ok := platform.RetryAt(err); !ok || !at.Equal(testNow.Add(time.Minute)) {
					t.Errorf("RetryAt %v %v", at, ok)
				}
			}
			for _, s := range []string{"REFRESH-OLD-SECRET", testToken, testSecret} {
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
	var mu sync.Mutex
	var got []string
	f.override["POST /2/oauth2/revoke"] = func(w http.ResponseWriter, r *http.Request) {
		user, pw, _ := r.BasicAuth()
		r.ParseForm()
		mu.Lock()
		got = append(got, user+":"+pw+":"+r.Form.Get("token_type_hint")+":"+r.Form.Get("token"))
		mu.Unlock()
		writeJSON(w, 200, []byte(`{"revoked":true}`))
	}
	c, _ := newClient(t, srv.URL)
	if err := c.Revoke(context.Background(), &snsos.Credential{AccessToken: "A1", RefreshToken: "R1"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"cid:" + testSecret + ":refresh_token:R1", "cid:" + testSecret + ":access_token:A1"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("revoke calls %v", got)
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	p, err := c.Profile(context.Background(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	want := platform.Profile{RemoteID: "2244994945", Handle: "XDevelopers", DisplayName: "X Developers",
		AvatarURL: "https://pbs.twimg.com/profile_images/1/x_normal.jpg"}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("profile %+v", p)
	}
	_, err = c.Profile(context.Background(), "expired-token-value")
	if !errors.Is(err, platform.ErrAuth) || strings.Contains(err.Error(), "expired-token-value") {
		t.Errorf("expired token: %v", err)
	}
}
