package cli

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEveryPageNeedsASession asks the real server, with every feature
// mounted, for each page and action of the operator interface without a
// session: each one sends the browser to sign in and does nothing. The
// public routes answer without a session.
func TestEveryPageNeedsASession(t *testing.T) {
	t.Parallel()
	base, _, _, _ := startServe(t, map[string]string{"SNSOS_DATA_DIR": t.TempDir(), "SNSOS_X_CLIENT_ID": "cid", "SNSOS_X_CLIENT_SECRET": "csecret"}, "serve")
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	operator := []string{
		"GET /", "GET /compose", "POST /compose", "POST /compose/check", "GET /posts", "GET /posts/1", "GET /posts/1/edit",
		"POST /posts/1/edit", "POST /posts/1/duplicate", "POST /posts/1/cancel", "POST /posts/1/targets/1/retry",
		"POST /posts/1/targets/1/check", "GET /calendar", "GET /calendar?view=week", "GET /calendar/posts/1/time",
		"POST /calendar/posts/1/time", "POST /calendar/feed/regenerate", "GET /analytics", "GET /analytics.csv",
		"GET /accounts", "GET /accounts/1/disconnect", "POST /accounts/1/disconnect", "GET /accounts/1/avatar",
		"POST /connect/x", "GET /media", "POST /media", "GET /media/1", "GET /settings", "POST /settings",
		"POST /settings/alerts/test", "POST /settings/tokens", "POST /settings/tokens/1/revoke", "POST /settings/password",
		"POST /settings/sessions/others",
	}
	for _, route := range operator {
		method, path, _ := strings.Cut(route, " ")
		req, _ := http.NewRequest(method, base+path, strings.NewReader("x=1"))
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?next=") {
			t.Errorf("%s without a session: %d %s, want 303 to sign-in", route, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	public := map[string]int{
		"GET /signin": 200, "GET /setup?token=nope": 404, "GET /healthz": 200, "GET /readyz": 200,
		"GET /feeds/schedule.ics?token=nope": 404, "GET /oauth/x/callback?state=nope&code=nope": 400,
		"GET /m/1?exp=1&sig=nope": 403, "GET /lang/ja?next=%2F": 303, "GET /no/such/page": 404,
	}
	for route, want := range public {
		method, path, _ := strings.Cut(route, " ")
		req, _ := http.NewRequest(method, base+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
			t.Errorf("%s: %d %s, want %d", route, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}
