package x

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/simclock"
)

const (
	testClientID     = "cid"
	testClientSecret = "csec"
	testRedirect     = "https://app.example/oauth/x/callback"
	testVerifier     = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-extra-verifier"
)

var testStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// env is one simulator behind a real loopback server.
type env struct {
	t     testing.TB
	sim   *Sim
	srv   *httptest.Server
	clock *simclock.Clock
	http  *http.Client
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
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &env{t: t, sim: sim, srv: srv, clock: clk, http: client}
}

// user adds a user and returns it with an access token of all default scopes.
func (e *env) user(name string) (User, string) {
	u := e.sim.AddUser(name, strings.ToUpper(name))
	at, _ := e.sim.IssueTokens(u.ID, nil)
	return u, at
}

type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

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
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// do sends a request; body may be nil, a []byte, url.Values (form) or any
// JSON value.
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
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
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
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (e *env) expect(r resp, status int) resp {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

type multipartBody struct {
	data        []byte
	contentType string
}

func multipartOf(fields map[string]string, fileField string, file []byte) multipartBody {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if fileField != "" {
		fw, _ := mw.CreateFormFile(fileField, "blob")
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	return multipartBody{data: buf.Bytes(), contentType: mw.FormDataContentType()}
}

func challengeS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func authorizeQuery(scope string) url.Values {
	return url.Values{
		"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect},
		"scope": {scope}, "state": {"st-123"}, "code_challenge": {challengeS256(testVerifier)},
		"code_challenge_method": {"S256"},
	}
}

var (
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// consent loads the authorize page at pageURL, submits its form as a
// browser would (resolving the action against the page URL) and returns
// the callback URL the simulator redirected to.
func (e *env) consent(pageURL string, approve bool, username string) *url.URL {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, pageURL, nil)
	page := e.expect(e.send(req), http.StatusOK)
	m := actionRe.FindSubmatch(page.raw)
	if m == nil {
		e.t.Fatalf("no form in consent page: %s", page.raw)
	}
	base, _ := url.Parse(pageURL)
	action, err := base.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		e.t.Fatal(err)
	}
	form := url.Values{}
	for _, h := range hiddenRe.FindAllSubmatch(page.raw, -1) {
		form.Set(string(h[1]), html.UnescapeString(string(h[2])))
	}
	if approve {
		form.Set("approve", "1")
	} else {
		form.Set("deny", "1")
	}
	form.Set("username", username)
	req, _ = http.NewRequest(http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r := e.expect(e.send(req), http.StatusFound)
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc
}

// code runs the browser part of the flow and returns the authorization code.
func (e *env) code(scope, username string) string {
	e.t.Helper()
	loc := e.consent(e.srv.URL+"/i/oauth2/authorize?"+authorizeQuery(scope).Encode(), true, username)
	if loc.Query().Get("state") != "st-123" || loc.Query().Get("code") == "" {
		e.t.Fatalf("callback %s lacks state or code", loc)
	}
	return loc.Query().Get("code")
}

// token posts to the token endpoint with Basic auth.
func (e *env) token(form url.Values) resp {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/2/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testClientSecret)
	return e.send(req)
}

// post creates a post and returns its id.
func (e *env) post(token string, body any) string {
	e.t.Helper()
	r := e.expect(e.do(http.MethodPost, "/2/tweets", token, body), http.StatusCreated)
	return r.str("data", "id")
}
