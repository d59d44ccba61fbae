package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/server"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// chain wraps mux as internal/server does for every request: its CSP and
// cross-origin protection.
func chain(mux http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	inner := cop.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", server.ContentSecurityPolicy)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		inner.ServeHTTP(w, r)
	})
}

// testEpoch is the web tests' "now": Sunday 29 Nov 2026, 03:00 UTC (noon
// in Tokyo), never today's date. A test that needs another moment sets
// its clock; one that makes data makes it from its clock.
var testEpoch = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

// testClock is a test's one clock, given to the handler, the store and
// whatever else it builds. It stands still unless the test moves it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type testEnv struct {
	srv   *httptest.Server
	h     *Handler
	store *store.Store
	// clock is the clock of h and store (testEpoch unless the test sets
	// it); a handler the test builds itself must be given clock.Now too.
	clock *testClock
}

// newTestEnv serves the web handler over a real SQLite store, with the
// operator password pw set (none when pw is ""), both on a clock at
// testEpoch.
func newTestEnv(t *testing.T, pw string) *testEnv {
	t.Helper()
	clock := newTestClock(testEpoch)
	env := storetest.NewWithClock(t, store.SQLite, clock.Now)
	if pw != "" {
		hash, err := auth.HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Store.PutSetting(context.Background(), auth.PasswordSetting, hash); err != nil {
			t.Fatal(err)
		}
	}
	h := New(Config{Store: env.Store, Platforms: snsos.Platforms, Now: clock.Now})
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(chain(mux))
	t.Cleanup(srv.Close)
	return &testEnv{srv: srv, h: h, store: env.Store, clock: clock}
}
