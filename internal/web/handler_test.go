package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/server"
)

// client returns a browser-like client that does not follow redirects.
func (e *testEnv) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func sessionCookieOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

func TestSigninFlow(t *testing.T) {
	e := newTestEnv(t, "correct horse")
	c := e.client(t)
	ctx := context.Background()

	// Every page needs a session; next keeps where the operator was going.
	resp, _ := do(t, c, "GET", e.srv.URL+"/?x=1", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?next="+url.QueryEscape("/?x=1") {
		t.Fatalf("GET / without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := do(t, c, "GET", e.srv.URL+"/signin?next=%2F%3Fx%3D1", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) || !strings.Contains(body, `autocomplete="username"`) ||
		!strings.Contains(body, `value="/?x=1"`) {
		t.Fatalf("sign-in page %d:\n%s", resp.StatusCode, body)
	}
	// A foreign next is dropped.
	_, body = do(t, c, "GET", e.srv.URL+"/signin?next=%2F%2Fevil.example", nil)
	if strings.Contains(body, "evil.example") {
		t.Fatal("sign-in page kept a foreign next")
	}

	// Wrong password: 401 and the message, no cookie.
	resp, body = do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"wrong"}, "next": {"/?x=1"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "That password is not correct") || sessionCookieOf(t, resp) != nil {
		t.Fatalf("wrong password: %d\n%s", resp.StatusCode, body)
	}

	// Right password: a session cookie with the right attributes, the
	// id stored only hashed, and back to next.
	resp, _ = do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"correct horse"}, "next": {"/?x=1"}})
	ck := sessionCookieOf(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?x=1" || ck == nil {
		t.Fatalf("sign-in: %d %s %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" {
		t.Fatalf("cookie attributes: %+v", ck)
	}
	if _, err := e.store.FindSession(ctx, auth.HashToken(ck.Value), e.clock.Now()); err != nil {
		t.Fatalf("session not stored under its hash: %v", err)
	}
	var n int
	e.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE id_hash = $1`, ck.Value).Scan(&n)
	if n != 0 {
		t.Fatal("the raw session id is in the database")
	}
	resp, body = do(t, c, "GET", e.srv.URL+"/", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "<h1>Home</h1>") || !strings.Contains(body, `action="/signout"`) ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("dashboard %d:\n%s", resp.StatusCode, body)
	}
	// Signed in, /signin goes on to next.
	resp, _ = do(t, c, "GET", e.srv.URL+"/signin?next=%2Fposts", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/posts" {
		t.Fatalf("signin while signed in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Signing in again rotates the id: the old one stops working.
	resp, _ = do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"correct horse"}})
	ck2 := sessionCookieOf(t, resp)
	if ck2 == nil || ck2.Value == ck.Value {
		t.Fatal("session id not rotated at sign-in")
	}
	if _, err := e.store.FindSession(ctx, auth.HashToken(ck.Value), e.clock.Now()); !snsos.IsCode(err, snsos.ENOTFOUND) {
		t.Fatalf("old session still valid: %v", err)
	}
	other := e.client(t)
	u, _ := url.Parse(e.srv.URL)
	other.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: ck.Value}})
	if resp, _ := do(t, other, "GET", e.srv.URL+"/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old cookie still opens the dashboard: %d", resp.StatusCode)
	}

	// Sign-out from another site is refused by cross-origin protection.
	req, _ := http.NewRequest("POST", e.srv.URL+"/signout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign-out: %v %v", resp, err)
	}
	// Sign-out ends the session.
	resp, _ = do(t, c, "POST", e.srv.URL+"/signout", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Fatalf("sign-out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := e.store.FindSession(ctx, auth.HashToken(ck2.Value), e.clock.Now()); !snsos.IsCode(err, snsos.ENOTFOUND) {
		t.Fatalf("session alive after sign-out: %v", err)
	}
	if resp, _ := do(t, c, "GET", e.srv.URL+"/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dashboard after sign-out: %d", resp.StatusCode)
	}
}

func TestSigninThrottled(t *testing.T) {
	e := newTestEnv(t, "right")
	c := e.client(t)
	for i := 1; i <= 4; i++ {
		if resp, _ := do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"wrong"}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts. Try again in 15 minutes.") ||
		resp.Header.Get("Retry-After") == "" {
		t.Fatalf("5th failure: %d %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Even the right password is refused while throttled.
	resp, _ = do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"right"}})
	if resp.StatusCode != http.StatusTooManyRequests || sessionCookieOf(t, resp) != nil {
		t.Fatalf("right password while throttled: %d", resp.StatusCode)
	}
	// In Japanese too.
	req, _ := http.NewRequest("POST", e.srv.URL+"/signin", strings.NewReader("password=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "ja")
	r2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if !strings.Contains(string(b), "15分後にもう一度お試しください") || !strings.Contains(string(b), `<html lang="ja">`) {
		t.Fatalf("ja throttled page:\n%s", b)
	}
}

func TestSigninWithoutPassword(t *testing.T) {
	e := newTestEnv(t, "")
	c := e.client(t)
	resp, body := do(t, c, "GET", e.srv.URL+"/signin", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "No password is set yet") || !strings.Contains(body, "<code>sns-os operator password</code>") ||
		!strings.Contains(body, "<code>sns-os demo</code>") || strings.Contains(body, `type="password"`) {
		t.Fatalf("no-password page %d:\n%s", resp.StatusCode, body)
	}
	resp, _ = do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {""}})
	if resp.StatusCode != http.StatusServiceUnavailable || sessionCookieOf(t, resp) != nil {
		t.Fatalf("POST without a password set: %d", resp.StatusCode)
	}
}

func TestDashboardAndLanguage(t *testing.T) {
	e := newTestEnv(t, "pw")
	ctx := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "snsos_demo", DisplayName: "Demo"}
	if err := e.store.UpsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	p := &snsos.Post{Body: "Hello <world>\nsecond line", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: a.ID, Platform: snsos.PlatformX, State: snsos.StateScheduled, ScheduledAt: at}}}
	if err := e.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"pw"}})
	_, body := do(t, c, "GET", e.srv.URL+"/", nil)
	for _, want := range []string{"@snsos_demo", "Connected", "Hello &lt;world&gt; …", "Next up", "28 Nov 12:00", `datetime="2026-11-28T12:00:00Z"`, "Times in UTC."} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatalf("dashboard:\n%s", body)
	}
	// The switcher sets the cookie and returns to the page.
	resp, _ := do(t, c, "GET", e.srv.URL+"/lang/ja?next=%2F", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("lang switch: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = do(t, c, "GET", e.srv.URL+"/", nil)
	for _, want := range []string{`<html lang="ja">`, "次の予約", "連携中", "11月28日(土) 12:00", "ログアウト"} {
		if !strings.Contains(body, want) {
			t.Errorf("ja dashboard lacks %q", want)
		}
	}
	if resp, _ := do(t, c, "GET", e.srv.URL+"/lang/fr", nil); resp.StatusCode != 404 {
		t.Errorf("unknown language: %d", resp.StatusCode)
	}
	resp, _ = do(t, c, "GET", e.srv.URL+"/lang/en?next=https%3A%2F%2Fevil.example", nil)
	if resp.Header.Get("Location") != "/" {
		t.Errorf("lang switch followed a foreign next: %s", resp.Header.Get("Location"))
	}
}

func TestStylesheet(t *testing.T) {
	e := newTestEnv(t, "pw")
	resp, body := do(t, e.client(t), "GET", e.srv.URL+cssPath(), nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(body, "--accent") {
		t.Fatalf("stylesheet %d %v", resp.StatusCode, resp.Header)
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") || strings.Contains(body, "@import") || strings.Contains(body, "url(") {
		t.Fatal("the stylesheet refers to something outside it")
	}
	if resp, _ := do(t, e.client(t), "GET", e.srv.URL+"/static/style.0000.css", nil); resp.StatusCode != 404 {
		t.Fatalf("unknown static file: %d", resp.StatusCode)
	}
}

func TestSecureCookieOverHTTPS(t *testing.T) {
	h := New(Config{PublicURL: "https://sns.example"})
	w := httptest.NewRecorder()
	h.setSessionCookie(w, "x")
	if c := w.Result().Cookies()[0]; !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookie over https: %+v", c)
	}
}

// TestMountOnServer mounts the routes on internal/server's mux: the
// dashboard is at "/" behind the session, through the whole middleware
// chain.
func TestMountOnServer(t *testing.T) {
	e := newTestEnv(t, "pw")
	h := New(Config{Store: e.store, Now: e.clock.Now})
	s := server.New(server.Options{Mount: h.Routes})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := e.client(t)
	resp, _ := do(t, c, "GET", srv.URL+h.Home(), nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?next=") {
		t.Fatalf("GET %s on the server: %d %s", h.Home(), resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = do(t, c, "POST", srv.URL+"/signin", url.Values{"password": {"pw"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != h.Home() {
		t.Fatalf("sign-in on the server: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := do(t, c, "GET", srv.URL+h.Home(), nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `class="brand" href="`+h.Home()+`"`) {
		t.Fatalf("dashboard on the server: %d\n%s", resp.StatusCode, body)
	}
}

// TestSessionLifetime: the handler's clock alone decides when a session
// ends; the store judges expiry at the time the handler passes it, so here
// the store's own clock is left years away and plays no part. Used within
// the idle timeout a session lives on, left alone for the idle timeout it
// ends, and however often it is used it ends at its absolute lifetime.
func TestSessionLifetime(t *testing.T) {
	e := newTestEnv(t, "pw")
	clock := newTestClock(testEpoch.AddDate(3, 0, 0)) // not e.clock, the store's
	e.h = New(Config{Store: e.store, Now: clock.Now})
	mux := http.NewServeMux()
	e.h.Routes(mux)
	e.srv.Config.Handler = chain(mux)
	dashboard := func(c *http.Client, what string, want int) {
		t.Helper()
		if resp, _ := do(t, c, "GET", e.srv.URL+"/", nil); resp.StatusCode != want {
			t.Fatalf("%s (at %s): %d, want %d", what, clock.Now(), resp.StatusCode, want)
		}
	}
	c := signedIn(t, e)
	for range 3 {
		clock.Add(IdleTimeout - time.Hour)
		dashboard(c, "used within the idle timeout", http.StatusOK)
	}
	clock.Add(IdleTimeout)
	dashboard(c, "idle for the idle timeout", http.StatusSeeOther)

	c = signedIn(t, e)
	start := clock.Now()
	for clock.Now().Add(IdleTimeout - time.Hour).Before(start.Add(AbsoluteTimeout)) {
		clock.Add(IdleTimeout - time.Hour)
		dashboard(c, "used regularly", http.StatusOK)
	}
	clock.Set(start.Add(AbsoluteTimeout))
	dashboard(c, "at the absolute lifetime", http.StatusSeeOther)
}
