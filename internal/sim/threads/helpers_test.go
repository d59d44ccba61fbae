package threads

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
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
	testClientID     = "th-app"
	testClientSecret = "th-secret-do-not-leak"
	testRedirect     = "https://app.example/oauth/threads/callback"
)

var testStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// mp4Head is the start of an MP4 file: enough for the sniffer.
var mp4Head = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), make([]byte, 2000)...)

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
	fetchN map[string]int // media path -> GETs seen
}

// fetches returns how many times the media server served path.
func (e *env) fetches(path string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fetchN[path]
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	clk := simclock.New(testStart)
	if opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = testClientID, testClientSecret
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

// serveMedia serves /photo.jpg, /photo.png, /anim.gif, /clip.mp4,
// /clip.txt and /big.jpg; anything else is 404.
func (e *env) serveMedia(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.fetchN[r.URL.Path]++
	e.mu.Unlock()
	switch r.URL.Path {
	case "/photo.jpg":
		w.Write(graph.AvatarJPEG("photo"))
	case "/photo.png":
		w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	case "/anim.gif":
		w.Write([]byte("GIF89a\x01\x00\x01\x00"))
	case "/clip.mp4":
		w.Write(mp4Head)
	case "/clip.txt":
		w.Write([]byte("not a video at all, just some text that is long enough"))
	case "/big.jpg":
		w.Write([]byte{0xFF, 0xD8, 0xFF, 0xE0})
		w.Write(make([]byte, maxImageBytes))
	default:
		http.NotFound(w, r)
	}
}

func (e *env) mediaURL(name string) string { return e.media.URL + "/" + name }

// user adds an account and returns it with a long-lived token.
func (e *env) user(name string) (User, string) {
	u := e.sim.AddUser(name, strings.ToUpper(name))
	return u, e.sim.IssueTokens(u.ID)
}

type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// str walks the JSON body by keys and array indexes and returns the
// value as text ("" when missing).
func (r resp) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
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

// errCode returns error.code and error.error_subcode as "code/subcode".
func (r resp) errCode() string {
	return r.str("error", "code") + "/" + r.str("error", "error_subcode")
}

type multipartBody struct {
	data        []byte
	contentType string
}

func multipartOf(fields map[string]string) multipartBody {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	_ = mw.Close()
	return multipartBody{data: buf.Bytes(), contentType: mw.FormDataContentType()}
}

// do sends a request with the token as a Bearer header; body may be nil,
// url.Values (form), multipartBody or any JSON value.
func (e *env) do(method, path, token string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case multipartBody:
		rd, ct = bytes.NewReader(b.data), b.contentType
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
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
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
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

func (e *env) expect(r resp, status int) resp {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

// expectErr checks a Graph error's HTTP status and "code/subcode".
func (e *env) expectErr(r resp, status int, code string) resp {
	e.t.Helper()
	e.expect(r, status)
	if got := r.errCode(); got != code {
		e.t.Fatalf("error code/subcode = %s, want %s; body %s", got, code, r.raw)
	}
	if r.str("error", "fbtrace_id") == "" || r.str("error", "message") == "" {
		e.t.Fatalf("error envelope lacks fbtrace_id or message: %s", r.raw)
	}
	return r
}

// create makes a container and returns its id.
func (e *env) create(u User, token string, params map[string]any) string {
	e.t.Helper()
	r := e.expect(e.do(http.MethodPost, "/v1.0/"+u.ID+"/threads", token, params), 200)
	return r.str("id")
}

// status reads a container's status.
func (e *env) status(id, token string) string {
	e.t.Helper()
	return e.expect(e.do(http.MethodGet, "/v1.0/"+id+"?fields=status,error_message", token, nil), 200).str("status")
}

// publish publishes a container and returns the answer.
func (e *env) publish(u User, token, container string) resp {
	e.t.Helper()
	return e.do(http.MethodPost, "/v1.0/"+u.ID+"/threads_publish?creation_id="+container, token, nil)
}

// post creates a TEXT container (a reply when replyTo is set), waits for
// it and publishes it.
func (e *env) post(u User, token, text, replyTo string) string {
	e.t.Helper()
	params := map[string]any{"media_type": "TEXT", "text": text}
	if replyTo != "" {
		params["reply_to_id"] = replyTo
	}
	c := e.create(u, token, params)
	e.clock.Advance(DefaultImageProcessing)
	return e.expect(e.publish(u, token, c), 200).str("id")
}
