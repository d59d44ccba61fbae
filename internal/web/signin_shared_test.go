package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// sharedSigninEnv is two sns-os processes' operator interfaces on one
// PostgreSQL database (two Stores, two Handlers, two servers), on one clock,
// their "sign-in refused" lines (one per password checked and found wrong)
// collected in logs.
type sharedSigninEnv struct {
	srvs  [2]*httptest.Server
	hs    [2]*Handler
	clock *testClock
	logs  *lockedBuffer
}

func newSharedSigninEnv(t *testing.T, pw string) *sharedSigninEnv {
	t.Helper()
	clock := newTestClock(testEpoch)
	env := storetest.NewWithClock(t, store.Postgres, clock.Now)
	hash, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.PutSetting(context.Background(), auth.PasswordSetting, hash); err != nil {
		t.Fatal(err)
	}
	e := &sharedSigninEnv{clock: clock, logs: &lockedBuffer{}}
	for i, st := range []*store.Store{env.Store, env.Reopen(t)} {
		h := New(Config{Store: st, Platforms: snsos.Platforms, Now: clock.Now, Logger: slog.New(slog.NewTextHandler(e.logs, nil))})
		if h.throttle.shared == nil {
			t.Fatal("a handler on PostgreSQL does not share its sign-in count")
		}
		mux := http.NewServeMux()
		h.Routes(mux)
		e.srvs[i] = httptest.NewServer(chain(mux))
		t.Cleanup(e.srvs[i].Close)
		e.hs[i] = h
	}
	return e
}

// TestSigninSharedBetweenProcesses: guesses from one address spread over
// two processes on one PostgreSQL get the budget of one process (five
// password checks per window), not five each; the right password is then
// refused by both until the window has passed, and a sign-in through one
// process starts the client afresh for both.
func TestSigninSharedBetweenProcesses(t *testing.T) {
	e := newSharedSigninEnv(t, "right horse battery")
	c := (&testEnv{}).client(t)
	post := func(i int, pw string) int {
		resp, _ := do(t, c, "POST", e.srvs[i].URL+"/signin", url.Values{"password": {pw}})
		return resp.StatusCode
	}
	// Twenty guesses, alternating processes, then twenty more sent at
	// once to both.
	for i := range 20 {
		if code := post(i%2, "wrong guess"); code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.srvs[i%2].URL+"/signin", strings.NewReader("password=wrong+guess"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	if checked := strings.Count(e.logs.String(), "sign-in refused"); checked != signinMaxFailures {
		t.Fatalf("%d wrong passwords were checked across two processes, want %d", checked, signinMaxFailures)
	}
	for i := range 2 {
		if code := post(i, "right horse battery"); code != http.StatusTooManyRequests {
			t.Fatalf("right password at process %d behind the guesses: %d, want 429", i, code)
		}
	}
	// The block lives as long as the window that started with the first
	// guess, in both processes.
	e.clock.Add(signinWindow - time.Second)
	for i := range 2 {
		if code := post(i, "right horse battery"); code != http.StatusTooManyRequests {
			t.Fatalf("process %d a second before the window ends: %d", i, code)
		}
	}
	e.clock.Add(time.Second)
	if code := post(1, "right horse battery"); code != http.StatusSeeOther {
		t.Fatalf("right password after the window: %d, want 303", code)
	}
	// Four guesses through process 0, a sign-in through process 1 (which
	// resets the shared count), then five more are allowed again.
	for range signinMaxFailures - 1 {
		post(0, "wrong guess")
	}
	if code := post(1, "right horse battery"); code != http.StatusSeeOther {
		t.Fatalf("sign-in with four failures counted: %d", code)
	}
	before := strings.Count(e.logs.String(), "sign-in refused")
	for i := range signinMaxFailures {
		// The last one is checked, then answered 429: it used the budget.
		want := http.StatusUnauthorized
		if i == signinMaxFailures-1 {
			want = http.StatusTooManyRequests
		}
		if code := post(i%2, "wrong guess"); code != want {
			t.Fatalf("guess %d after a sign-in: %d, want %d", i, code, want)
		}
	}
	if checked := strings.Count(e.logs.String(), "sign-in refused") - before; checked != signinMaxFailures {
		t.Fatalf("%d guesses checked after a sign-in, want %d", checked, signinMaxFailures)
	}
	if code := post(1, "right horse battery"); code != http.StatusTooManyRequests {
		t.Fatalf("right password after five more guesses: %d, want 429", code)
	}
}

// TestSigninSharedBudget: failures counted by one process put both over
// the global budget; unreserved failures (a wrong setup link) are shared
// too.
func TestSigninSharedBudget(t *testing.T) {
	e := newSharedSigninEnv(t, "right horse battery")
	for range signinGlobalBudget + 1 {
		e.hs[0].throttle.GlobalFail()
	}
	if !e.hs[1].throttle.OverBudget() {
		t.Fatal("the other process is not over the global budget")
	}
	e.clock.Add(signinWindow)
	if e.hs[1].throttle.OverBudget() || e.hs[0].throttle.OverBudget() {
		t.Fatal("still over the global budget after the window")
	}
	const key = "2001:db8:5:6::1"
	for i := range signinMaxFailures {
		blocked, _ := e.hs[i%2].throttle.Fail(key)
		if want := i == signinMaxFailures-1; blocked != want {
			t.Fatalf("failure %d: blocked %v, want %v", i+1, blocked, want)
		}
	}
	// Another address in the same /64, asked at the other process.
	if blocked, left := e.hs[1].throttle.Blocked("2001:db8:5:6::2"); !blocked || left != signinWindow {
		t.Fatalf("the /64 at the other process: blocked %v for %s", blocked, left)
	}
}

// TestSigninSQLiteInMemory: a SQLite server is one process: its sign-in
// count stays in memory.
func TestSigninSQLiteInMemory(t *testing.T) {
	if e := newTestEnv(t, ""); e.h.throttle.shared != nil {
		t.Fatal("a SQLite handler counts sign-ins in the database")
	}
}
