package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

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

type testEnv struct {
	srv   *httptest.Server
	h     *Handler
	store *store.Store
}

// newTestEnv serves the web handler over a real SQLite store, with the
// operator password pw set (none when pw is "").
func newTestEnv(t *testing.T, pw string) *testEnv {
	t.Helper()
	env := storetest.New(t, store.SQLite)
	if pw != "" {
		hash, err := auth.HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Store.PutSetting(context.Background(), auth.PasswordSetting, hash); err != nil {
			t.Fatal(err)
		}
	}
	h := New(Config{Store: env.Store, Platforms: snsos.Platforms})
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(chain(mux))
	t.Cleanup(srv.Close)
	return &testEnv{srv: srv, h: h, store: env.Store}
}
