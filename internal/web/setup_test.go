package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sns-os/snsos/internal/auth"
)

// TestSetupLink walks the first run: a one-time link lets the operator
// choose the password; bad input keeps the link usable; the link works
// once, expires, and is refused once a password exists.
func TestSetupLink(t *testing.T) {
	e := newTestEnv(t, "") // the handler and the store share e.clock
	ctx := context.Background()
	c := e.client(t)

	link, err := e.h.SetupLink(ctx, e.srv.URL+"/")
	if err != nil || !strings.HasPrefix(link, e.srv.URL+"/setup?token=") {
		t.Fatalf("SetupLink = %q, %v", link, err)
	}
	token := strings.TrimPrefix(link, e.srv.URL+"/setup?token=")
	if stored, _ := e.store.Setting(ctx, setupSetting); strings.Contains(stored, token) {
		t.Fatal("the setup token itself is stored")
	}
	resp, body := do(t, c, "GET", link, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="password2"`) || !strings.Contains(body, `autocomplete="new-password"`) {
		t.Fatalf("setup page %d:\n%s", resp.StatusCode, body)
	}
	resp, body = do(t, c, "GET", e.srv.URL+"/setup?token=nope", nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "This setup link does not work") {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}

	for _, bad := range []struct{ pw, again, want string }{
		{"short", "short", "too short"},
		{"a long enough password", "a different password", "differ"},
	} {
		resp, body = do(t, c, "POST", e.srv.URL+"/setup", url.Values{"token": {token}, "password": {bad.pw}, "password2": {bad.again}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, bad.want) || strings.Contains(body, bad.pw+`"`) {
			t.Fatalf("%q: %d, want 422 with %q and no echo", bad.pw, resp.StatusCode, bad.want)
		}
		if !strings.Contains(body, `value="`+token+`"`) {
			t.Fatal("the form lost its token after a mistake")
		}
	}

	// Expired links are refused; a fresh one works.
	e.clock.Add(SetupLinkLifetime)
	resp, _ = do(t, c, "GET", link, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("expired link: %d", resp.StatusCode)
	}
	link2, _ := e.h.SetupLink(ctx, e.srv.URL)
	token2 := strings.TrimPrefix(link2, e.srv.URL+"/setup?token=")
	resp, _ = do(t, c, "GET", link, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatal("the replaced link still works")
	}

	resp, _ = do(t, c, "POST", e.srv.URL+"/setup", url.Values{"token": {token2}, "password": {"a long enough password"}, "password2": {"a long enough password"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || sessionCookieOf(t, resp) == nil {
		t.Fatalf("setup: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	hash, _ := e.store.Setting(ctx, auth.PasswordSetting)
	if ok, err := auth.VerifyPassword("a long enough password", hash); !ok || err != nil {
		t.Fatalf("stored password does not verify: %v", err)
	}
	resp, _ = do(t, c, "GET", e.srv.URL+"/", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("dashboard after setup: %d", resp.StatusCode)
	}

	// Used once; and no new link while a password is set.
	resp, _ = do(t, e.client(t), "POST", e.srv.URL+"/setup", url.Values{"token": {token2}, "password": {"another long password"}, "password2": {"another long password"}})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("second use: %d", resp.StatusCode)
	}
	if l, err := e.h.SetupLink(ctx, e.srv.URL); l != "" || err != nil {
		t.Fatalf("SetupLink with a password set = %q, %v", l, err)
	}
}

// TestUnknownPaths: a signed-in operator gets the interface's 404 page;
// anyone else a plain 404, not a sign-in redirect that would confirm
// nothing exists there.
func TestUnknownPaths(t *testing.T) {
	e := newTestEnv(t, "pw")
	resp, body := do(t, e.client(t), "GET", e.srv.URL+"/no/such/page", nil)
	if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "<html") {
		t.Fatalf("stranger: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, signedIn(t, e), "GET", e.srv.URL+"/no/such/page", nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "<html") || !strings.Contains(body, "/signout") {
		t.Fatalf("operator: %d %s", resp.StatusCode, body)
	}
}
