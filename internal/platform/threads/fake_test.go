package threads

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const (
	testToken    = "THlongSeCrEt-access-0001"
	testSecret   = "threads-app-SeCrEt-0001"
	testUserID   = "25000000000000001"
	testRedirect = "https://sns.example.com/oauth/threads/callback"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// call is one request the fake received.
type call struct {
	key  string // "METHOD /path" without the version prefix
	form url.Values
}

// fakeContainer is a container the fake knows. script lists the status
// fixtures its reads return in turn (the last repeats).
type fakeContainer struct {
	id     string
	params url.Values
	script []string
	reads  int
}

// fakePost is a published post.
type fakePost struct {
	id, text, replyTo, root string
	at                      time.Time
}

// fake replays recorded Threads answers over loopback HTTP, keeping just
// enough state (containers and posts) for publish flows. override replaces
// the default handler of a "METHOD /path" key.
type fake struct {
	t          *testing.T
	mu         sync.Mutex
	calls      []call
	containers map[string]*fakeContainer
	posts      []fakePost
	nextID     int64
	override   map[string]http.HandlerFunc
	// onCreate returns the status script of a new container (default:
	// FINISHED at once).
	onCreate func(params url.Values) []string
	// tooEarly is how many publish calls answer code 24 before one works.
	tooEarly int
	// hangPublish makes a publish commit, then never answer.
	hangPublish bool
	release     chan struct{}
}

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{t: t, containers: map[string]*fakeContainer{}, override: map[string]http.HandlerFunc{},
		nextID: 18000000000000000, release: make(chan struct{})}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(f.release) }) // runs first: frees hanging handlers
	return f, srv
}

// count returns how many calls had the key.
func (f *fake) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.key == key {
			n++
		}
	}
	return n
}

// formsOf returns the parameters of every call with the key.
func (f *fake) formsOf(key string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []url.Values
	for _, c := range f.calls {
		if c.key == key {
			out = append(out, c.form)
		}
	}
	return out
}

// addContainer registers a container an earlier attempt made.
func (f *fake) addContainer(id string, script ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers[id] = &fakeContainer{id: id, params: url.Values{}, script: script}
}

// addPost registers a published post.
func (f *fake) addPost(p fakePost) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts = append(f.posts, p)
}

func (f *fake) newID() string {
	f.nextID++
	return fmt.Sprint(f.nextID)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v1.0")
	key := r.Method + " " + path
	f.mu.Lock()
	f.calls = append(f.calls, call{key: key, form: r.Form})
	h := f.override[key]
	f.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	if f.serveToken(w, r, key) {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeJSON(w, 400, fixture(f.t, "error_token_invalid.json"))
		return
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case key == "GET /me":
		writeJSON(w, 200, fixture(f.t, "profile.json"))
	case len(seg) == 2 && key == "POST /"+seg[0]+"/threads":
		f.create(w, r)
	case len(seg) == 2 && key == "POST /"+seg[0]+"/threads_publish":
		f.publish(w, r)
	case len(seg) == 2 && key == "GET /"+seg[0]+"/threads":
		f.list(w, r, false)
	case len(seg) == 2 && key == "GET /"+seg[0]+"/replies":
		f.list(w, r, true)
	case len(seg) == 2 && seg[1] == "insights":
		writeJSON(w, 200, fixture(f.t, "insights.json"))
	case len(seg) == 2 && seg[1] == "threads_publishing_limit":
		writeJSON(w, 200, fixture(f.t, "quota.json"))
	case len(seg) == 1 && r.Method == http.MethodGet:
		f.read(w, r, seg[0])
	default:
		writeJSON(w, 400, fixture(f.t, "error_not_exist.json"))
	}
}

// serveToken answers the three token endpoints.
func (f *fake) serveToken(w http.ResponseWriter, r *http.Request, key string) bool {
	switch key {
	case "POST /oauth/access_token":
		if r.PostForm.Get("code") != "CODE" || r.PostForm.Get("client_secret") != testSecret ||
			r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != testRedirect {
			writeJSON(w, 400, fixture(f.t, "error_code_used.json"))
			return true
		}
		writeJSON(w, 200, fixture(f.t, "token_short.json"))
	case "GET /access_token":
		q := r.URL.Query()
		if q.Get("grant_type") != "th_exchange_token" || q.Get("client_secret") != testSecret || q.Get("access_token") != "THQVJshortSeCrEt0001" {
			writeJSON(w, 400, fixture(f.t, "error_token_invalid.json"))
			return true
		}
		writeJSON(w, 200, fixture(f.t, "token_long.json"))
	case "GET /refresh_access_token":
		q := r.URL.Query()
		if q.Get("grant_type") != "th_refresh_token" || q.Get("access_token") != testToken {
			writeJSON(w, 400, fixture(f.t, "error_token_invalid.json"))
			return true
		}
		writeJSON(w, 200, fixture(f.t, "token_refreshed.json"))
	default:
		return false
	}
	return true
}

func (f *fake) create(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	script := []string{"status_finished.json"}
	if f.onCreate != nil {
		script = f.onCreate(r.PostForm)
	}
	c := &fakeContainer{id: f.newID(), params: r.PostForm, script: script}
	f.containers[c.id] = c
	writeJSON(w, 200, fmt.Appendf(nil, `{"id":%q}`, c.id))
}

func (f *fake) publish(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	c := f.containers[r.PostForm.Get("creation_id")]
	switch {
	case c == nil:
		f.mu.Unlock()
		writeJSON(w, 400, fixture(f.t, "error_not_exist.json"))
		return
	case f.tooEarly > 0:
		f.tooEarly--
		f.mu.Unlock()
		writeJSON(w, 400, fixture(f.t, "error_too_early.json"))
		return
	}
	id := f.newID()
	p := fakePost{id: id, text: c.params.Get("text"), replyTo: c.params.Get("reply_to_id"), at: testNow}
	for _, q := range f.posts {
		if q.id == p.replyTo {
			p.root = firstNonEmpty(q.root, q.id)
		}
	}
	f.posts = append(f.posts, p)
	c.script, c.reads = []string{"status_published.json"}, 0
	hang := f.hangPublish
	f.mu.Unlock()
	if hang {
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
		return
	}
	writeJSON(w, 200, fmt.Appendf(nil, `{"id":%q}`, id))
}

// read answers GET /{id}: a container's status, or a post's fields.
func (f *fake) read(w http.ResponseWriter, r *http.Request, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.containers[id]; c != nil && strings.Contains(r.Form.Get("fields"), "status") {
		name := c.script[min(c.reads, len(c.script)-1)]
		c.reads++
		writeJSON(w, 200, fixture(f.t, name))
		return
	}
	for _, p := range f.posts {
		if p.id == id {
			writeJSON(w, 200, fmt.Appendf(nil, `{"id":%q,"text":%q,"permalink":"https://www.threads.net/@operator/post/P%s","timestamp":%q}`,
				p.id, p.text, p.id[len(p.id)-4:], p.at.Format(meta.TimeLayout)))
			return
		}
	}
	writeJSON(w, 400, fixture(f.t, "error_not_exist.json"))
}

// list answers the account's posts or replies, newest first, in one page.
func (f *fake) list(w http.ResponseWriter, _ *http.Request, replies bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var items []string
	posts := slices.Clone(f.posts)
	slices.Reverse(posts)
	slices.SortStableFunc(posts, func(a, b fakePost) int { return b.at.Compare(a.at) })
	for _, p := range posts {
		if (p.replyTo != "") != replies {
			continue
		}
		item := fmt.Sprintf(`{"id":%q,"text":%q,"timestamp":%q,"permalink":"https://www.threads.net/@operator/post/P%s"`,
			p.id, p.text, p.at.Format(meta.TimeLayout), p.id[len(p.id)-4:])
		if replies {
			item += fmt.Sprintf(`,"replied_to":{"id":%q},"root_post":{"id":%q}`, p.replyTo, p.root)
		}
		items = append(items, item+"}")
	}
	writeJSON(w, 200, []byte(`{"data":[`+strings.Join(items, ",")+`],"paging":{"cursors":{"before":"b","after":"a"}}}`))
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

func (s *sleepRecorder) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.slept)
}

func newClient(t *testing.T, base string, mod ...func(*Config)) (*Client, *sleepRecorder) {
	t.Helper()
	sl := &sleepRecorder{}
	cfg := Config{
		ClientID:     "threads-app-id",
		ClientSecret: testSecret,
		RedirectURL:  testRedirect,
		BaseURL:      base,
		HTTP:         platform.NewHTTPClient(platform.HTTPOptions{Now: func() time.Time { return testNow }, Timeout: 5 * time.Second}),
		Now:          func() time.Time { return testNow },
		Sleep:        sl.sleep,
	}
	for _, m := range mod {
		m(&cfg)
	}
	return New(cfg), sl
}

func testAuth() platform.Auth {
	return platform.Auth{UserID: testUserID, Handle: "operator", AccessToken: testToken}
}

// recorder is a progress save function that records every key.
type recorder struct {
	mu    sync.Mutex
	saved []string
}

func (r *recorder) save(_ context.Context, k, v string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.saved = append(r.saved, k+"="+v)
	return nil
}

func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.saved))
	for i, s := range r.saved {
		out[i], _, _ = strings.Cut(s, "=")
	}
	return out
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
