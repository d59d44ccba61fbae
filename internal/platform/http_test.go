package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

const secretToken = "tok-SeCrEt-0123456789"

var fixedNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// logBuffer is a concurrency-safe buffer for a slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestClient(t *testing.T, o HTTPOptions) (*HTTPClient, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Now = func() time.Time { return fixedNow }
	return NewHTTPClient(o), logs
}

func TestDoSuccess(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secretToken {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		if r.Header.Get("User-Agent") != "sns-os-test" {
			t.Errorf("User-Agent = %q", r.Header.Get("User-Agent"))
		}
		if strings.Contains(r.URL.RawQuery, secretToken) {
			t.Error("token in the query")
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, `{"id":"9007199254740993","n":9007199254740993}`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, HTTPOptions{UserAgent: "sns-os-test"})
	resp, err := c.Do(context.Background(), &Request{Op: "get", Method: "GET", URL: srv.URL + "/x?a=b", Token: secretToken})
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		ID ID    `json:"id"`
		N  ID    `json:"n"`
		M  int64 `json:"-"`
	}
	if err := DecodeJSON(resp, &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != "9007199254740993" || v.N != "9007199254740993" {
		t.Errorf("ids lost precision: %+v", v)
	}
}

// TestRedaction sends a known token and secrets through every failure path
// and checks that neither the error text nor the log output contains them.
func TestRedaction(t *testing.T) {
	t.Parallel()
	const (
		extraSecret = "refresh-SeCrEt-abcdef"
		basicPw     = "client-SeCrEt-xyz"
	)
	echo := func(status int, ct string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"detail":"echo %s %s %s"}`, r.Header.Get("Authorization"), b, r.URL.RawQuery)
		}
	}
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		closed   bool
		mutating bool
		timeout  time.Duration
		maxBody  int64
		want     Kind
	}{
		{name: "500 echo", handler: echo(500, "application/json"), want: KindTransient},
		{name: "500 echo mutating", handler: echo(500, "application/json"), mutating: true, want: KindOutcomeUnknown},
		{name: "401 echo", handler: echo(401, "application/json"), want: KindAuth},
		{name: "html page", handler: echo(502, "text/html"), want: KindTransient},
		{name: "200 html", handler: echo(200, "text/html"), mutating: true, want: KindOutcomeUnknown},
		{name: "too large", handler: echo(200, "application/json"), maxBody: 10, want: KindTransient},
		{name: "connection refused", closed: true, mutating: true, want: KindTransient},
		{name: "reset after request", handler: func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, mutating: true, want: KindOutcomeUnknown},
		{name: "truncated body", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"detail":"`+secretToken)
			conn, buf, _ := w.(http.Hijacker).Hijack()
			buf.Flush()
			conn.Close()
		}, mutating: true, want: KindOutcomeUnknown},
		{name: "timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			<-r.Context().Done()
		}, timeout: 50 * time.Millisecond, mutating: true, want: KindOutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var url string
			if tt.closed {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				url = "http://" + l.Addr().String() + "/x"
				l.Close()
			} else {
				srv := httptest.NewServer(tt.handler)
				defer srv.Close()
				url = srv.URL + "/x"
			}
			c, logs := newTestClient(t, HTTPOptions{Timeout: tt.timeout, MaxResponseBytes: tt.maxBody})
			resp, err := c.Do(context.Background(), &Request{
				Platform: "x", Op: "test", Method: "POST", URL: url, Token: secretToken,
				BasicUser: "id", BasicPassword: basicPw,
				Body: strings.NewReader("refresh_token=" + extraSecret), ContentType: "application/x-www-form-urlencoded",
				Mutating: tt.mutating, Redact: []string{extraSecret},
			})
			if err == nil {
				if resp.OK() {
					var v map[string]any
					err = DecodeJSON(resp, &v)
				} else {
					err = resp.Error(0, "", string(resp.Body))
				}
			}
			if err == nil {
				t.Fatal("no error")
			}
			if got := KindOf(err); got != tt.want {
				t.Errorf("kind = %v, want %v (%v)", got, tt.want, err)
			}
			for _, s := range []string{secretToken, extraSecret, basicPw} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error contains secret %q: %v", s, err)
				}
				if strings.Contains(logs.String(), s) {
					t.Errorf("log contains secret %q: %s", s, logs)
				}
			}
			if tt.maxBody > 0 && !errors.Is(err, ErrResponseTooLarge) {
				t.Errorf("want ErrResponseTooLarge, got %v", err)
			}
		})
	}
}

func TestDoCaller(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c, _ := newTestClient(t, HTTPOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Do(ctx, &Request{Method: "GET", URL: srv.URL})
	if !errors.Is(err, context.Canceled) || KindOf(err) != KindTransient {
		t.Errorf("canceled: %v (kind %v)", err, KindOf(err))
	}
}

func TestDoNoRedirect(t *testing.T) {
	t.Parallel()
	var leaked bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("Authorization") != ""
	}))
	defer other.Close()
	srv := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusFound))
	defer srv.Close()
	c, _ := newTestClient(t, HTTPOptions{})
	resp, err := c.Do(context.Background(), &Request{Method: "GET", URL: srv.URL, Token: secretToken})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusFound || leaked {
		t.Errorf("status %d, leaked %v", resp.StatusCode, leaked)
	}
}

func TestParseRetryAt(t *testing.T) {
	t.Parallel()
	now := fixedNow
	tests := []struct {
		name   string
		header map[string]string
		want   time.Time
	}{
		{"none", nil, time.Time{}},
		{"retry-after seconds", map[string]string{"Retry-After": "120"}, now.Add(2 * time.Minute)},
		{"retry-after date", map[string]string{"Retry-After": now.Add(time.Hour).Format(http.TimeFormat)}, now.Add(time.Hour)},
		{"x reset", map[string]string{"X-Rate-Limit-Reset": fmt.Sprint(now.Add(15 * time.Minute).Unix())}, now.Add(15 * time.Minute)},
		{"x reset in the past", map[string]string{"X-Rate-Limit-Reset": fmt.Sprint(now.Add(-time.Minute).Unix())}, now},
		{"daily window exhausted wins", map[string]string{
			"X-Rate-Limit-Reset":            fmt.Sprint(now.Add(15 * time.Minute).Unix()),
			"X-User-Limit-24hour-Remaining": "0",
			"X-User-Limit-24hour-Reset":     fmt.Sprint(now.Add(5 * time.Hour).Unix()),
		}, now.Add(5 * time.Hour)},
		{"daily window not exhausted", map[string]string{
			"X-User-Limit-24hour-Remaining": "3",
			"X-User-Limit-24hour-Reset":     fmt.Sprint(now.Add(5 * time.Hour).Unix()),
		}, time.Time{}},
		{"garbage", map[string]string{"Retry-After": "soon", "X-Rate-Limit-Reset": "-5"}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := ParseRetryAt(h, now); !got.Equal(tt.want) {
				t.Errorf("ParseRetryAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStdClient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != "a=b" || r.Header.Get("User-Agent") != DefaultUserAgent {
			t.Errorf("body %q UA %q", b, r.Header.Get("User-Agent"))
		}
		w.Header().Set("X-Test", "1")
		w.WriteHeader(418)
		io.WriteString(w, "teapot")
	}))
	defer srv.Close()
	c := NewHTTPClient(HTTPOptions{})
	resp, err := c.StdClient(snsos.PlatformX, "op", false).Post(srv.URL, "text/plain", strings.NewReader("a=b"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 418 || string(b) != "teapot" || resp.Header.Get("X-Test") != "1" {
		t.Errorf("got %d %q", resp.StatusCode, b)
	}
	srv.Close()
	_, err = c.StdClient(snsos.PlatformX, "op", true).Get(srv.URL)
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindTransient {
		t.Errorf("closed server: %v", err)
	}
}
