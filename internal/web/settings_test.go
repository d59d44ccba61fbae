package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/api"
	"github.com/sns-os/snsos/internal/auth"
)

type fakeAlerter struct {
	channels []string
	err      error
	sent     atomic.Int32
}

func (f *fakeAlerter) Channels() []string { return f.channels }
func (f *fakeAlerter) SendTest(ctx context.Context) error {
	f.sent.Add(1)
	return f.err
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	return do(t, c, "POST", u, form)
}

func TestSettingsZone(t *testing.T) {
	pe := newPagesEnv(t) // zone Asia/Tokyo; posts at 2026-11-28 12:00 UTC
	_, body := pe.get(t, "/settings")
	wantAll(t, "settings", body, `<a class="navlink" href="/settings" aria-current="page">`, `value="Asia/Tokyo"`, `list="zone-list"`,
		`<option value="America/New_York">`, `value="monday" checked`, `value="en" checked`)

	// An unknown zone is refused, kept in the field, and nothing changes.
	resp, body := postForm(t, pe.c, pe.srv.URL+"/settings", url.Values{"lang": {"en"}, "timezone": {"Mars/Olympus_Mons"}, "week_start": {"sunday"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown zone: %d", resp.StatusCode)
	}
	wantAll(t, "unknown zone", body, `value="Mars/Olympus_Mons"`, `aria-invalid="true"`, `aria-describedby="timezone-error timezone-hint"`,
		`id="timezone-error">“Mars/Olympus_Mons” is not a time zone sns-os knows.`, `href="#timezone"`, `value="sunday" checked`)
	if pe.h.location().String() != "Asia/Tokyo" {
		t.Fatalf("zone changed to %s", pe.h.location())
	}
	for _, z := range []string{"", "Local"} {
		if resp, _ := postForm(t, pe.c, pe.srv.URL+"/settings", url.Values{"lang": {"en"}, "timezone": {z}, "week_start": {"monday"}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("zone %q: %d", z, resp.StatusCode)
		}
	}

	// A good one applies to the next page at once.
	resp, _ = postForm(t, pe.c, pe.srv.URL+"/settings", url.Values{"lang": {"en"}, "timezone": {"America/New_York"}, "week_start": {"sunday"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings?flash=saved" {
		t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = pe.get(t, "/posts")
	wantAll(t, "posts in New York time", body, "Times in America/New_York.", `<time datetime="2026-11-28T12:00:00Z">28 Nov 07:00</time>`)
	_, body = pe.get(t, "/settings?flash=saved")
	wantAll(t, "saved", body, "Settings saved.", `value="America/New_York"`, `value="sunday" checked`)
	ctx := context.Background()
	if v, _ := pe.store.Setting(ctx, SettingWeekStart); v != "sunday" {
		t.Errorf("week start saved as %q", v)
	}

	// It persists: a new handler over the same store loads it.
	h2 := New(Config{Store: pe.store, Now: pe.clock.Now})
	if h2.location().String() != "UTC" {
		t.Fatal("precondition")
	}
	if err := h2.LoadSettings(ctx); err != nil {
		t.Fatal(err)
	}
	if h2.location().String() != "America/New_York" {
		t.Errorf("after LoadSettings the zone is %s", h2.location())
	}
	// A saved zone that no longer loads is ignored.
	pe.store.PutSetting(ctx, SettingTimezone, "Nowhere/Gone")
	h3 := New(Config{Store: pe.store, Now: pe.clock.Now})
	if err := h3.LoadSettings(ctx); err != nil || h3.location().String() != "UTC" {
		t.Errorf("bad saved zone: %v %s", err, h3.location())
	}
	// A POST without a session changes nothing.
	resp, _ = postForm(t, pe.client(t), pe.srv.URL+"/settings", url.Values{"lang": {"en"}, "timezone": {"Europe/Paris"}, "week_start": {"monday"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") || pe.h.location().String() != "America/New_York" {
		t.Errorf("settings without a session: %d, zone %s", resp.StatusCode, pe.h.location())
	}
}

func TestSettingsLanguage(t *testing.T) {
	pe := newPagesEnv(t)
	resp, _ := postForm(t, pe.c, pe.srv.URL+"/settings", url.Values{"lang": {"ja"}, "timezone": {"Asia/Tokyo"}, "week_start": {"sunday"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	_, body := pe.get(t, "/settings?flash=saved")
	wantAll(t, "ja settings", body, `<html lang="ja">`, "設定を保存しました。", "タイムゾーン", "週の始まり", `value="ja" checked`)
	// Another browser, with no lang cookie and an English Accept-Language,
	// opens in the saved language once signed in.
	c := pe.client(t)
	do(t, c, "POST", pe.srv.URL+"/signin", url.Values{"password": {"pw"}})
	req, _ := http.NewRequest("GET", pe.srv.URL+"/posts", nil)
	req.Header.Set("Accept-Language", "en-US")
	r2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	_, body = do(t, c, "GET", pe.srv.URL+"/posts", nil)
	wantAll(t, "saved language", body, `<html lang="ja">`)
	// The switcher's cookie wins in its browser.
	do(t, c, "GET", pe.srv.URL+"/lang/en", nil)
	_, body = do(t, c, "GET", pe.srv.URL+"/posts", nil)
	wantAll(t, "cookie language", body, `<html lang="en">`)
}

// TestSettingsTheme: the theme is chosen with the other preferences, and
// the layout's <html> carries it on every signed-in page (System: nothing,
// so the browser's light or dark applies).
func TestSettingsTheme(t *testing.T) {
	pe := newPagesEnv(t)
	_, body := pe.get(t, "/settings")
	wantAll(t, "settings", body, `<html lang="en">`, `<legend>Theme</legend>`,
		`<input type="radio" id="theme-system" name="theme" value="system" checked> System</label>`,
		`id="theme-light" name="theme" value="light">`, `id="theme-dark" name="theme" value="dark">`)
	if strings.Contains(body, "data-theme") {
		t.Error("data-theme set while the theme follows the system")
	}

	form := func(theme string) url.Values {
		return url.Values{"lang": {"en"}, "timezone": {"Asia/Tokyo"}, "week_start": {"monday"}, "theme": {theme}}
	}
	resp, _ := postForm(t, pe.c, pe.srv.URL+"/settings", form("dark"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings?flash=saved" {
		t.Fatalf("save dark: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = pe.get(t, "/settings?flash=saved")
	wantAll(t, "saved dark", body, `<html lang="en" data-theme="dark">`, "Settings saved.", `value="dark" checked`)
	_, body = pe.get(t, "/posts")
	wantAll(t, "posts in dark", body, `<html lang="en" data-theme="dark">`)
	if v, _ := pe.store.Setting(context.Background(), SettingTheme); v != "dark" {
		t.Errorf("theme saved as %q", v)
	}

	// A value not offered is refused; what was typed stays, the saved
	// theme stays checked and applied.
	resp, body = postForm(t, pe.c, pe.srv.URL+"/settings", url.Values{"lang": {"ja"}, "timezone": {"America/New_York"}, "week_start": {"sunday"}, "theme": {"purple"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad theme: %d", resp.StatusCode)
	}
	wantAll(t, "bad theme", body, `data-theme="dark"`, `<fieldset aria-describedby="theme-error">`,
		`<p class="field-error" id="theme-error">Choose System, Light or Dark.</p>`, `href="#theme-dark"`,
		`value="dark" checked`, `value="America/New_York"`, `value="sunday" checked`, `value="ja" checked`)
	if strings.Contains(body, "purple") {
		t.Error("the bad value is echoed")
	}
	if v, _ := pe.store.Setting(context.Background(), SettingTheme); v != "dark" {
		t.Errorf("after a bad value the theme is %q", v)
	}
	if pe.h.location().String() != "Asia/Tokyo" {
		t.Errorf("a refused form changed the zone to %s", pe.h.location())
	}

	// A form without the field (an older client) leaves the theme alone.
	resp, _ = postForm(t, pe.c, pe.srv.URL+"/settings", url.Values{"lang": {"en"}, "timezone": {"Asia/Tokyo"}, "week_start": {"monday"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save without theme: %d", resp.StatusCode)
	}
	if v, _ := pe.store.Setting(context.Background(), SettingTheme); v != "dark" {
		t.Errorf("a form without the theme changed it to %q", v)
	}

	// Light is set on the page too; System removes the attribute.
	postForm(t, pe.c, pe.srv.URL+"/settings", form("light"))
	_, body = pe.get(t, "/")
	wantAll(t, "light", body, `<html lang="en" data-theme="light">`)
	postForm(t, pe.c, pe.srv.URL+"/settings", form("system"))
	_, body = pe.get(t, "/")
	wantAll(t, "system", body, `<html lang="en">`)
	if strings.Contains(body, "data-theme") {
		t.Error("data-theme set after choosing System")
	}

	// Pages before sign-in never carry it.
	postForm(t, pe.c, pe.srv.URL+"/settings", form("dark"))
	_, body = do(t, pe.client(t), "GET", pe.srv.URL+"/signin", nil)
	if strings.Contains(body, "data-theme") {
		t.Error("the sign-in page carries the theme")
	}
}

var tokenRE = regexp.MustCompile(`snsos_[A-Za-z0-9_-]{43}`)

func TestSettingsAPITokens(t *testing.T) {
	pe := newPagesEnv(t)
	// An empty name is refused, with the message tied to the field.
	resp, body := postForm(t, pe.c, pe.srv.URL+"/settings/tokens", url.Values{"name": {"   "}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("empty name: %d", resp.StatusCode)
	}
	wantAll(t, "empty name", body, `id="token-name-error">Enter a name for the token.`, `aria-describedby="token-name-error token-name-hint"`)

	resp, body = postForm(t, pe.c, pe.srv.URL+"/settings/tokens", url.Values{"name": {"backup <script>"}})
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	tok := tokenRE.FindString(body)
	if tok == "" {
		t.Fatalf("no token shown:\n%s", body)
	}
	wantAll(t, "created", body, "Token “backup &lt;script&gt;” created", "it is shown only this once", "<code>"+api.TokenPrefix(tok)+"…</code>")

	// The store keeps its hash and prefix, never the token.
	ctx := context.Background()
	toks, err := pe.store.ListAPITokens(ctx)
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens: %v %v", toks, err)
	}
	if toks[0].Hash != auth.HashToken(tok) || toks[0].Hash == tok || strings.Contains(toks[0].Hash, tok[6:20]) || toks[0].Prefix != api.TokenPrefix(tok) {
		t.Errorf("stored token row: %+v", toks[0])
	}
	// Shown once: the page never shows it again.
	_, body = pe.get(t, "/settings")
	if strings.Contains(body, tok) {
		t.Error("the token is shown again")
	}
	wantAll(t, "listed", body, "backup &lt;script&gt;", "Never", "/settings/tokens/")
	// It is an API token only: it does not open the operator pages.
	for _, h := range []string{"Bearer " + tok} {
		req, _ := http.NewRequest("GET", pe.srv.URL+"/settings", nil)
		req.Header.Set("Authorization", h)
		r, err := pe.client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
			t.Errorf("API token on /settings: %d", r.StatusCode)
		}
	}

	// Revoke.
	resp, _ = postForm(t, pe.c, pe.srv.URL+"/settings/tokens/"+itoa(toks[0].ID)+"/revoke", url.Values{})
	if resp.Header.Get("Location") != "/settings?flash=token.revoked#tokens-h" {
		t.Fatalf("revoke: %s", resp.Header.Get("Location"))
	}
	if tk, _ := pe.store.FindAPITokenByHash(ctx, auth.HashToken(tok)); tk == nil || tk.RevokedAt.IsZero() {
		t.Error("token not revoked")
	}
	resp, _ = postForm(t, pe.c, pe.srv.URL+"/settings/tokens/999999/revoke", url.Values{})
	if resp.Header.Get("Location") != "/settings?flash=token.notfound#tokens-h" {
		t.Errorf("revoke unknown: %s", resp.Header.Get("Location"))
	}
}

func TestSettingsPassword(t *testing.T) {
	pe := newPagesEnv(t) // password "pw", signed in as pe.c
	other := pe.client(t)
	do(t, other, "POST", pe.srv.URL+"/signin", url.Values{"password": {"pw"}})
	if resp, _ := do(t, other, "GET", pe.srv.URL+"/settings", nil); resp.StatusCode != 200 {
		t.Fatal("second session not signed in")
	}
	const newPW = "a much longer passphrase"
	bad := []struct {
		form url.Values
		want string
	}{
		{url.Values{"current": {"wrong-one"}, "new": {newPW}, "confirm": {newPW}}, "The current password is not correct."},
		{url.Values{"current": {""}, "new": {newPW}, "confirm": {newPW}}, "Enter your current password."},
		{url.Values{"current": {"pw"}, "new": {"short-pw"}, "confirm": {"short-pw"}}, "Use at least 12 characters"},
		{url.Values{"current": {"pw"}, "new": {newPW}, "confirm": {newPW + "x"}}, "The two new passwords differ."},
	}
	for _, b := range bad {
		resp, body := postForm(t, pe.c, pe.srv.URL+"/settings/password", b.form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%v: %d", b.form, resp.StatusCode)
		}
		wantAll(t, b.want, body, b.want, `id="error-summary"`, `aria-invalid="true"`)
		for _, pw := range []string{b.form.Get("current"), b.form.Get("new")} {
			if len(pw) > 4 && strings.Contains(body, pw) { // "pw" itself is in the field ids
				t.Errorf("the page echoes a password %q", pw)
			}
		}
	}
	resp, _ := postForm(t, pe.c, pe.srv.URL+"/settings/password", url.Values{"current": {"pw"}, "new": {newPW}, "confirm": {newPW}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings?flash=password.changed" {
		t.Fatalf("change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// This session stays, the other ended.
	if resp, body := do(t, pe.c, "GET", pe.srv.URL+"/settings?flash=password.changed", nil); resp.StatusCode != 200 || !strings.Contains(body, "Password changed.") {
		t.Errorf("this session after the change: %d", resp.StatusCode)
	}
	if resp, _ := do(t, other, "GET", pe.srv.URL+"/settings", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("other session after the change: %d", resp.StatusCode)
	}
	// The new password signs in; the old one does not.
	c := pe.client(t)
	if resp, _ := do(t, c, "POST", pe.srv.URL+"/signin", url.Values{"password": {"pw"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password: %d", resp.StatusCode)
	}
	if resp, _ := do(t, c, "POST", pe.srv.URL+"/signin", url.Values{"password": {newPW}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("new password: %d", resp.StatusCode)
	}
	// Sign out other sessions: c ends, pe.c stays.
	resp, _ = postForm(t, pe.c, pe.srv.URL+"/settings/sessions/others", url.Values{})
	if resp.Header.Get("Location") != "/settings?flash=sessions.ended#sessions-h" {
		t.Fatalf("sign out others: %s", resp.Header.Get("Location"))
	}
	if resp, _ := do(t, c, "GET", pe.srv.URL+"/settings", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("other session after sign-out: %d", resp.StatusCode)
	}
	if resp, _ := do(t, pe.c, "GET", pe.srv.URL+"/settings", nil); resp.StatusCode != 200 {
		t.Errorf("this session after sign-out of others: %d", resp.StatusCode)
	}
}

func TestSettingsAlerts(t *testing.T) {
	pe := newPagesEnv(t)
	_, body := pe.get(t, "/settings")
	wantAll(t, "no alerts", body, "Not configured: set <code>SNSOS_ALERT_WEBHOOK_URL</code> or <code>SNSOS_SMTP_URL</code>")
	if strings.Contains(body, `action="/settings/alerts/test"`) {
		t.Error("Send test offered without a channel")
	}
	resp, _ := postForm(t, pe.c, pe.srv.URL+"/settings/alerts/test", url.Values{})
	if resp.Header.Get("Location") != "/settings?flash=alerts.none#alerts-h" {
		t.Errorf("test without alerts: %s", resp.Header.Get("Location"))
	}

	fa := &fakeAlerter{channels: []string{"email to op@example.com", "webhook to hooks.example.com"}}
	reconfigure(t, pe, func(c *Config) { c.Alerts = fa })
	_, body = pe.get(t, "/settings")
	wantAll(t, "alerts", body, "email to op@example.com", "webhook to hooks.example.com", `action="/settings/alerts/test"`, "Send test")
	resp, _ = postForm(t, pe.c, pe.srv.URL+"/settings/alerts/test", url.Values{})
	if resp.Header.Get("Location") != "/settings?flash=alerts.sent#alerts-h" || fa.sent.Load() != 1 {
		t.Fatalf("send test: %s, sent %d", resp.Header.Get("Location"), fa.sent.Load())
	}
	_, body = pe.get(t, "/settings?flash=alerts.sent")
	wantAll(t, "sent", body, `id="flash" role="status">Test alert sent.`)
	fa.err = errors.New("smtp: connection refused")
	resp, _ = postForm(t, pe.c, pe.srv.URL+"/settings/alerts/test", url.Values{})
	if resp.Header.Get("Location") != "/settings?flash=alerts.failed#alerts-h" {
		t.Fatalf("failing test: %s", resp.Header.Get("Location"))
	}
	_, body = pe.get(t, "/settings?flash=alerts.failed")
	wantAll(t, "failed", body, `role="alert">The test alert could not be sent.`)
	if strings.Contains(body, "connection refused") {
		t.Error("the raw error is shown")
	}
}

// TestZoneNamesBounded: the schedule fields refuse a zone name longer than
// any IANA name, and "Local", through loadZone.
func TestZoneNamesBounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A", 65)
	for _, z := range []string{long, "Local"} {
		if _, _, errs := parseComposeTime("2027-01-01", "10:00", z, time.UTC); errs["zone"] == "" {
			t.Errorf("compose accepted zone %.10q", z)
		}
		if _, _, zerr := calParseLocal("2027-01-01T10:00", z, time.Time{}); zerr != "zone" {
			t.Errorf("calendar accepted zone %.10q", z)
		}
	}
	if _, _, zerr := calParseLocal("2027-01-01T10:00", "", time.Time{}); zerr != "zone" {
		t.Error("calendar accepted an empty zone")
	}
}
