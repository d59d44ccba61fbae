package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSigninParallelGuesses: sixty wrong guesses sent at once from one
// address get no more password checks than the throttle allows (5 per 15
// minutes), and a right password sent behind them is refused until the
// window has passed (on the handler's clock), then accepted.
func TestSigninParallelGuesses(t *testing.T) {
	e := newTestEnv(t, "right horse battery")
	// Every wrong password that was checked is logged: count those lines.
	logs := &lockedBuffer{}
	e.h.log = slog.New(slog.NewTextHandler(logs, nil))
	c := e.client(t)
	const n = 60
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := c.PostForm(e.srv.URL+"/signin", url.Values{"password": {"wrong guess"}})
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	checked := strings.Count(logs.String(), "sign-in refused")
	if checked > signinMaxFailures || checked == 0 {
		t.Fatalf("%d of %d parallel guesses were checked, want 1 to %d", checked, n, signinMaxFailures)
	}

	// Guesses that were refused for a busy slot are not counted: the
	// client may use what is left of its budget, then is blocked.
	for range signinMaxFailures - checked {
		if resp, _ := do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"wrong guess"}}); resp.StatusCode != http.StatusUnauthorized &&
			resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("remaining guess: %d", resp.StatusCode)
		}
	}
	right := func() *http.Response {
		resp, _ := do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"right horse battery"}})
		return resp
	}
	if resp := right(); resp.StatusCode != http.StatusTooManyRequests || sessionCookieOf(t, resp) != nil {
		t.Fatalf("right password behind the guesses: %d", resp.StatusCode)
	}
	e.clock.Add(signinWindow - time.Second)
	if resp := right(); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password a second before the window ends: %d", resp.StatusCode)
	}
	e.clock.Add(time.Second)
	if resp := right(); resp.StatusCode != http.StatusSeeOther || sessionCookieOf(t, resp) == nil {
		t.Fatalf("right password after the window: %d", resp.StatusCode)
	}
}

// TestSigninRightPasswordBehindGuesses: a right password that arrives
// while the client's guesses are being checked is counted like them, so
// it cannot sign in once five guesses were counted.
func TestSigninRightPasswordBehindGuesses(t *testing.T) {
	e := newTestEnv(t, "right horse battery")
	e.h.slotWait = 50 * time.Millisecond
	// Hold every hashing slot, as twenty slow guesses would.
	for range cap(e.h.verify) {
		e.h.verify <- struct{}{}
	}
	mux := http.NewServeMux()
	e.h.Routes(mux)
	post := func(pw string) int {
		r := httptest.NewRequest("POST", "/signin", strings.NewReader(url.Values{"password": {pw}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = "198.51.100.20:4000"
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec.Code
	}
	// Twenty guesses find no free slot: answered 429 without queueing, and
	// not counted (nothing was checked).
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = post("wrong guess") }()
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusTooManyRequests {
			t.Fatalf("guess %d with every slot busy: %d, want 429", i, code)
		}
	}
	for range cap(e.h.verify) {
		<-e.h.verify
	}
	for range signinMaxFailures {
		if code := post("wrong guess"); code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("guess: %d", code)
		}
	}
	if code := post("right horse battery"); code != http.StatusTooManyRequests {
		t.Fatalf("right password after five guesses: %d, want 429", code)
	}
	e.clock.Add(signinWindow)
	if code := post("right horse battery"); code != http.StatusSeeOther {
		t.Fatalf("right password after the window: %d, want 303", code)
	}
}

// TestThrottleKeysAndBudget: IPv6 clients are counted by /64; a full table
// forgets clients with few attempts before a blocked one; many failures
// across clients put sign-in over the global budget (slower, not shut).
func TestThrottleKeysAndBudget(t *testing.T) {
	for in, want := range map[string]string{
		"2001:db8:1:2:3:4:5:6":  "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":  "2001:db8:1:2::/64",
		"fe80::1%eth0":          "fe80::/64",
		"::ffff:192.0.2.1":      "192.0.2.1",
		"192.0.2.1":             "192.0.2.1",
		"not an address at all": "not an address at all",
	} {
		if got := throttleKey(in); got != want {
			t.Errorf("throttleKey(%q) = %q, want %q", in, got, want)
		}
	}
	clock := newTestClock(testEpoch)
	th := newThrottle(5, 15*time.Minute, 3, clock.Now)
	for i := range 5 {
		if ok, _ := th.Reserve("2001:db8::" + string(rune('a'+i))); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if ok, left := th.Reserve("2001:db8::ffff"); ok || left != 15*time.Minute {
		t.Fatalf("sixth attempt from the same /64: %v %s", ok, left)
	}
	if ok, _ := th.Reserve("2001:db8:0:1::1"); !ok {
		t.Fatal("another /64 is blocked")
	}
	// The table is full (3); new clients push out the one-attempt ones,
	// never the blocked /64.
	for _, k := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"} {
		clock.Add(time.Second)
		th.Reserve(k)
	}
	if blocked, _ := th.Blocked("2001:db8::1"); !blocked {
		t.Fatal("a flood of new addresses freed a blocked client")
	}
	if th.Len() > 3 {
		t.Fatalf("%d clients tracked, max 3", th.Len())
	}
	// Refund gives back an attempt that was never checked.
	th.Reset("198.51.100.1")
	th.Reserve("198.51.100.1")
	th.Refund("198.51.100.1")
	if blocked, _ := th.Blocked("198.51.100.1"); blocked {
		t.Fatal("blocked after a refund")
	}
	// Global budget.
	if th.OverBudget() {
		t.Fatal("over budget with no failures")
	}
	for range signinGlobalBudget + 1 {
		th.GlobalFail()
	}
	if !th.OverBudget() {
		t.Fatal("not over budget after many failures")
	}
	clock.Add(signinWindow)
	if th.OverBudget() {
		t.Fatal("still over budget after the window")
	}
}

// TestSigninOverGlobalBudget: with the global budget spent, the operator
// still signs in (one check at a time).
func TestSigninOverGlobalBudget(t *testing.T) {
	e := newTestEnv(t, "right horse battery")
	for range signinGlobalBudget + 1 {
		e.h.throttle.GlobalFail()
	}
	c := e.client(t)
	if resp, _ := do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"right horse battery"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in over the global budget: %d", resp.StatusCode)
	}
}

// lockedBuffer collects log output from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCookiePrefixOverHTTPS: served over https, the session and language
// cookies are __Host- cookies (Secure, Path=/), and only the prefixed
// session cookie is believed; over http they keep their plain names.
func TestCookiePrefixOverHTTPS(t *testing.T) {
	e := newTestEnv(t, "right horse battery")
	h := New(Config{Store: e.store, PublicURL: "https://sns.example", Now: e.clock.Now})
	mux := http.NewServeMux()
	h.Routes(mux)
	req := func(method, target, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			r.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec
	}
	rec := req("POST", "/signin", url.Values{"password": {"right horse battery"}}.Encode())
	var sess *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if strings.HasSuffix(c.Name, sessionCookie) {
			sess = c
		}
	}
	if rec.Code != http.StatusSeeOther || sess == nil || sess.Name != "__Host-"+sessionCookie || !sess.Secure || sess.Path != "/" || sess.Domain != "" {
		t.Fatalf("session cookie over https: %d %+v", rec.Code, sess)
	}
	if rec := req("GET", "/", "", sess); rec.Code != http.StatusOK {
		t.Fatalf("dashboard with the __Host- cookie: %d", rec.Code)
	}
	plain := &http.Cookie{Name: sessionCookie, Value: sess.Value}
	if rec := req("GET", "/", "", plain); rec.Code != http.StatusSeeOther {
		t.Fatalf("dashboard with the unprefixed cookie over https: %d", rec.Code)
	}
	rec = req("GET", "/lang/ja", "")
	if sc := rec.Header().Get("Set-Cookie"); !strings.HasPrefix(sc, "__Host-lang=ja") || !strings.Contains(sc, "Secure") {
		t.Fatalf("lang cookie over https: %q", sc)
	}
	if rec := req("GET", "/signin", "", &http.Cookie{Name: "__Host-lang", Value: "ja"}); !strings.Contains(rec.Body.String(), `<html lang="ja">`) {
		t.Fatal("the __Host-lang cookie is not read")
	}
	// Over http (the test server): plain names.
	resp, _ := do(t, e.client(t), "POST", e.srv.URL+"/signin", url.Values{"password": {"right horse battery"}})
	if c := sessionCookieOf(t, resp); c == nil {
		t.Fatal("no plain session cookie over http")
	}
}
