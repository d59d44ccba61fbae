package tiktok

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
	"github.com/sns-os/snsos/internal/sim/simclock"
)

const (
	testClientKey    = "tt-client-key"
	testClientSecret = "tt-secret-do-not-leak"
	testRedirect     = "http://127.0.0.1:8765/callback/"
	testVerifier     = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier"
)

var testStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// mp4Head is the start of an MP4 file: enough for the sniffer.
var mp4Head = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), make([]byte, 2000)...)

// hexChallenge is TikTok's PKCE challenge of a verifier.
func hexChallenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// env is one simulator behind a real loopback server, with a second
// server holding media files.
type env struct {
	t      testing.TB
	sim    *Sim
	srv    *httptest.Server
	media  *httptest.Server
	clock  *simclock.Clock
	http   *http.Client
	mu     sync.Mutex
	fetchN map[string]int
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	clk := simclock.New(testStart)
	if opts.ClientKey == "" {
		opts.ClientKey, opts.ClientSecret = testClientKey, testClientSecret
	}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	e := &env{t: t, clock: clk, fetchN: map[string]int{}}
	e.media = httptest.NewServer(http.HandlerFunc(e.serveMedia))
	e.sim = New(opts)
	e.srv = httptest.NewServer(e.sim)
	t.Cleanup(func() { e.sim.Close(); e.srv.Close(); e.media.Close() })
	e.http = e.srv.Client()
	e.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return e
}

// serveMedia serves /clip.mp4, /photo.jpg, /photo.webp, /photo.png and
// /clip.txt; anything else is 404.
func (e *env) serveMedia(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.fetchN[r.URL.Path]++
	e.mu.Unlock()
	switch r.URL.Path {
	case "/clip.mp4":
		w.Write(mp4Head)
	case "/photo.jpg":
		w.Write(graph.AvatarJPEG("photo"))
	case "/photo.webp":
		w.Write([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	case "/photo.png":
		w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	case "/clip.txt":
		w.Write([]byte("not a video at all, just some text that is long enough"))
	default:
		http.NotFound(w, r)
	}
}

func (e *env) fetches(path string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fetchN[path]
}

func (e *env) mediaURL(name string) string { return e.media.URL + "/" + name }

// user adds an account and returns it with an access token of every scope.
func (e *env) user(name string) (User, string) {
	u := e.sim.AddUser(name, strings.ToUpper(name))
	at, _ := e.sim.IssueTokens(u.OpenID)
	return u, at
}

type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// str walks the JSON body by keys and array indexes and returns the value
// as text ("" when missing); numbers keep their literal.
func (r resp) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			fmt.Sscan(p, &i)
			if i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case json.Number:
		return x.String()
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func (e *env) do(method, path, token string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json; charset=UTF-8"
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = e.srv.URL + path
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) resp {
	e.t.Helper()
	res, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&r.body)
	return r
}

// expect checks the status and, for an envelope, that error.code is code
// and log_id is set.
func (e *env) expect(r resp, status int, code string) resp {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	if code == "" {
		return r
	}
	if got := r.str("error", "code"); got != code {
		e.t.Fatalf("error.code = %q, want %q; body %s", got, code, r.raw)
	}
	if r.str("error", "log_id") == "" || r.header.Get("X-Tt-Logid") == "" {
		e.t.Fatalf("answer lacks a log_id: %s", r.raw)
	}
	return r
}

// put sends one upload chunk.
func (e *env) put(uploadURL, contentType, contentRange string, data []byte) resp {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPut, uploadURL, bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if contentRange != "" {
		req.Header.Set("Content-Range", contentRange)
	}
	return e.send(req)
}

// postInfo returns a Direct Post post_info.
func postInfoOf(title, privacy string) map[string]any {
	return map[string]any{"title": title, "privacy_level": privacy, "disable_duet": false,
		"disable_comment": false, "disable_stitch": false, "video_cover_timestamp_ms": 1000,
		"brand_content_toggle": false, "brand_organic_toggle": false, "is_aigc": false}
}

// fileSource returns a FILE_UPLOAD source_info.
func fileSource(size, chunk, count int64) map[string]any {
	return map[string]any{"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk, "total_chunk_count": count}
}

// initDirect starts a one-chunk Direct Post of data and returns the
// publish_id and upload_url.
func (e *env) initDirect(token, title, privacy string, data []byte) (string, string) {
	e.t.Helper()
	n := int64(len(data))
	r := e.expect(e.do(http.MethodPost, "/v2/post/publish/video/init/", token,
		map[string]any{"post_info": postInfoOf(title, privacy), "source_info": fileSource(n, n, 1)}), 200, "ok")
	return r.str("data", "publish_id"), r.str("data", "upload_url")
}

// uploadWhole sends data as one chunk and expects 201.
func (e *env) uploadWhole(uploadURL string, data []byte) {
	e.t.Helper()
	cr := fmt.Sprintf("bytes 0-%d/%d", len(data)-1, len(data))
	e.expect(e.put(uploadURL, "video/mp4", cr, data), http.StatusCreated, "")
}

// status fetches a publish's status.
func (e *env) status(token, publishID string) resp {
	e.t.Helper()
	return e.do(http.MethodPost, "/v2/post/publish/status/fetch/", token, map[string]any{"publish_id": publishID})
}

// postVideo publishes data directly and waits until it is complete;
// it returns the publish_id.
func (e *env) postVideo(token, title, privacy string) string {
	e.t.Helper()
	pid, up := e.initDirect(token, title, privacy, mp4Head)
	e.uploadWhole(up, mp4Head)
	e.clock.Advance(DefaultProcessingDuration)
	if st := e.expect(e.status(token, pid), 200, "ok").str("data", "status"); st != StatusPublishComplete {
		e.t.Fatalf("status %s, want PUBLISH_COMPLETE", st)
	}
	return pid
}
