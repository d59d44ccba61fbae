package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type markKey struct{}

// TestPageDeadline: a GET whose handler waits on its context (as a query
// on a busy read pool does) is cut off at PageTimeout with a 503; writes,
// SlowPaths and LongPaths get no deadline; every request's context is
// derived by Options.Context.
func TestPageDeadline(t *testing.T) {
	t.Parallel()
	s := New(Options{
		Addr:        "127.0.0.1:0",
		PageTimeout: 50 * time.Millisecond,
		SlowPaths:   []string{"/slow/"},
		LongPaths:   []string{"/m/"},
		Context:     func(ctx context.Context) context.Context { return context.WithValue(ctx, markKey{}, "marked") },
		Mount: func(mux *http.ServeMux) {
			// Waits for the deadline and answers nothing: the server answers.
			mux.HandleFunc("GET /stuck", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
			report := func(w http.ResponseWriter, r *http.Request) {
				_, bounded := r.Context().Deadline()
				io.WriteString(w, r.Context().Value(markKey{}).(string)+" bounded="+map[bool]string{true: "yes", false: "no"}[bounded])
			}
			mux.HandleFunc("GET /page", report)
			mux.HandleFunc("POST /page", report)
			mux.HandleFunc("GET /slow/export", report)
			mux.HandleFunc("GET /m/file", report)
		},
	})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/stuck")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "took longer than 50ms") {
		t.Fatalf("stuck page: %d %q", resp.StatusCode, body)
	}

	for _, c := range []struct{ method, path, want string }{
		{"GET", "/page", "marked bounded=yes"},
		{"POST", "/page", "marked bounded=no"},
		{"GET", "/slow/export", "marked bounded=no"},
		{"GET", "/m/file", "marked bounded=no"},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != c.want {
			t.Errorf("%s %s: %d %q, want %q", c.method, c.path, resp.StatusCode, body, c.want)
		}
	}
}

// TestPageDeadlineOff: a negative PageTimeout bounds nothing.
func TestPageDeadlineOff(t *testing.T) {
	t.Parallel()
	s := New(Options{PageTimeout: -1, Mount: func(mux *http.ServeMux) {
		mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
			if _, ok := r.Context().Deadline(); ok {
				t.Error("deadline set with PageTimeout < 0")
			}
		})
	}})
	if w := do(t, s.Handler(), "GET", "/page", nil); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
}
