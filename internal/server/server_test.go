package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newTestServer(t *testing.T, ready error) (*Server, *lockedBuf) {
	t.Helper()
	logs := &lockedBuf{}
	s := New(Options{
		Addr:    "127.0.0.1:0",
		Version: "test",
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Ready:   []Check{{Name: "database", Func: func(context.Context) error { return ready }}},
		Mount: func(mux *http.ServeMux) {
			mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
			mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "accepted") })
			mux.HandleFunc("POST /webhooks/x", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hook") })
		},
		CrossOriginBypass: []string{"POST /webhooks/"},
	})
	return s, logs
}

func do(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ready      error
		path       string
		wantStatus int
		wantBody   string
	}{
		{"healthz", nil, "/healthz", 200, `"ok"`},
		{"ready", nil, "/readyz", 200, `"ready"`},
		{"not ready", errors.New("dial tcp 10.0.0.1: refused"), "/readyz", 503, `"failing"`},
		{"unknown", nil, "/nope", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newTestServer(t, tt.ready)
			w := do(t, s.Handler(), "GET", tt.path, nil)
			if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Fatalf("%s = %d %q", tt.path, w.Code, w.Body.String())
			}
			if strings.Contains(w.Body.String(), "10.0.0.1") {
				t.Fatal("readyz shows internal error detail")
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, nil)
	w := do(t, s.Handler(), "GET", "/healthz", nil)
	h := w.Header()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Errorf("CSP names another origin: %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", h)
	}
	if h.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS on a plain-http public URL")
	}
	https := New(Options{PublicURL: "https://sns.example.com"})
	if do(t, https.Handler(), "GET", "/healthz", nil).Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS on https")
	}
}

func TestCrossOriginProtection(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, nil)
	tests := []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
	}{
		{"cross-site form post", "/form", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"foreign origin", "/form", map[string]string{"Origin": "https://evil.example"}, 403},
		{"same origin", "/form", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"script without browser headers", "/form", nil, 200},
		{"webhook bypass", "/webhooks/x", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if w := do(t, s.Handler(), "POST", tt.path, tt.hdr); w.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.status, w.Body.String())
			}
		})
	}
}

func TestPanicRecoveredAndLogged(t *testing.T) {
	t.Parallel()
	s, logs := newTestServer(t, nil)
	w := do(t, s.Handler(), "GET", "/boom", nil)
	if w.Code != 500 || strings.Contains(w.Body.String(), "kaboom") {
		t.Fatalf("panic response %d %q", w.Code, w.Body.String())
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Fatal("panic not logged")
	}
}

func TestRequestLogHasNoQueryOrHeaders(t *testing.T) {
	t.Parallel()
	s, logs := newTestServer(t, nil)
	do(t, s.Handler(), "GET", "/healthz?code=SECRETCODE123&state=x", map[string]string{"Authorization": "Bearer SECRETTOKEN456", "Cookie": "s=SECRETCOOKIE789"})
	out := logs.String()
	if !strings.Contains(out, "path=/healthz") {
		t.Fatalf("request not logged: %s", out)
	}
	for _, s := range []string{"SECRETCODE123", "SECRETTOKEN456", "SECRETCOOKIE789"} {
		if strings.Contains(out, s) {
			t.Fatalf("log holds %s: %s", s, out)
		}
	}
}

// TestGracefulShutdown: a request in flight when the context is cancelled
// still completes, and Serve returns afterwards.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	inHandler, release := make(chan struct{}), make(chan struct{})
	s := New(Options{Addr: "127.0.0.1:0", ShutdownTimeout: 10 * time.Second, Mount: func(mux *http.ServeMux) {
		mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
			close(inHandler)
			<-release
			io.WriteString(w, "done")
		})
	}})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr() + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-inHandler
	cancel()
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	default:
	}
	close(release)
	if body := <-got; body != "done" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func TestListenError(t *testing.T) {
	t.Parallel()
	a := New(Options{Addr: "127.0.0.1:0"})
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	b := New(Options{Addr: a.Addr()})
	if err := b.Listen(); err == nil || !strings.Contains(err.Error(), "SNSOS_ADDR") {
		t.Fatalf("second listen: %v", err)
	}
}
