package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const (
	testToken  = "act.SeCrEt-token-0001"
	testSecret = "client-SeCrEt-0001"
	// uploadToken is the upload_token of the recorded upload_url.
	uploadToken = "Xza123SeCrEt"
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

// fake stands in for TikTok with recorded answers. Handlers in override
// replace the default for a "METHOD /path" pattern; statuses are the
// fixtures status/fetch answers in turn (the last one repeats).
type fake struct {
	t        testing.TB
	mu       sync.Mutex
	calls    []string
	override map[string]http.HandlerFunc
	statuses []string
	inits    []map[string]any // init bodies
	// The upload: bytes TikTok holds (contiguous), every Content-Range
	// received, every byte counted and checksummed in order.
	held     int64
	ranges   []string
	received int64
	crc      uint32
	putHook  func(w http.ResponseWriter, r *http.Request) bool // true: handled
	heapHook func()
}

func newFake(t testing.TB) (*fake, *httptest.Server) {
	f := &fake{t: t, override: map[string]http.HandlerFunc{}, statuses: []string{"status_complete.json"}}
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

func (f *fake) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fake) setStatuses(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = names
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
	if r.Method == http.MethodPut && r.URL.Path == "/video/" {
		f.put(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/v2/oauth/") && r.Header.Get("Authorization") != "Bearer "+testToken {
		writeJSON(w, 401, fixture(f.t, "error_access_token_invalid.json"))
		return
	}
	switch key {
	case "POST /v2/oauth/token/":
		writeJSON(w, 200, fixture(f.t, "token.json"))
	case "POST /v2/oauth/revoke/":
		writeJSON(w, 200, fixture(f.t, "revoke_ok.json"))
	case "GET /v2/user/info/":
		writeJSON(w, 200, fixture(f.t, "user_info.json"))
	case "POST /v2/post/publish/creator_info/query/":
		writeJSON(w, 200, fixture(f.t, "creator_info_audited.json"))
	case "POST /v2/post/publish/video/init/", "POST /v2/post/publish/inbox/video/init/", "POST /v2/post/publish/content/init/":
		f.init(w, r, key)
	case "POST /v2/post/publish/status/fetch/":
		f.mu.Lock()
		name := f.statuses[0]
		if len(f.statuses) > 1 {
			f.statuses = f.statuses[1:]
		}
		f.mu.Unlock()
		writeJSON(w, 200, fixture(f.t, name))
	case "POST /v2/video/query/":
		writeJSON(w, 200, fixture(f.t, "video_query.json"))
	default:
		writeJSON(w, 404, []byte(`{"data":{},"error":{"code":"not_found","message":"no route","log_id":"X"}}`))
	}
}

func (f *fake) init(w http.ResponseWriter, r *http.Request, key string) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, 400, fixture(f.t, "error_invalid_param.json"))
		return
	}
	f.mu.Lock()
	f.inits = append(f.inits, body)
	f.held = 0
	f.mu.Unlock()
	switch {
	case strings.Contains(key, "inbox"):
		writeJSON(w, 200, fixture(f.t, "inbox_init.json"))
	case strings.Contains(key, "content"):
		writeJSON(w, 200, fixture(f.t, "photo_init.json"))
	default:
		writeJSON(w, 200, fixture(f.t, "video_init.json"))
	}
}

// put takes one chunk like TikTok's upload host: the range must start
// where the upload stands (else 416 with the held range), the body must
// fill the range; 206 while bytes are missing, 201 at the end.
func (f *fake) put(w http.ResponseWriter, r *http.Request) {
	if f.putHook != nil && f.putHook(w, r) {
		return
	}
	if r.URL.Query().Get("upload_token") != uploadToken || r.Header.Get("Authorization") != "" {
		w.WriteHeader(404)
		return
	}
	var a, b, total int64
	cr := r.Header.Get("Content-Range")
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &a, &b, &total); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "video/") {
		w.WriteHeader(400)
		return
	}
	f.mu.Lock()
	f.ranges = append(f.ranges, cr)
	held := f.held
	f.mu.Unlock()
	if a != held {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", held-1, total))
		w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		return
	}
	f.mu.Lock()
	sum := f.crc
	f.mu.Unlock()
	n, err := io.Copy(crcWriter{&sum}, r.Body)
	if err != nil || n != b-a+1 {
		w.WriteHeader(400)
		return
	}
	if f.heapHook != nil {
		f.heapHook()
	}
	f.mu.Lock()
	f.held = b + 1
	f.received += n
	f.crc = sum
	f.mu.Unlock()
	w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", b, total))
	if b+1 == total {
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusPartialContent)
}

// crcWriter folds what is written into a running CRC-32 (IEEE).
type crcWriter struct{ sum *uint32 }

func (c crcWriter) Write(p []byte) (int, error) {
	*c.sum = crc32.Update(*c.sum, crc32.IEEETable, p)
	return len(p), nil
}

func (f *fake) upload() (held, received int64, ranges []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held, f.received, append([]string(nil), f.ranges...)
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

func (s *sleepRecorder) total() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t time.Duration
	for _, d := range s.slept {
		t += d
	}
	return t
}

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(testNow.UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newClient(t testing.TB, base string, mod ...func(*Config)) (*Client, *sleepRecorder) {
	t.Helper()
	sl := &sleepRecorder{}
	cfg := Config{
		ClientKey:    "ck-test",
		ClientSecret: testSecret,
		RedirectURL:  "http://127.0.0.1:8765/oauth/tiktok/callback/",
		BaseURL:      base,
		HTTP:         platform.NewHTTPClient(platform.HTTPOptions{Now: func() time.Time { return testNow }, Timeout: 5 * time.Second}),
		Now:          func() time.Time { return testNow },
		Sleep:        sl.sleep,
		ChunkSize:    MinChunkSize,
	}
	for _, m := range mod {
		m(&cfg)
	}
	return New(cfg), sl
}

func testAuth() platform.Auth {
	return platform.Auth{UserID: "afd97af1-b87b-48b9-ac98-410aghda5344", Handle: "snsos_test", AccessToken: testToken}
}

// patternReader yields n deterministic bytes without holding them.
type patternReader struct{ n, off int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		p[i] = byte((r.off + int64(i)) % 251)
	}
	r.off += int64(len(p))
	return len(p), nil
}

// countingMedia streams n pattern bytes and counts opens and bytes read.
type countingMedia struct {
	opens atomic.Int64
	read  atomic.Int64
}

func (cm *countingMedia) media(mime string, n int64) platform.Media {
	return platform.Media{MIME: mime, Size: n, Open: func(context.Context) (io.ReadCloser, error) {
		cm.opens.Add(1)
		return io.NopCloser(&countReader{r: &patternReader{n: n}, n: &cm.read}), nil
	}}
}

type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// patternCRC is the CRC-32 of the first n pattern bytes.
func patternCRC(n int64) uint32 {
	h := crc32.NewIEEE()
	io.Copy(h, &patternReader{n: n})
	return h.Sum32()
}

func videoReq(size int64, opts map[string]any) (*platform.PublishRequest, *countingMedia) {
	cm := &countingMedia{}
	if opts == nil {
		opts = map[string]any{"privacy_level": "SELF_ONLY"}
	}
	return &platform.PublishRequest{Parts: []platform.Part{{Text: "funny #cat @tiktok",
		Media: []platform.Media{cm.media("video/mp4", size)}}}, Options: opts}, cm
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
