package x

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const (
	testToken  = "acc-SeCrEt-token-0001"
	testSecret = "client-SeCrEt-0001"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fake is a small stand-in for X with recorded fixtures. Handlers in
// override replace the default for a "METHOD /path" pattern.
type fake struct {
	t        *testing.T
	mu       sync.Mutex
	calls    []string
	tweets   []map[string]any
	segments map[int]int // segment index → bytes
	polls    int
	override map[string]http.HandlerFunc
	nextID   int64
}

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{t: t, override: map[string]http.HandlerFunc{}, segments: map[int]int{}, nextID: 1900000000000000000}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fake) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.calls = append(f.calls, key)
	h := f.override[key]
	f.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/2/oauth2/") && r.Header.Get("Authorization") != "Bearer "+testToken {
		writeJSON(w, 401, fixture(f.t, "error_unauthorized.json"))
		return
	}
	switch {
	case key == "GET /2/users/me":
		writeJSON(w, 200, fixture(f.t, "users_me.json"))
	case key == "POST /2/media/upload/initialize":
		writeJSON(w, 200, fixture(f.t, "media_initialize.json"))
	case strings.HasSuffix(key, "/append"):
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		file, _, err := r.FormFile("media")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		b, _ := io.ReadAll(file)
		var idx int
		fmt.Sscan(r.FormValue("segment_index"), &idx)
		f.mu.Lock()
		f.segments[idx] = len(b)
		f.mu.Unlock()
		writeJSON(w, 200, fixture(f.t, "media_append.json"))
	case strings.HasSuffix(key, "/finalize"):
		writeJSON(w, 200, fixture(f.t, "media_finalize_pending.json"))
	case key == "GET /2/media/upload":
		f.mu.Lock()
		f.polls++
		n := f.polls
		f.mu.Unlock()
		if n < 2 {
			writeJSON(w, 200, fixture(f.t, "media_status_in_progress.json"))
			return
		}
		writeJSON(w, 200, fixture(f.t, "media_status_succeeded.json"))
	case key == "POST /2/tweets":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f.mu.Lock()
		f.nextID++
		id := fmt.Sprint(f.nextID)
		body["id"] = id
		f.tweets = append(f.tweets, body)
		f.mu.Unlock()
		writeJSON(w, 201, fmt.Appendf(nil, `{"data":{"id":%q,"text":%q,"edit_history_tweet_ids":[%q]}}`, id, body["text"], id))
	case key == "GET /2/tweets":
		writeJSON(w, 200, fixture(f.t, "tweets_metrics.json"))
	case strings.HasPrefix(key, "GET /2/users/") && strings.HasSuffix(key, "/tweets"):
		writeJSON(w, 200, fixture(f.t, "user_tweets.json"))
	default:
		writeJSON(w, 404, []byte(`{"title":"Not Found","status":404,"detail":"no route","type":"about:blank"}`))
	}
}

// sleepRecorder is an injected Sleep that records and returns at once.
type sleepRecorder struct {
	mu    sync.Mutex
	slept []time.Duration
}

func (s *sleepRecorder) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slept = append(s.slept, d)
	return nil
}

func newClient(t *testing.T, base string, mod ...func(*Config)) (*Client, *sleepRecorder) {
	t.Helper()
	sl := &sleepRecorder{}
	cfg := Config{
		ClientID:     "cid",
		ClientSecret: testSecret,
		RedirectURL:  "http://127.0.0.1/oauth/x/callback",
		BaseURL:      base,
		HTTP:         platform.NewHTTPClient(platform.HTTPOptions{Now: func() time.Time { return testNow }, Timeout: 5 * time.Second}),
		Now:          func() time.Time { return testNow },
		Sleep:        sl.sleep,
		ChunkSize:    64 << 10,
	}
	for _, m := range mod {
		m(&cfg)
	}
	return New(cfg), sl
}

func testAuth() platform.Auth {
	return platform.Auth{UserID: "2244994945", Handle: "XDevelopers", AccessToken: testToken}
}

func s256(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// logBuffer is a concurrency-safe buffer for a slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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
