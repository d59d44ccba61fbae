package instagram

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const (
	testToken  = "IGAAacct-SeCrEt-token-0009"
	testSecret = "ig-app-SeCrEt-0001"
	testUser   = "17841400000000001"
	testCode   = "AQBx-code-SeCrEt-77"
	// fixtureContainer is the container id in the status fixtures.
	fixtureContainer = "17889455560051444"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clock is the injected clock; sleeping advances it.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *clock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// fakeContainer is a container in the fake's state machine: IN_PROGRESS
// for readyAfter polls, then FINISHED; PUBLISHED once published; EXPIRED
// 24 hours after creation; or a fixed status (a fixture name).
type fakeContainer struct {
	id         string
	params     url.Values
	created    time.Time
	readyAfter int
	polls      int
	fixed      string // e.g. "error_2207026": always this status
	published  bool
}

// fakeMedia is a published post.
type fakeMedia struct {
	ID          string `json:"id"`
	Caption     string `json:"caption,omitempty"`
	Timestamp   string `json:"timestamp"`
	Permalink   string `json:"permalink"`
	MediaType   string `json:"media_type"`
	ProductType string `json:"media_product_type"`
	LikeCount   int    `json:"like_count"`
	Comments    int    `json:"comments_count"`
}

// fake is a stand-in for the three Instagram hosts that replays the
// recorded answers in testdata and keeps container and media state.
// Handlers in override replace the default for a "METHOD /path" key (path
// without the version prefix).
type fake struct {
	t          *testing.T
	clk        *clock
	mu         sync.Mutex
	calls      []string     // "METHOD /path", version stripped
	raw        []string     // raw paths
	params     []url.Values // query or form of each call
	containers map[string]*fakeContainer
	media      []*fakeMedia
	nextC      int64
	nextM      int64
	// readyAfter returns how many polls a new container stays IN_PROGRESS.
	readyAfter func(params url.Values) int
	override   map[string]http.HandlerFunc
}

func newFake(t *testing.T, clk *clock) (*fake, *httptest.Server) {
	f := &fake{t: t, clk: clk, containers: map[string]*fakeContainer{}, nextC: 17889455560051500, nextM: 17920000000000100,
		override: map[string]http.HandlerFunc{}}
	f.readyAfter = func(p url.Values) int {
		if p.Get("video_url") != "" {
			return 2
		}
		return 0
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

var versionRE = regexp.MustCompile(`^/v\d+\.\d+/`)

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(body)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := versionRE.ReplaceAllString(r.URL.Path, "/")
	key := r.Method + " " + path
	r.ParseForm()
	f.mu.Lock()
	f.calls = append(f.calls, key)
	f.raw = append(f.raw, r.URL.Path)
	f.params = append(f.params, r.Form)
	h := f.override[key]
	f.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	switch key {
	case "POST /oauth/access_token":
		writeJSON(w, 200, fixture(f.t, "token_flat.json"))
		return
	case "GET /access_token":
		writeJSON(w, 200, fixture(f.t, "token_long.json"))
		return
	case "GET /refresh_access_token":
		writeJSON(w, 200, fixture(f.t, "token_refreshed.json"))
		return
	}
	if r.URL.Query().Get("access_token") != "" {
		f.t.Errorf("%s: token in the query string of a Graph call", key)
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeJSON(w, 400, fixture(f.t, "error_token_expired.json"))
		return
	}
	f.graph(w, r, key)
}

func (f *fake) graph(w http.ResponseWriter, r *http.Request, key string) {
	seg := strings.Split(strings.Trim(strings.SplitN(key, " ", 2)[1], "/"), "/")
	switch {
	case key == "GET /me":
		writeJSON(w, 200, fixture(f.t, "me_flat.json"))
	case r.Method == "POST" && len(seg) == 2 && seg[1] == "media":
		f.create(w, r, seg[0])
	case r.Method == "POST" && len(seg) == 2 && seg[1] == "media_publish":
		f.publish(w, r)
	case r.Method == "GET" && len(seg) == 1 && strings.Contains(r.Form.Get("fields"), "status_code"):
		f.status(w, seg[0])
	case r.Method == "GET" && len(seg) == 1:
		f.readMedia(w, seg[0])
	case r.Method == "POST" && len(seg) == 2 && seg[1] == "comments":
		writeJSON(w, 200, []byte(`{"id":"17870913679156914"}`))
	case r.Method == "GET" && len(seg) == 2 && (seg[1] == "media" || seg[1] == "stories"):
		f.list(w, seg[1] == "stories")
	case r.Method == "GET" && len(seg) == 2 && seg[1] == "content_publishing_limit":
		writeJSON(w, 200, fixture(f.t, "quota.json"))
	case r.Method == "GET" && len(seg) == 2 && seg[1] == "insights":
		writeJSON(w, 200, fixture(f.t, "insights_feed.json"))
	default:
		writeJSON(w, 400, fixture(f.t, "error_no_object.json"))
	}
}

func (f *fake) create(w http.ResponseWriter, r *http.Request, user string) {
	if user != testUser {
		writeJSON(w, 400, fixture(f.t, "error_unsupported_post.json"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Form.Get("media_type") == "CAROUSEL" {
		for _, id := range strings.Split(r.Form.Get("children"), ",") {
			if c := f.containers[id]; c == nil || c.polls < c.readyAfter || c.fixed != "" {
				writeJSON(w, 400, fixture(f.t, "error_not_ready.json"))
				return
			}
		}
	}
	f.nextC++
	id := fmt.Sprint(f.nextC)
	f.containers[id] = &fakeContainer{id: id, params: r.Form, created: f.clk.Now(), readyAfter: f.readyAfter(r.Form)}
	writeJSON(w, 200, fmt.Appendf(nil, `{"id":%q}`, id))
}

// addContainer records a container as an earlier attempt left it.
func (f *fake) addContainer(id string, params url.Values, created time.Time, fixed string) *fakeContainer {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &fakeContainer{id: id, params: params, created: created, fixed: fixed}
	f.containers[id] = c
	return c
}

func (c *fakeContainer) state(now time.Time) string {
	switch {
	case c.published:
		return "published"
	case c.fixed != "":
		return c.fixed
	case now.Sub(c.created) >= 24*time.Hour:
		return "expired"
	case c.polls < c.readyAfter:
		c.polls++
		return "in_progress"
	}
	return "finished"
}

func (f *fake) status(w http.ResponseWriter, id string) {
	f.mu.Lock()
	c := f.containers[id]
	var st string
	if c != nil {
		st = c.state(f.clk.Now())
	}
	f.mu.Unlock()
	if c == nil {
		f.readMedia(w, id)
		return
	}
	body := strings.ReplaceAll(string(fixture(f.t, "status_"+st+".json")), fixtureContainer, id)
	writeJSON(w, 200, []byte(body))
}

func (f *fake) publish(w http.ResponseWriter, r *http.Request) {
	m, errBody := f.commit(r.Form.Get("creation_id"))
	if errBody != "" {
		writeJSON(w, 400, fixture(f.t, errBody))
		return
	}
	writeJSON(w, 200, fmt.Appendf(nil, `{"id":%q}`, m.ID))
}

// commit publishes a container: the post exists from here on.
func (f *fake) commit(id string) (*fakeMedia, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	switch {
	case c == nil:
		return nil, "error_no_object.json"
	case c.published || c.state(f.clk.Now()) != "finished":
		return nil, "error_not_ready.json"
	}
	c.published = true
	f.nextM++
	m := &fakeMedia{ID: fmt.Sprint(f.nextM), Caption: c.params.Get("caption"), Timestamp: f.clk.Now().Format(meta.TimeLayout),
		MediaType: "IMAGE", ProductType: "FEED", LikeCount: 5, Comments: 1}
	m.Permalink = "https://www.instagram.com/p/P" + m.ID + "/"
	switch c.params.Get("media_type") {
	case "REELS":
		m.MediaType, m.ProductType = "VIDEO", "REELS"
	case "STORIES":
		m.ProductType, m.Caption = "STORY", ""
		m.Permalink = "https://www.instagram.com/stories/operator/" + m.ID + "/"
	case "CAROUSEL":
		m.MediaType = "CAROUSEL_ALBUM"
	}
	f.media = append(f.media, m)
	return m, ""
}

func (f *fake) readMedia(w http.ResponseWriter, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.media {
		if m.ID == id {
			b, _ := json.Marshal(m)
			writeJSON(w, 200, b)
			return
		}
	}
	writeJSON(w, 400, fixture(f.t, "error_no_object.json"))
}

// list answers the account's media or stories, newest first.
func (f *fake) list(w http.ResponseWriter, stories bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data := []*fakeMedia{}
	for i := len(f.media) - 1; i >= 0; i-- {
		if (f.media[i].ProductType == "STORY") == stories {
			data = append(data, f.media[i])
		}
	}
	slices.SortStableFunc(data, func(a, b *fakeMedia) int { return strings.Compare(b.Timestamp, a.Timestamp) })
	b, _ := json.Marshal(map[string]any{"data": data})
	writeJSON(w, 200, b)
}

// count returns how many calls had a key starting with prefix.
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

// paramsOf returns the parameters of every call with exactly key.
func (f *fake) paramsOf(key string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []url.Values
	for i, c := range f.calls {
		if c == key {
			out = append(out, f.params[i])
		}
	}
	return out
}

func (f *fake) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fake) posts() []*fakeMedia {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.media)
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

// env is one test's fake, client, clock and logs.
type env struct {
	f    *fake
	srv  *httptest.Server
	c    *Client
	clk  *clock
	logs *logBuffer
}

func newEnv(t *testing.T, mod ...func(*Config)) *env {
	t.Helper()
	clk := &clock{now: testNow}
	f, srv := newFake(t, clk)
	logs := &logBuffer{}
	cfg := Config{
		ClientID:     "ig-app-1234",
		ClientSecret: testSecret,
		RedirectURL:  "https://snsos.example/oauth/instagram/callback",
		BaseURL:      srv.URL,
		HTTP: platform.NewHTTPClient(platform.HTTPOptions{Now: clk.Now, Timeout: 5 * time.Second,
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}),
		Now:     clk.Now,
		Sleep:   clk.sleep,
		Polling: meta.Polling{First: 2 * time.Second, Max: 30 * time.Second, Budget: 90 * time.Second},
	}
	for _, m := range mod {
		m(&cfg)
	}
	return &env{f: f, srv: srv, c: New(cfg), clk: clk, logs: logs}
}

func testAuth() platform.Auth {
	return platform.Auth{UserID: testUser, Handle: "operator", AccessToken: snsos.Secret(testToken)}
}

func jpeg(url, alt string) platform.Media {
	return platform.Media{MIME: "image/jpeg", Size: 1000, URL: url, AltText: alt}
}

func mp4(url string) platform.Media {
	return platform.Media{MIME: "video/mp4", Size: 5 << 20, URL: url}
}

func request(kind, text string, media ...platform.Media) *platform.PublishRequest {
	return &platform.PublishRequest{Parts: []platform.Part{{Text: text, Media: media}}, Options: map[string]any{"media_type": kind}}
}

// assertNoSecrets fails when a secret appears in err or in the logs.
func (e *env) assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	secrets = append(secrets, testToken, testSecret)
	for _, s := range secrets {
		if err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("secret %q in error: %v", s, err)
		}
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("secret %q in logs", s)
		}
	}
}

// handle replaces the fake's answer to key ("METHOD /path", no version).
func (f *fake) handle(key string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.override[key] = h
}

// rawPaths returns the requested paths, version prefix included.
func (f *fake) rawPaths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.raw)
}
